"""A short run of the company-scale benchmark, so it keeps working between full runs.

`make bench-scale` runs it at 10k-1M companies on vectors of embedded company texts; here 4 000
companies over clustered stand-in vectors check the pipeline and its printed rows, not figures.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

speed = pytest.importorskip("bench.matching_speed")


def clustered(rng: np.random.Generator, centers: np.ndarray, count: int) -> np.ndarray:
    """Return unit vectors scattered around random centers (a stand-in for embedded texts)."""
    noise = rng.normal(size=(count, centers.shape[1])) * 0.6 / np.sqrt(centers.shape[1])
    vectors = centers[rng.integers(0, len(centers), count)] + noise
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_company_scale_benchmark_prints_its_rows_and_joint_candidates_keep_recall(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(speed, "OUT", tmp_path)  # caches and indexes out of the checkout
    monkeypatch.setattr(speed, "COMPANY_QUERIES", 40)
    rng = np.random.default_rng(3)
    centers = rng.normal(size=(80, speed.DIM))
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    base_q, base_p = clustered(rng, centers, 500), clustered(rng, centers, 500)

    speed.bench_companies(
        4000, base_q, base_p, ["pq48sq8"], [50], [1], joints=[100, 400], joint_ks=[20]
    )

    out = capsys.readouterr().out
    assert re.search(r"exact \(numpy, 1 thr\)\s+p50\s+[\d.]+ ms", out), out
    per_direction = re.search(r"pq48sq8 ivf\d+ k=50\s+p50.*?brute ([\d.]+)", out)
    assert per_direction, out
    recall = {
        int(target): float(value)
        for target, value in re.findall(
            r"joint (\d+)\s+p50.*?recall@10 index [\d.]+ brute ([\d.]+)", out
        )
    }
    assert set(recall) == {100, 400}, out
    # More candidates scored exactly never lose recall; 10% of the event finds nearly all.
    assert recall[400] >= recall[100] and recall[400] >= 0.9, out
    # Both directions at once beat the nearest sentences of each direction on its own.
    assert recall[400] > float(per_direction.group(1)), out
    union = re.search(r"joint 100 \+ k=20\s+p50.*?brute ([\d.]+)", out)
    assert union and float(union.group(1)) >= recall[100], out
    assert "memory:" in out and list(tmp_path.iterdir()), "the population is cached in OUT"
    assert not list(tmp_path.glob("speed_*")), "the benchmark's index folders are removed"

"""How much the matching adapter helps on companies it never saw: two-fold cross-validation.

Run: `python bench/adapter_training.py` (`make bench-adapter`, about 25 minutes on 2 cores).

The training files of the packaged adapter (`embeddings/adapters/training/*.jsonl`, one event of
about 115 companies each, written by independent authors in 20 languages) are split in two
folds (odd and even file numbers). An adapter is learned on the files of one fold, with the
production settings (`TrainingSettings()`), and read on the other fold's companies taken as one
large event (about 1 800 companies, partners from another country only, as `matchbot suggest`
ranks them), against the same event scored without an adapter. This is how the settings were
chosen (see `embeddings/adapters/README.md`); the quality sets in `tests/data` are not used here
and stay held out for `bench/matching_quality.py`. A learning curve (a quarter, a half and all of
a fold's files) shows how the gain grows with the number of pairs.

Every sentence is embedded once (in both roles) and reused across folds and sizes.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.operations import read_pairs_file  # noqa: E402
from embeddings.adapter import TRAINING_DIR  # noqa: E402
from embeddings.adapter_training import (  # noqa: E402
    TrainingEvent,
    TrainingSettings,
    embed_event,
    event_recall,
    fit_adapter,
)
from embeddings.encoders import BundledEncoder  # noqa: E402
from matchmaking.matching import ScoringConfig  # noqa: E402
from matchmaking.ports import FloatArray  # noqa: E402


class CachedEncoder:
    """Wraps an encoder so that a sentence is embedded once per role across events."""

    def __init__(self, encoder: BundledEncoder) -> None:
        self._encoder = encoder
        self._cache: dict[tuple[str, str], FloatArray] = {}
        self.name, self.dim = encoder.name, encoder.dim

    def _encode(self, role: str, texts: Sequence[str]) -> FloatArray:
        missing = list(dict.fromkeys(t for t in texts if (role, t) not in self._cache))
        if missing:
            encode = (
                self._encoder.encode_queries if role == "query" else self._encoder.encode_passages
            )
            self._cache.update(
                ((role, t), v) for t, v in zip(missing, encode(missing), strict=True)
            )
        return np.array([self._cache[(role, t)] for t in texts], dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> FloatArray:
        return self._encode("query", texts)

    def encode_passages(self, texts: Sequence[str]) -> FloatArray:
        return self._encode("passage", texts)


def read_events() -> list[TrainingEvent]:
    """Return the training files as events, in file order."""
    event = Settings().event()
    return [read_pairs_file(path, event)[0] for path in sorted(TRAINING_DIR.glob("*.jsonl"))]


def merged(events: Sequence[TrainingEvent], name: str) -> TrainingEvent:
    """Return several events as one (their companies together)."""
    companies = [c for e in events for c in e.companies]
    pairs = {cid: pair for e in events for cid, pair in e.pair_of.items()}
    return TrainingEvent(name, companies, pairs)


def main() -> None:
    config = ScoringConfig()
    settings = TrainingSettings()
    encoder = CachedEncoder(BundledEncoder(threads=2))
    events = read_events()
    folds = [events[0::2], events[1::2]]
    print(
        f"{len(events)} training files, {sum(len(e.companies) for e in events)} companies, "
        f"{sum(len(e.partners()) // 2 for e in events)} pairs; settings {settings}"
    )
    t = time.perf_counter()
    embedded = {e.name: embed_event(encoder, e, config) for e in events}
    print(f"embedded every file in {time.perf_counter() - t:.0f} s")
    print(
        "\nfold  trained on              read on (one event, other country)       r@1   r@5  r@10"
    )
    for i, (learn, read) in enumerate(((folds[0], folds[1]), (folds[1], folds[0]))):
        test = embed_event(encoder, merged(read, f"fold {1 - i}"), config)
        base = event_recall(test, config, None, (1, 5, 10))
        where = f"{len(test.countries)} companies, {test.pairs} pairs"
        print(f"{i}     {'no adapter':23s} {where:40s} " + " ".join(f"{base[k]:.3f}" for k in base))
        for share in (4, 2, 1):
            files = learn[: max(1, len(learn) // share)]
            t = time.perf_counter()
            adapter = fit_adapter(
                [embedded[e.name] for e in files], config, encoder.name, encoder.dim, settings
            )
            found = event_recall(test, config, adapter, (1, 5, 10))
            pairs = sum(embedded[e.name].pairs for e in files)
            label = f"{len(files)} files, {pairs} pairs"
            print(
                f"{i}     {label:23s} {where:40s} "
                + " ".join(f"{found[k]:.3f}" for k in found)
                + f"   ({time.perf_counter() - t:.0f} s to learn)"
            )


if __name__ == "__main__":
    main()

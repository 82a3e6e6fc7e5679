"""Suggestion latency: exact vs approximate sentence index at 10k, 100k and 1M vectors.

Run: `python bench/matching_speed.py [--quick] [--sizes 10000,100000] [--encode]`.

Vectors have the structure of real ones: a few hundred company sentences (the dev set and
generated ones) are embedded once with the bundled model, then replicated with small noise and
random mixing of two real vectors. Uniform random vectors would make every index look good.
Per size it prints, for the exact index (the baseline, measured in the same run) and HNSW over
8-bit scalar-quantized vectors at several efSearch: single-query latency p50/p99 on one thread,
recall@10 against exact, index memory (serialized size) and build time. It also times one flat
query on 2 threads, and the end-to-end `rank` of the production engine for a 300-company event
(embedding excluded: the engine gets a table encoder).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from embeddings.encoders import BundledEncoder  # noqa: E402
from matchmaking.text import split_sentences  # noqa: E402

DIM = 384
QUERIES = 200
SEED = 7


def base_sentences() -> list[str]:
    """Return real company sentences: the dev set's, plus generated ones when available."""
    rows = [
        json.loads(line)
        for line in (ROOT / "tests/data/devset.jsonl").read_text("utf-8").splitlines()
    ]
    sentences = [s for r in rows for side in ("offer", "need") for s in split_sentences(r[side])]
    try:
        sys.path.insert(0, str(ROOT / "bench"))
        from encode_speed import generate_sentences

        sentences += generate_sentences(200)
    except ImportError:
        pass
    return sentences


def synthesize(base: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Replicate real vectors with noise and random mixing, normalized (float32)."""
    out = np.empty((count, base.shape[1]), dtype=np.float32)
    step = 200_000
    for start in range(0, count, step):
        n = min(step, count - start)
        first = base[rng.integers(0, len(base), n)]
        second = base[rng.integers(0, len(base), n)]
        mix = rng.uniform(0.0, 0.5, (n, 1)) * (rng.random((n, 1)) < 0.3)
        noise = rng.normal(0.0, 0.35 / np.sqrt(base.shape[1]), (n, base.shape[1]))
        block = first + mix * second + noise
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start : start + n] = block
    return out


def percentiles(samples: list[float]) -> tuple[float, float]:
    """Return p50 and p99 in milliseconds."""
    arr = np.array(samples) * 1000
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 99))


def time_queries(index: Any, queries: np.ndarray, k: int) -> tuple[list[float], np.ndarray]:
    """Search one query at a time; return per-query seconds and all ids."""
    times, ids = [], []
    for q in queries:
        t = time.perf_counter()
        _, found = index.search(q.reshape(1, -1), k)
        times.append(time.perf_counter() - t)
        ids.append(found[0])
    return times, np.array(ids)


def bench_size(size: int, base_p: np.ndarray, base_q: np.ndarray, efs: Sequence[int]) -> None:
    """Print the exact and HNSW figures for one size."""
    import faiss

    rng = np.random.default_rng(SEED)
    data = synthesize(base_p, size, rng)
    queries = synthesize(base_q, QUERIES, rng)
    faiss.omp_set_num_threads(1)
    t = time.perf_counter()
    flat = faiss.IndexFlatIP(DIM)
    flat.add(data)
    flat_build = time.perf_counter() - t
    times, exact_ids = time_queries(flat, queries, 10)
    p50, p99 = percentiles(times)
    mem = flat.ntotal * DIM * 4 / 2**20
    print(
        f"{size:>9,d}  exact flat (1 thr)    p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  recall@10 1.000  "
        f"mem {mem:7.0f} MiB  build {flat_build:6.1f} s"
    )
    faiss.omp_set_num_threads(2)
    times2, _ = time_queries(flat, queries[:50], 10)
    p50_2, p99_2 = percentiles(times2)
    print(f"{size:>9,d}  exact flat (2 thr)    p50 {p50_2:7.2f} ms  p99 {p99_2:7.2f} ms")
    del flat
    for quantized in (True,):
        faiss.omp_set_num_threads(2)
        t = time.perf_counter()
        if quantized:
            hnsw = faiss.IndexHNSWSQ(
                DIM, faiss.ScalarQuantizer.QT_8bit, 32, faiss.METRIC_INNER_PRODUCT
            )
            hnsw.train(data[: min(size, 100_000)])
        else:
            hnsw = faiss.IndexHNSWFlat(DIM, 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 40
        hnsw.add(data)
        build = time.perf_counter() - t
        mem = len(faiss.serialize_index(hnsw)) / 2**20
        faiss.omp_set_num_threads(1)
        label = "hnsw32 sq8" if quantized else "hnsw32 f32"
        for ef in efs:
            hnsw.hnsw.efSearch = ef
            times, ids = time_queries(hnsw, queries, 10)
            recall = np.mean(
                [len(set(a) & set(b)) / 10 for a, b in zip(ids, exact_ids, strict=True)]
            )
            p50, p99 = percentiles(times)
            print(
                f"{size:>9,d}  {label} ef={ef:<4d}  p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  "
                f"recall@10 {recall:.3f}  mem {mem:7.0f} MiB  build {build:6.1f} s (2 thr)"
            )
        del hnsw
    sys.stdout.flush()


class TableEncoder:
    """Encoder that maps each text to a real-structured vector without running a model."""

    def __init__(self, base_q: np.ndarray, base_p: np.ndarray) -> None:
        self.base = {"q": base_q, "p": base_p}

    name = "intfloat/multilingual-e5-small"
    dim = DIM

    def _encode(self, texts: Sequence[str], role: str) -> np.ndarray:
        rows = []
        for text in texts:
            seed = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
            rng = np.random.default_rng(seed)
            rows.append(synthesize(self.base[role], 1, rng)[0])
        return np.array(rows, dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "q")

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "p")


class _Vectors:
    def __init__(self) -> None:
        self.items: dict[str, np.ndarray] = {}

    async def get_many(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        return {k: self.items[k] for k in keys if k in self.items}

    async def put_many(self, model: str, items: Mapping[str, np.ndarray]) -> None:
        self.items.update(items)


class _Companies:
    def __init__(self, companies: list[Any]) -> None:
        self.companies = companies

    async def list(self, status: object = None, event_code: object = None) -> list[Any]:
        return list(self.companies)


async def bench_rank(base_q: np.ndarray, base_p: np.ndarray, count: int = 300) -> None:
    """Time `rank` of the production engine over a `count`-company event."""
    from embeddings.engine import EmbeddingMatchEngine
    from matchmaking.models import Company

    rows = [
        json.loads(line)
        for line in (ROOT / "tests/data/devset.jsonl").read_text("utf-8").splitlines()
    ]
    companies = []
    for i in range(count):
        r = rows[i % len(rows)]
        companies.append(
            Company(
                id=f"c{i:04d}",
                name=r["name"],
                country=r["country"],
                languages=(r["language"],),
                section=r["sector"],
                offer=f"{r['offer']} Ref {i}.",
                need=f"{r['need']} Ref {i}.",
            )
        )
    with tempfile.TemporaryDirectory() as folder:
        engine = EmbeddingMatchEngine(
            TableEncoder(base_q, base_p),
            _Vectors(),
            _Companies(companies),
            Path(folder),  # type: ignore[arg-type]
        )
        t = time.perf_counter()
        await engine.index(companies)
        index_s = time.perf_counter() - t
        t = time.perf_counter()
        await engine.rank(companies[0], 10, lambda _: True)
        cold = time.perf_counter() - t
        times = []
        for company in companies:
            t = time.perf_counter()
            await engine.rank(company, 10, lambda _: True)
            times.append(time.perf_counter() - t)
        p50, p99 = percentiles(times)
        print(
            f"rank() at {count} companies: p50 {p50:.2f} ms  p99 {p99:.2f} ms  (first rank after an "
            f"index change {cold * 1000:.1f} ms; indexing {index_s:.2f} s, embedding excluded)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k vectors only")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--encode", action="store_true", help="also measure encode throughput")
    args = parser.parse_args()
    print(
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}  "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}  cpus={os.cpu_count()}"
    )
    sizes = [10_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    sentences = base_sentences()
    digest = hashlib.sha256("\n".join(sentences).encode()).hexdigest()[:12]
    cache = ROOT / "bench" / "out" / f"base_vectors_{digest}.npz"
    if cache.exists():
        stored = np.load(cache)
        base_q, base_p = stored["q"], stored["p"]
        print(f"{len(sentences)} real sentence vectors x2 roles read from {cache.name}")
    else:
        encoder = BundledEncoder(threads=2)
        t = time.perf_counter()
        base_q = encoder.encode_queries(sentences)
        base_p = encoder.encode_passages(sentences)
        print(
            f"embedded {len(sentences)} real sentences x2 roles in {time.perf_counter() - t:.1f} s"
        )
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, q=base_q, p=base_p)
    asyncio.run(bench_rank(base_q, base_p))
    for size in sizes:
        bench_size(size, base_p, base_q, (32, 64, 128))
    if args.encode:
        try:
            from encode_speed import measure_encode_throughput
        except ImportError:
            print("bench/encode_speed.py not available: encode throughput skipped")
        else:
            for row in measure_encode_throughput(sentences[:128]):
                print(row)


if __name__ == "__main__":
    main()

"""Suggestion latency: exact vs approximate sentence index at 10k, 100k and 1M vectors.

Run: `python bench/matching_speed.py [--quick] [--sizes 10000,100000] [--probes 8,16,32]`.

Vectors have the structure of real ones: about 4 400 distinct company texts (the dev set's
sentences, every distinct sentence of the demo generator over 200 seeds in its 19 languages,
and a sample of its distinct multi-sentence offer/need texts) are embedded once with the bundled
model (cached in bench/out), then replicated with noise scaled to each text's nearest-neighbour
distance and some mixing of two texts. Uniform random vectors would make every index look good.

Per size it prints the exact index (the baseline, measured in the same run, one thread; also
one query on two threads) and the production approximate index (`SentenceIndex` of kind "ivf",
built on 2 threads and again on 1) with its default list count per query (marked *) and at fixed nprobe: single-query
latency p50/p99 on one thread, recall@10 against exact, index memory (serialized size), build
time, and the time to remove one company. HNSW-SQ8 (M=32, efConstruction=40) is timed up to
`--hnsw-max` vectors for comparison. Without `--quick` it also times the end-to-end `rank` of the
production engine for a 300-company event (embedding excluded: the engine gets a table encoder).
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
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
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
GEN_PASSAGES = 4000
GEN_QUERIES = 600
NOISE = (0.25, 0.6)


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


def generated_texts(
    passages: int = GEN_PASSAGES, queries: int = GEN_QUERIES
) -> tuple[list[str], list[str]]:
    """Return distinct generated company texts: (passage texts, need sentences for queries).

    The demo generator (`bot.demo.generator`, 19 languages) is run with seeds 0..199: every
    distinct sentence (about 1 600) plus a deterministic sample of distinct whole offer/need
    texts (several sentences each) become passages; a sample of distinct need sentences is
    embedded in the query role.
    """
    import random

    from bot.demo.generator import generate_demo_event

    sentences: dict[str, str] = {}
    texts: dict[str, None] = {}
    for seed in range(200):
        for company in generate_demo_event(seed).companies:
            for side, text in (("offer", company.offer), ("need", company.need)):
                parts = split_sentences(text)
                if len(parts) > 1:
                    texts.setdefault(text, None)
                for part in parts:
                    sentences.setdefault(part, side)
    rng = random.Random(SEED)
    distinct = sorted(sentences)
    whole = rng.sample(sorted(texts), max(0, min(len(texts), passages - len(distinct))))
    needs = rng.sample(sorted(s for s, side in sentences.items() if side == "need"), queries)
    return distinct + whole, needs


def base_vectors() -> tuple[np.ndarray, np.ndarray]:
    """Return (query-role, passage-role) real vectors, embedded once and cached in bench/out.

    Passages: the dev set's sentences plus the distinct generated texts; queries: the dev set's
    sentences plus generated need sentences, all embedded by the bundled model (2 threads).
    """
    sentences = base_sentences()
    passages, needs = generated_texts()
    digest = hashlib.sha256("\n".join(sentences + ["--"] + passages + ["--"] + needs).encode())
    cache = ROOT / "bench" / "out" / f"base_vectors_{digest.hexdigest()[:12]}.npz"
    if cache.exists():
        stored = np.load(cache)
        print(
            f"{len(stored['p'])} passage / {len(stored['q'])} query real vectors from {cache.name}"
        )
        return stored["q"], stored["p"]
    encoder = BundledEncoder(threads=2)
    t = time.perf_counter()
    old = hashlib.sha256("\n".join(sentences).encode()).hexdigest()[:12]
    old_cache = ROOT / "bench" / "out" / f"base_vectors_{old}.npz"
    if old_cache.exists():
        stored = np.load(old_cache)
        dev_q, dev_p = stored["q"], stored["p"]
    else:
        dev_q, dev_p = encoder.encode_queries(sentences), encoder.encode_passages(sentences)
    gen_p = np.concatenate(
        [encoder.encode_passages(passages[i : i + 256]) for i in range(0, len(passages), 256)]
    )
    gen_q = encoder.encode_queries(needs)
    base_q = np.concatenate([dev_q, gen_q]).astype(np.float32)
    base_p = np.concatenate([dev_p, gen_p]).astype(np.float32)
    print(
        f"embedded {len(passages)} generated passages + {len(needs)} queries "
        f"in {time.perf_counter() - t:.1f} s"
    )
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, q=base_q, p=base_p)
    return base_q, base_p


def neighbour_scale(base: np.ndarray) -> np.ndarray:
    """Return each base vector's Euclidean distance to its nearest other base vector."""
    sims = base @ base.T
    np.fill_diagonal(sims, -np.inf)
    return np.sqrt(np.maximum(0.0, 2.0 - 2.0 * sims.max(axis=1))).astype(np.float32)


def synthesize(
    base: np.ndarray, count: int, rng: np.random.Generator, scale: np.ndarray | None = None
) -> np.ndarray:
    """Replicate real vectors with noise and some mixing of two, normalized (float32).

    Each copy of base vector i gets isotropic noise whose length is `NOISE` (0.25-0.6) times
    i's nearest-neighbour distance `scale[i]`, so copies of one text stay closer to each other
    than to the next distinct text, like rewordings; 30% are also mixed with a random second
    vector (weight up to 0.5), like a text naming two things.
    """
    if scale is None:
        scale = neighbour_scale(base)
    dim = base.shape[1]
    out = np.empty((count, dim), dtype=np.float32)
    step = 100_000
    for start in range(0, count, step):
        n = min(step, count - start)
        pick = rng.integers(0, len(base), n)
        second = base[rng.integers(0, len(base), n)]
        mix = rng.uniform(0.0, 0.5, (n, 1)) * (rng.random((n, 1)) < 0.3)
        noise = rng.normal(0.0, 1.0, (n, dim)).astype(np.float32)
        noise *= (rng.uniform(*NOISE, n) * scale[pick] / np.sqrt(dim))[:, None]
        block = base[pick] + mix * second + noise
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


def recall_at(found: np.ndarray, exact: np.ndarray) -> float:
    """Return the mean share of the exact top-k found."""
    return float(
        np.mean([len(set(a) & set(b)) / exact.shape[1] for a, b in zip(found, exact, strict=True)])
    )


def row(size: int, label: str, times: list[float], recall: float, mem: float, build: str) -> None:
    """Print one result line."""
    p50, p99 = percentiles(times)
    print(
        f"{size:>9,d}  {label:<24} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  recall@10 {recall:.3f}  "
        f"mem {mem:6.0f} MiB  build {build}",
        flush=True,
    )


def bench_size(
    size: int, base_p: np.ndarray, base_q: np.ndarray, probes: Sequence[int], hnsw: bool
) -> None:
    """Print the exact, IVF (production `SentenceIndex`) and, optionally, HNSW figures."""
    import faiss

    from embeddings.index_store import IVF_NPROBE, IVF_SCAN_BUDGET, SentenceIndex

    rng = np.random.default_rng(SEED)
    data = synthesize(base_p, size, rng)
    queries = synthesize(base_q, QUERIES, rng)
    ids = np.arange(size, dtype=np.int64) * 64
    faiss.omp_set_num_threads(1)
    t = time.perf_counter()
    flat = SentenceIndex(DIM, "flat")
    flat.add(ids, data)
    flat_build = time.perf_counter() - t
    times, exact_ids = time_queries(flat, queries, 10)
    row(size, "exact flat", times, 1.0, size * DIM * 4 / 2**20, f"{flat_build:6.1f} s")
    faiss.omp_set_num_threads(2)
    times2, _ = time_queries(flat._index, queries[: 50 if size < 1_000_000 else 20], 10)
    p50_2, p99_2 = percentiles(times2)
    print(f"{size:>9,d}  exact flat, 2 threads    p50 {p50_2:7.2f} ms  p99 {p99_2:7.2f} ms")
    del flat
    for threads in (2, 1):
        faiss.omp_set_num_threads(threads)
        t = time.perf_counter()
        ivf = SentenceIndex(DIM, "ivf")
        with _build_threads(threads):
            ivf.add(ids, data)
        build = time.perf_counter() - t
        if threads == 1:
            print(f"{size:>9,d}  ivf{ivf.nlist} fp16 build on 1 thread: {build:6.1f} s", flush=True)
            continue
        mem = len(ivf.to_bytes()) / 2**20
        for nprobe in [0, *probes]:
            ivf.nprobe, ivf.scan_budget = (nprobe, 0) if nprobe else (IVF_NPROBE, IVF_SCAN_BUDGET)
            times, found = time_queries(ivf, queries, 10)
            label = f"ivf{ivf.nlist} fp16 nprobe={ivf.probes()}{'' if nprobe else '*'}"
            row(size, label, times, recall_at(found, exact_ids), mem, f"{build:6.1f} s (2 thr)")
        t = time.perf_counter()
        for company in range(20):
            ivf.remove(ids[company * 997 % size : company * 997 % size + 1])
        print(f"{size:>9,d}  ivf remove one id: {(time.perf_counter() - t) / 20 * 1000:.1f} ms")
        del ivf
    if hnsw:
        faiss.omp_set_num_threads(2)
        t = time.perf_counter()
        graph = faiss.IndexHNSWSQ(
            DIM, faiss.ScalarQuantizer.QT_8bit, 32, faiss.METRIC_INNER_PRODUCT
        )
        graph.train(data[:50_000])
        graph.hnsw.efConstruction = 40
        graph.add(data)
        build = time.perf_counter() - t
        mem = len(faiss.serialize_index(graph)) / 2**20
        faiss.omp_set_num_threads(1)
        for ef in (128, 256):
            graph.hnsw.efSearch = ef
            times, found = time_queries(graph, queries, 10)
            label = f"hnsw32 sq8 ef={ef}"
            recall = recall_at(found, exact_ids // 64)
            row(size, label, times, recall, mem, f"{build:6.1f} s (2 thr)")
        del graph
    sys.stdout.flush()


@contextmanager
def _build_threads(threads: int) -> Iterator[None]:
    """Set the threads `SentenceIndex.add` builds with."""
    from embeddings import index_store

    previous = index_store.BUILD_THREADS
    index_store.BUILD_THREADS = threads
    try:
        yield
    finally:
        index_store.BUILD_THREADS = previous


class TableEncoder:
    """Encoder that maps each text to a real-structured vector without running a model."""

    def __init__(self, base_q: np.ndarray, base_p: np.ndarray) -> None:
        self.base = {"q": base_q, "p": base_p}
        self.scale = {"q": neighbour_scale(base_q), "p": neighbour_scale(base_p)}

    name = "intfloat/multilingual-e5-small"
    dim = DIM

    def _encode(self, texts: Sequence[str], role: str) -> np.ndarray:
        rows = []
        for text in texts:
            seed = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
            rng = np.random.default_rng(seed)
            rows.append(synthesize(self.base[role], 1, rng, self.scale[role])[0])
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
    """Run the benchmark and print its figures."""
    import faiss

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k vectors only, no rank()")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--probes", default="8,16,32,64", help="IVF nprobe values to time")
    parser.add_argument(
        "--hnsw-max", type=int, default=100_000, help="largest size also timed with HNSW"
    )
    parser.add_argument("--encode", action="store_true", help="also measure encode throughput")
    args = parser.parse_args()
    print(
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}  "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}  cpus={os.cpu_count()}  "
        f"faiss {faiss.__version__}  load avg {os.getloadavg()[0]:.1f}"
    )
    sizes = [10_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    base_q, base_p = base_vectors()
    scale = neighbour_scale(base_p)
    print(
        f"nearest-neighbour distance of the real passage vectors: median {np.median(scale):.3f}"
        f" (p10 {np.percentile(scale, 10):.3f}, p90 {np.percentile(scale, 90):.3f})"
    )
    if not args.quick:
        asyncio.run(bench_rank(base_q, base_p))
    probes = [int(p) for p in args.probes.split(",")]
    for size in sizes:
        bench_size(size, base_p, base_q, probes, size <= args.hnsw_max)
    if args.encode:
        try:
            from encode_speed import measure_encode_throughput
        except ImportError:
            print("bench/encode_speed.py not available: encode throughput skipped")
        else:
            for line in measure_encode_throughput(base_sentences()[:128]):
                print(line)


if __name__ == "__main__":
    main()

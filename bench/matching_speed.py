"""Suggestion latency: exact vs approximate sentence index at 10k, 100k and 1M vectors.

Run: `python bench/matching_speed.py [--quick] [--sizes 10000,100000] [--probes 8,16,32]`, or the
company-level scenario `python bench/matching_speed.py --companies 100000,1000000 --variants
pq48,pq48sq8 --k-sent 100,200 [--rerank 0,4] [--k-cap 3200] [--build-threads 1,2]
[--population companies|sentences] [--joint 600,1000] [--joint-k 50]`: exact company ranking
(both directions) vs the index store's candidates + exact re-scoring (per direction, or with
`--joint` the joint multi-index's, `IndexStore.joint_candidates`, at these candidate targets,
with `--joint-k` also together with each direction's k nearest sentences); generated vectors
cached in bench/out (6 GB at 1M). With
`--population companies` (default) every company replicates one real company of the dev set or
the demo generator (50 seeds, 14 704 companies): its need sentences (query role) and offer
sentences (passage role) are copied together, each with its own noise, so a company stays one
business. `--population sentences` draws every sentence on its own, with the real sentence
counts: a company's sentences then share no business, the adversarial case for a candidate
search that looks one direction at a time. Recall@10 is printed against the same pipeline over
an exact index ("index", the issue's definition), against brute force ("brute") and as epsilon
recall (a suggestion within 0.01 of the exact 10th best score counts).

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
import shutil
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
OUT = ROOT / "bench" / "out"
"""Where generated vectors are cached and the indexes built (not committed)."""

from embeddings.encoders import BundledEncoder  # noqa: E402
from embeddings.index_store import MAX_SENTENCES_PER_TEXT  # noqa: E402
from matchmaking.text import split_sentences  # noqa: E402

DIM = 384
QUERIES = 200
SEED = 7
GEN_PASSAGES = 4000
GEN_QUERIES = 600
NOISE = (0.25, 0.6)
# Score tolerance of the epsilon recall (`epsilon_recall`): a combined score is two cosines.
EPSILON = 0.01


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
    cache = OUT / f"base_vectors_{digest.hexdigest()[:12]}.npz"
    if cache.exists():
        stored = np.load(cache)
        print(
            f"{len(stored['p'])} passage / {len(stored['q'])} query real vectors from {cache.name}"
        )
        return stored["q"], stored["p"]
    encoder = BundledEncoder(threads=2)
    t = time.perf_counter()
    old = hashlib.sha256("\n".join(sentences).encode()).hexdigest()[:12]
    old_cache = OUT / f"base_vectors_{old}.npz"
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
    base: np.ndarray,
    count: int,
    rng: np.random.Generator,
    scale: np.ndarray | None = None,
    picks: np.ndarray | None = None,
) -> np.ndarray:
    """Replicate real vectors with noise and some mixing of two, normalized (float32).

    Each copy of base vector i gets isotropic noise whose length is `NOISE` (0.25-0.6) times
    i's nearest-neighbour distance `scale[i]`, so copies of one text stay closer to each other
    than to the next distinct text, like rewordings; 30% are also mixed with a random second
    vector (weight up to 0.5), like a text naming two things. `picks` fixes which base vector
    each copy replicates (default: uniformly random).
    """
    if scale is None:
        scale = neighbour_scale(base)
    dim = base.shape[1]
    out = np.empty((count, dim), dtype=np.float32)
    step = 100_000
    for start in range(0, count, step):
        n = min(step, count - start)
        pick = rng.integers(0, len(base), n) if picks is None else picks[start : start + n]
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


def company_row(
    size: int,
    label: str,
    times: list[float],
    index_recall: float,
    brute_recall: float,
    mem: float,
    build: str,
) -> None:
    """Print one company-level result line with both recalls."""
    p50, p99 = percentiles(times)
    print(
        f"{size:>9,d}  {label:<30} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  recall@10 index "
        f"{index_recall:.3f} brute {brute_recall:.3f}  mem {mem:6.0f} MiB  build {build}  "
        f"load {os.getloadavg()[0]:.1f}",
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


# ------------------------------------------------------------------ company-level scale scenario
COMPANY_QUERIES = 200
VARIANTS = {
    "pq48": ("ivfpq", {"pq_m": 48, "pq_nbits": 8, "rerank_codec": "f16"}),
    "pq48sq8": ("ivfpq", {"pq_m": 48, "pq_nbits": 8, "rerank_codec": "sq8"}),
    "pq32": ("ivfpq", {"pq_m": 32, "pq_nbits": 8, "rerank_codec": "f16"}),
    "pq32sq8": ("ivfpq", {"pq_m": 32, "pq_nbits": 8, "rerank_codec": "sq8"}),
    "fs96": ("ivfpq", {"pq_m": 96, "pq_nbits": 4, "rerank_codec": "f16"}),
    "fs64": ("ivfpq", {"pq_m": 64, "pq_nbits": 4, "rerank_codec": "f16"}),
    "flat": ("flat", {}),
}


def company_texts() -> list[tuple[str, str]]:
    """Return (need, offer) texts of the dev set's companies and the demo generator's (50 seeds)."""
    from bot.demo.generator import generate_demo_event

    rows = [
        json.loads(line)
        for line in (ROOT / "tests/data/devset.jsonl").read_text("utf-8").splitlines()
    ]
    texts = [(r["need"], r["offer"]) for r in rows]
    for seed in range(50):
        texts += [(c.need, c.offer) for c in generate_demo_event(seed).companies]
    return texts


class CompanyTemplates:
    """Real companies as sentence numbers into embedded sentence tables, one table per side.

    Every distinct need sentence is embedded in the query role and every distinct offer sentence
    in the passage role (bundled model, cached in bench/out); a template keeps the sentence
    numbers of one real company's need and offer, so a replicated company stays one business.
    """

    def __init__(self) -> None:
        texts = company_texts()
        split = [(split_sentences(n), split_sentences(o)) for n, o in texts]
        table: dict[str, dict[str, int]] = {"need": {}, "offer": {}}
        self.templates: list[tuple[list[int], list[int]]] = []
        for needs, offers in split:
            self.templates.append(
                (
                    [table["need"].setdefault(x, len(table["need"])) for x in needs],
                    [table["offer"].setdefault(x, len(table["offer"])) for x in offers],
                )
            )
        digest = hashlib.sha256(
            "\n".join([*table["need"], "--", *table["offer"]]).encode()
        ).hexdigest()[:12]
        cache = OUT / f"company_sentences_{digest}.npz"
        if cache.exists():
            stored = np.load(cache)
            self.base = {"need": stored["need"], "offer": stored["offer"]}
        else:
            encoder = BundledEncoder(threads=2)
            t = time.perf_counter()
            self.base = {
                "need": np.asarray(encoder.encode_queries(list(table["need"])), np.float32),
                "offer": np.asarray(encoder.encode_passages(list(table["offer"])), np.float32),
            }
            print(
                f"embedded {len(table['need'])} need + {len(table['offer'])} offer distinct "
                f"company sentences in {time.perf_counter() - t:.1f} s"
            )
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.savez(cache, **self.base)
        self.distinct = len(set(texts))


def sentence_count_pairs() -> np.ndarray:
    """Return (need, offer) sentence counts of every dev-set and generated company (50 seeds)."""
    texts = company_texts()
    return np.array([(len(split_sentences(n)), len(split_sentences(o))) for n, o in texts])


class Population:
    """Sentence vectors of `companies` companies, company after company, per side."""

    def __init__(
        self,
        companies: int,
        base_q: np.ndarray,
        base_p: np.ndarray,
        templates: CompanyTemplates | None = None,
    ) -> None:
        """Build (or load from bench/out) the population.

        With `templates`, each company replicates a real company (its need and offer sentences
        together, each with its own noise); without, every sentence is drawn independently
        (a company's sentences then share no business, the adversarial case for candidates).
        """
        pairs = sentence_count_pairs()
        if templates is not None:
            tag = f"structured_{len(templates.templates)}_{len(templates.base['offer'])}"
        else:
            tag = f"{len(base_p)}_{len(pairs)}"
        cache = OUT / f"companies_{companies}_{tag}"
        self.companies = companies
        if (cache / "need.npy").exists():
            self.counts = {s: np.load(cache / f"{s}_counts.npy") for s in ("need", "offer")}
            self.vectors = {s: np.load(cache / f"{s}.npy") for s in ("need", "offer")}
        else:
            rng = np.random.default_rng(SEED + companies)
            self.counts, self.vectors = {}, {}
            if templates is not None:
                chosen = rng.integers(0, len(templates.templates), companies)
                for position, side in enumerate(("need", "offer")):
                    lists = [templates.templates[t][position] for t in chosen]
                    self.counts[side] = np.array([len(x) for x in lists], dtype=np.int64)
                    picks = np.fromiter(
                        (i for x in lists for i in x),
                        dtype=np.int64,
                        count=int(self.counts[side].sum()),
                    )
                    base = templates.base[side]
                    self.vectors[side] = synthesize(base, len(picks), rng, picks=picks)
            else:
                picked = pairs[rng.integers(0, len(pairs), companies)]
                self.counts = {"need": picked[:, 0].copy(), "offer": picked[:, 1].copy()}
                # Needs are embedded in the query role, offers in the passage role.
                self.vectors = {
                    "need": synthesize(base_q, int(picked[:, 0].sum()), rng),
                    "offer": synthesize(base_p, int(picked[:, 1].sum()), rng),
                }
            cache.mkdir(parents=True, exist_ok=True)
            for side in ("need", "offer"):
                np.save(cache / f"{side}.npy", self.vectors[side])
                np.save(cache / f"{side}_counts.npy", self.counts[side])
        self.offsets = {
            s: np.concatenate([[0], np.cumsum(c)]).astype(np.int64) for s, c in self.counts.items()
        }
        self.mean = {s: float(c.mean()) for s, c in self.counts.items()}

    def rows(self, side: str, company: int) -> np.ndarray:
        """Return one company's sentence vectors on one side."""
        o = self.offsets[side]
        return self.vectors[side][o[company] : o[company + 1]]


def exact_company_scores(
    pop: Population, queries: Sequence[int], chunk: int = 50_000, k_max: int = 0
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Return exact combined scores and, with `k_max`, exact nearest sentences.

    Returns:
        (queries, companies) scores: best need->offer + best offer->need (-inf for the query
        company itself); and per query side ("need": its need sentences against all offers)
        the `k_max` nearest sentence numbers of each query sentence, best first, queries'
        sentences stacked in order (what an exact flat index would return).
    """
    total = np.zeros((len(queries), pop.companies), np.float32)
    nearest: dict[str, np.ndarray] = {}
    for q_side, k_side in (("need", "offer"), ("offer", "need")):
        qrows = np.concatenate([pop.rows(q_side, c) for c in queries])
        qstarts = np.concatenate([[0], np.cumsum([pop.counts[q_side][c] for c in queries])[:-1]])
        off = pop.offsets[k_side]
        best_s = np.full((len(qrows), 0), -np.inf, np.float32)
        best_i = np.zeros((len(qrows), 0), np.int64)
        for c0 in range(0, pop.companies, chunk):
            c1 = min(pop.companies, c0 + chunk)
            sims = qrows @ pop.vectors[k_side][off[c0] : off[c1]].T
            per_company = np.maximum.reduceat(sims, off[c0:c1] - off[c0], axis=1)
            total[:, c0:c1] += np.maximum.reduceat(per_company, qstarts, axis=0)
            if k_max:
                width = min(k_max, sims.shape[1])
                part = np.argpartition(-sims, width - 1, axis=1)[:, :width]
                best_s = np.hstack([best_s, np.take_along_axis(sims, part, 1)])
                best_i = np.hstack([best_i, part + off[c0]])
                if best_s.shape[1] > k_max:
                    keep = np.argpartition(-best_s, k_max - 1, axis=1)[:, :k_max]
                    best_s = np.take_along_axis(best_s, keep, 1)
                    best_i = np.take_along_axis(best_i, keep, 1)
        if k_max:
            order = np.argsort(-best_s, axis=1, kind="stable")
            nearest[q_side] = np.take_along_axis(best_i, order, 1)
    total[np.arange(len(queries)), np.asarray(queries)] = -np.inf
    return total, nearest


def exact_index_top10(
    pop: Population,
    queries: Sequence[int],
    total: np.ndarray,
    nearest: Mapping[str, np.ndarray],
    k_sent: int,
) -> list[list[int]]:
    """Return the suggestion pipeline's top 10 over an exact index (see `suggest`).

    Candidates are the companies owning the `k_sent` exactly nearest sentences of each query
    sentence, both directions; they are ranked by their exact combined score.
    """
    out = []
    starts = {
        s: np.concatenate([[0], np.cumsum([pop.counts[s][c] for c in queries])])
        for s in ("need", "offer")
    }
    other = {"need": "offer", "offer": "need"}
    for j, company in enumerate(queries):
        slots = []
        for q_side in ("need", "offer"):
            sent = nearest[q_side][starts[q_side][j] : starts[q_side][j + 1], :k_sent].ravel()
            owners = np.searchsorted(pop.offsets[other[q_side]], sent, side="right") - 1
            slots.append(owners)
        cand = np.unique(np.concatenate(slots))
        cand = cand[cand != company]
        out.append(cand[np.argsort(-total[j, cand], kind="stable")[:10]].tolist())
    return out


def overlap(found: Sequence[Sequence[int]], truth: Sequence[Sequence[int]]) -> float:
    """Return the mean share of each truth list found."""
    return float(
        np.mean([len(set(f) & set(t)) / max(1, len(t)) for f, t in zip(found, truth, strict=True)])
    )


def epsilon_recall(
    found: Sequence[Sequence[int]], total: np.ndarray, eps: float = EPSILON
) -> float:
    """Return the share of suggestions within `eps` of the exact 10th best combined score.

    ANN-benchmarks' "epsilon recall": a returned company counts when its exact score is at
    least the exact 10th best minus `eps`. Among the ~450 noisy copies of each text at 1M
    companies, the exact order of scores closer than `eps` is the noise of the replication,
    not a better partner.
    """
    tenth = -np.partition(-total, 9, axis=1)[:, 9]
    shares = [float(np.sum(total[j, list(f)] >= tenth[j] - eps)) / 10 for j, f in enumerate(found)]
    return float(np.mean(shares))


def top10(scores: np.ndarray) -> np.ndarray:
    """Return the 10 best columns per row."""
    part = np.argpartition(-scores, 10, axis=1)[:, :10]
    return np.take_along_axis(part, np.argsort(-np.take_along_axis(scores, part, 1), 1), 1)


def nearest_slots(store: Any, needs: np.ndarray, offers: np.ndarray, k_sent: int) -> np.ndarray:
    """Return the slots owning the index's first `k_sent` sentences of either direction."""
    return np.union1d(
        store.candidate_slots("offer", needs, k_sent),
        store.candidate_slots("need", offers, k_sent),
    )


def suggest(store: Any, pop: Population, company: int, k_sent: int, rerank: int = 0) -> list[int]:
    """Company suggestion through the index store: the slots owning the k nearest sentences of
    each query sentence (both directions), scored exactly from the stored vectors, top 10.

    With `rerank`, the k nearest sentences are the exactly re-scored best k of `rerank * k`
    index candidates (`SentenceIndex.search`), else the index's own first k (`candidates`).
    """
    mine = {side: pop.rows(side, company) for side in ("need", "offer")}
    if rerank:
        parts = []
        for side, q_side in (("offer", "need"), ("need", "offer")):
            index = store.indexes[side]
            index.rerank_factor = rerank
            ids = index.search(mine[q_side], k_sent)[1]
            parts.append(np.unique(ids[ids >= 0] // MAX_SENTENCES_PER_TEXT))
        slots = np.union1d(*parts)
    else:
        slots = nearest_slots(store, mine["need"], mine["offer"], k_sent)
    slots = slots[slots != company]  # the bench's slot numbers are the company numbers
    total = store.best_scores("offer", mine["need"], slots) + store.best_scores(
        "need", mine["offer"], slots
    )
    return slots[np.argsort(-total, kind="stable")[:10]].tolist()


def suggest_joint(
    store: Any, pop: Population, company: int, target: int, k_sent: int = 0
) -> list[int]:
    """Company suggestion through the joint multi-index (`IndexStore.joint_candidates`): about
    `target` companies filed under the best (offer cell, need cell) pairs, scored exactly from
    the stored vectors (best need->offer plus best offer->need), top 10. With `k_sent`, the
    owners of each direction's `k_sent` nearest sentences are scored too (what the engine does)."""
    needs, offers = pop.rows("need", company), pop.rows("offer", company)
    slots = store.joint_candidates(needs, offers, target)
    if k_sent:
        slots = np.union1d(slots, nearest_slots(store, needs, offers, k_sent))
    slots = slots[slots != company]
    total = store.best_scores("offer", needs, slots) + store.best_scores("need", offers, slots)
    return slots[np.argsort(-total, kind="stable")[:10]].tolist()


def suggest_bounded(
    store: Any, pop: Population, company: int, k_sent: int, k_cap: int
) -> tuple[list[int], int]:
    """`suggest` with a stopping rule: double k until the 10th best combined score reaches
    the bound on any company not fetched (the k-th candidate score of each direction, the
    largest over the query's sentences, summed; PQ estimates) or k reaches `k_cap`.

    Returns:
        The top 10 and the k it stopped at.
    """
    mine = {side: pop.rows(side, company) for side in ("need", "offer")}
    k = k_sent
    while True:
        slots_parts, bound = [], 0.0
        for side, q_side in (("offer", "need"), ("need", "offer")):
            scores, ids = store.indexes[side].candidate_scores(mine[q_side], k)
            slots_parts.append(np.unique(ids[ids >= 0] // MAX_SENTENCES_PER_TEXT))
            bound += float(scores[:, -1].max()) if scores.shape[1] else -np.inf
        slots = np.union1d(*slots_parts)
        slots = slots[slots != company]
        total = store.best_scores("offer", mine["need"], slots) + store.best_scores(
            "need", mine["offer"], slots
        )
        order = np.argsort(-total, kind="stable")[:10]
        tenth = float(total[order[-1]]) if len(order) == 10 else -np.inf
        if tenth >= bound or k >= k_cap:
            return slots[order].tolist(), k
        k *= 2


class Measured:
    """Times a suggestion pipeline over the benchmark's queries and prints its result row."""

    def __init__(
        self,
        companies: int,
        queries: Sequence[int],
        truth: Sequence[Sequence[int]],
        total: np.ndarray,
        memory: float,
        build: str,
    ) -> None:
        self.companies, self.queries, self.truth, self.total = companies, queries, truth, total
        self.memory, self.build = memory, build

    def measure(self, name: str, run: Any, exact: Sequence[Sequence[int]] | None) -> None:
        """Time `run(company)` on one thread (page cache warmed first) and print its row.

        `exact` is the same pipeline's top 10 over an exact index ("index" recall); None when
        that is exact search itself.
        """
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            for c in self.queries[:20]:
                run(c)
            times, found = [], []
            for c in self.queries:
                t = time.perf_counter()
                found.append(run(c))
                times.append(time.perf_counter() - t)
        brute = overlap(found, self.truth)
        index = brute if exact is None else overlap(found, exact)
        company_row(self.companies, name, times, index, brute, self.memory, self.build)
        print(
            f"{self.companies:>9,d}  {'':<24} epsilon recall@10 (eps {EPSILON}): "
            f"{epsilon_recall(found, self.total):.3f}",
            flush=True,
        )


def evict(paths: Sequence[Path]) -> None:
    """Drop these files' pages from the page cache (cold reads)."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def bench_companies(
    companies: int,
    base_q: np.ndarray,
    base_p: np.ndarray,
    variants: Sequence[str],
    k_sents: Sequence[int],
    build_threads: Sequence[int],
    k_caps: Sequence[int] = (),
    reranks: Sequence[int] = (0,),
    templates: CompanyTemplates | None = None,
    joints: Sequence[int] = (),
    joint_ks: Sequence[int] = (),
) -> None:
    """Print exact vs approximate company suggestion latency, recall, memory and build time.

    Recall@10 is given twice: "index" against the same pipeline over an exact index (the
    exactly nearest `k_sent` sentences per query sentence, exact combined scores: what the
    approximate index loses), "brute" against the exact company ranking over every company
    (what the candidate strategy loses too). Memory counts the resident FAISS codes, the row
    tables and the memory-mapped re-rank vectors (they must stay in the page cache for the
    latency). Build threads after the first are timed for the first variant only.
    """
    import faiss
    from threadpoolctl import threadpool_limits

    from embeddings.index_store import IndexStore

    t = time.perf_counter()
    pop = Population(companies, base_q, base_p, templates)
    print(
        f"{companies:>9,d} companies: {len(pop.vectors['need']):,d} need + "
        f"{len(pop.vectors['offer']):,d} offer sentences (mean {pop.mean['need']:.2f} / "
        f"{pop.mean['offer']:.2f} per company), ready in {time.perf_counter() - t:.0f} s  "
        f"load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    rng = np.random.default_rng(SEED)
    queries = sorted(rng.choice(companies, COMPANY_QUERIES, replace=False).tolist())
    t = time.perf_counter()
    with threadpool_limits(2):
        total, nearest = exact_company_scores(pop, queries, k_max=max(k_sents))
    truth = top10(total).tolist()
    index_truth = {k: exact_index_top10(pop, queries, total, nearest, k) for k in k_sents}
    del nearest
    print(
        f"{companies:>9,d}  exact ground truth + exact-index pipeline, {len(queries)} queries, "
        f"2 BLAS threads: {time.perf_counter() - t:.1f} s",
        flush=True,
    )
    for k in k_sents:
        print(
            f"{companies:>9,d}  exact index, k={k}: brute recall@10 "
            f"{overlap(index_truth[k], truth):.3f} (ceiling of the candidate strategy)"
        )
    times = []
    with threadpool_limits(1):
        for c in queries[: 200 if companies <= 100_000 else 20]:
            t = time.perf_counter()
            top10(exact_company_scores(pop, [c], chunk=companies)[0])
            times.append(time.perf_counter() - t)
    exact_mem = sum(v.nbytes for v in pop.vectors.values()) / 2**20
    row(companies, "exact (numpy, 1 thr)", times, 1.0, exact_mem, "-")
    faiss.omp_set_num_threads(1)
    for v, name in enumerate(variants):
        kind, params = VARIANTS[name]
        for threads in build_threads if v == 0 else build_threads[:1]:
            folder = Path(tempfile.mkdtemp(prefix=f"speed_{name}_", dir=OUT))
            limits = {"flat": (10**12, 10**12), "ivfpq": (0, 0)}[kind]
            store = IndexStore(folder, "bench", DIM, *limits)
            for side in ("need", "offer"):
                store.indexes[side] = store.indexes[side].__class__(
                    DIM, kind, vector_dir=folder, vector_prefix=side, **params
                )
            items = (
                (f"c{c}", {s: pop.rows(s, c) for s in ("need", "offer")}) for c in range(companies)
            )
            t = time.perf_counter()
            with _build_threads(threads):
                store.put_many(items)
            build = time.perf_counter() - t
            store.save()
            faiss.omp_set_num_threads(1)
            codes = (
                sum(
                    len(ix.to_bytes()) + (ix.rerank.resident_bytes() if ix.rerank else 0)
                    for ix in store.indexes.values()
                )
                / 2**20
            )
            files = [ix.rerank.path for ix in store.indexes.values() if ix.rerank is not None]
            on_disk = sum(p.stat().st_size for p in files) / 2**20
            resident = codes + on_disk
            nlist = store.indexes["offer"].nlist
            label = f"{name} ivf{nlist}"
            build_s = f"{build:6.1f} s ({threads} thr)"
            if threads != build_threads[0]:
                print(f"{companies:>9,d}  {label:<24} build {build_s}", flush=True)
                shutil.rmtree(folder)
                continue
            row_of = Measured(companies, queries, truth, total, resident, build_s)
            for k_sent, rerank in ((k, r) for k in k_sents for r in reranks):
                row_of.measure(
                    f"{label} k={k_sent}" + (f" re-ranked x{rerank}" if rerank else ""),
                    lambda c, s=store, k=k_sent, r=rerank: suggest(s, pop, c, k, r),
                    index_truth[k_sent],
                )
            if joints:
                t = time.perf_counter()
                store.joint_candidates(pop.rows("need", 0), pop.rows("offer", 0), 1)
                print(
                    f"{companies:>9,d}  {'':<24} joint multi-index built from the IVF lists in "
                    f"{time.perf_counter() - t:.1f} s",
                    flush=True,
                )
            for target in joints:
                # Its exact counterpart is exact search over every company ("brute").
                row_of.measure(
                    f"{label} joint {target}",
                    lambda c, s=store, n=target: suggest_joint(s, pop, c, n),
                    None,
                )
                for k in joint_ks:
                    row_of.measure(
                        f"{label} joint {target} + k={k}",
                        lambda c, s=store, n=target, k=k: suggest_joint(s, pop, c, n, k),
                        None,
                    )
            for k_cap in k_caps:
                with threadpool_limits(1):
                    times, found, stops = [], [], []
                    for c in queries:
                        t = time.perf_counter()
                        got, stop = suggest_bounded(store, pop, c, k_sents[0], k_cap)
                        times.append(time.perf_counter() - t)
                        found.append(got)
                        stops.append(stop)
                label_b = f"{label} k={k_sents[0]}..{k_cap} bound"
                company_row(
                    companies,
                    label_b,
                    times,
                    float("nan"),
                    overlap(found, truth),
                    resident,
                    build_s,
                )
                print(
                    f"{companies:>9,d}  {'':<24} stopped by the bound: "
                    f"{np.mean(np.array(stops) < k_cap):.2f}, mean k {np.mean(stops):.0f}",
                    flush=True,
                )
            if files:
                codec = store.indexes["offer"].rerank.codec
                print(
                    f"{companies:>9,d}  {'':<24} memory: {codes:,.0f} MiB codes + row tables, "
                    f"{on_disk:,.0f} MiB {codec} re-rank vectors (mmapped)"
                )
                cold = []
                with threadpool_limits(1):
                    for c in queries[:30]:
                        evict(files)
                        t = time.perf_counter()
                        suggest(store, pop, c, k_sents[0])
                        cold.append(time.perf_counter() - t)
                p50, p99 = percentiles(cold)
                print(
                    f"{companies:>9,d}  {label} k={k_sents[0]} cold page cache: p50 {p50:.2f} ms  max {max(cold) * 1000:.2f} ms",
                    flush=True,
                )
            del store
            shutil.rmtree(folder)


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
    parser.add_argument(
        "--companies", default="", help="company-level scenario sizes, e.g. 10000,100000,1000000"
    )
    parser.add_argument("--variants", default="pq48", help=f"of {','.join(VARIANTS)}")
    parser.add_argument("--k-sent", default="50", help="sentences fetched per query sentence")
    parser.add_argument("--build-threads", default="1", help="e.g. 1,2 (first one is timed)")
    parser.add_argument(
        "--rerank",
        default="0",
        help="sentence re-rank factors, e.g. 0,4 (0: the index's own first k sentences)",
    )
    parser.add_argument(
        "--population",
        choices=("companies", "sentences"),
        default="companies",
        help="companies: replicate real companies (need and offer together); sentences: draw "
        "every sentence on its own (a company's sentences then share no business)",
    )
    parser.add_argument(
        "--joint",
        default="",
        help="also time the joint multi-index with these candidate targets, e.g. 300,600,1000",
    )
    parser.add_argument(
        "--joint-k",
        default="",
        help="also time each joint target together with each direction's k nearest sentences",
    )
    parser.add_argument(
        "--k-cap", default="", help="also time the bounded stopping rule up to these k, e.g. 800"
    )
    args = parser.parse_args()
    print(
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}  "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}  cpus={os.cpu_count()}  "
        f"faiss {faiss.__version__}  load avg {os.getloadavg()[0]:.1f}"
    )
    sizes = [10_000] if args.quick else [int(s) for s in args.sizes.split(",") if s]
    base_q, base_p = base_vectors()
    if args.companies:
        templates = CompanyTemplates() if args.population == "companies" else None
        print(
            f"population: {args.population}"
            + (
                f" ({len(templates.templates)} real company templates, "
                f"{templates.distinct} distinct)"
                if templates
                else " (every sentence drawn on its own)"
            )
        )
        for count in (int(c) for c in args.companies.split(",")):
            bench_companies(
                count,
                base_q,
                base_p,
                args.variants.split(","),
                [int(k) for k in args.k_sent.split(",")],
                [int(t) for t in args.build_threads.split(",")],
                [int(k) for k in args.k_cap.split(",") if k],
                [int(r) for r in args.rerank.split(",")],
                templates,
                [int(t) for t in args.joint.split(",") if t],
                [int(k) for k in args.joint_k.split(",") if k],
            )
        return
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

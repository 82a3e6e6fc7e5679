"""FAISS sentence indexes, one per side (offer sentences, need sentences), kept in a folder.

Each company gets a slot number; a sentence's FAISS id is `slot * MAX_SENTENCES_PER_TEXT +
sentence index`, so a hit maps back to (company id, sentence index) without a per-sentence table.

Index kind is chosen by size (`choose_kind`): exact `IndexFlatIP` (behind `IndexIDMap2`, which
supports `remove_ids`) up to `EXACT_LIMIT` sentences per side, IVF over float16 vectors
(`IndexIVFScalarQuantizer` QT_fp16, inner product, `ivf_nlist` lists) up to `PQ_LIMIT`, and
"ivfpq" above it: IVF-PQ codes (`IndexIVFPQ`, `PQ_M` = 48 bytes a vector, 8 bits) in RAM for
candidates, re-ranked from copies of the vectors in an append-only file of the index folder read
through a memory map (`RerankVectors`: `<side>.<token>.sq8` plus the row table `<side>.rows.npy`;
9 bytes a row stay in RAM). The copies are 8-bit scalar-quantized (`RERANK_CODEC` "sq8": 384
bytes a vector, per-dimension range from the first vectors; score error std 0.0002, 16x that of
float16) or float16 ("f16", 768 bytes). `PQ_LIMIT` = 1 000 000 sentences per side is set on
memory: IVF-fp16 costs 776 bytes a vector (both sides at the limit: 1.5 GB), IVF-PQ with sq8
copies 56 resident bytes plus 384 that must stay in the page cache for the latency (a million
companies, about 2 sentences a side, 4 million vectors: 1.7 GiB in all, where IVF-fp16 would
take 3 GB and IVF-PQ with float16 copies 3.1 GiB, against the 2.5 GB budget).

`bench/matching_speed.py` (one query thread, 384-d, vectors replicated from ~4 400 distinct
embedded company texts with noise at their nearest-neighbour scale) measured on this 2-core VM:

- exact: p50 0.25 ms at 10k, 8-9.4 ms (p99 8.6-9.9 ms quiet, 18 ms loaded) at 100k, 62-78 ms
  at 1M.
  `EXACT_LIMIT` = 50 000 sentences (about 15 000 companies) keeps its p99 under the 10 ms budget
  even on a loaded machine, and every event of a few thousand companies exact.
- IVF-fp16 at 1M (2048 lists, 41 scanned): p50 0.9 ms, p99 5 ms, recall@10 0.998, 743 MiB,
  built (k-means on a 50 000 sample, then assignment) in 28-46 s; at 100k 0.8 ms, recall 0.998.
- rejected: IVF-SQ8 (380 MiB) tops out at recall@10 0.94 (8-bit error among close neighbours);
  IVF-Flat is as accurate as fp16 at twice the memory (1.5 GB); 4096 lists at 1M doubled the
  build (95 s) for no recall; HNSW-SQ8 stays at recall 0.93-0.96 at 100k (M 16/32,
  efConstruction 40/100, efSearch up to 512), and HNSW-fp16 (M=32, efConstruction=40) reached
  only 0.86 at 1M with efSearch 512 (dense clusters of near-duplicates hurt the graph), and it
  cannot remove vectors.

Company-level scale (`python bench/matching_speed.py --companies 1000000,100000 --variants
pq48sq8,pq48 --k-sent 100,200 --rerank 0,4 --k-cap 3200 --build-threads 1,2`, load avg 1.0-2.8
with other work on the 2 cores): companies get the (need, offer) sentence counts of the dev set
and the demo generator (1-3 each, mean 2.0 a side), needs replicated from query-role vectors,
offers from passage-role ones. A suggestion takes the companies owning the k nearest sentences
of each of its sentences, both directions (`candidate_slots`: the index's own first k; "x4": the
best k of 4k after exact re-scoring, `SentenceIndex.search`), scores them exactly from the stored
vectors (`best_scores`: best need->offer plus best offer->need) and keeps the top 10. Recall@10,
200 queries, one thread: "index" against the same pipeline over an exact index (the issue's
"approximate index against exact"), "brute" against the exact company ranking over every company:

- 100k companies (200k sentences a side): exact numpy p50 157 ms. The exact index's pipeline
  reaches brute 0.823 (k=100), 0.966 (k=200). IVF1024-PQ48 + sq8, 175 MiB in all, build 33 s:
  k=100 p50 5.1 ms, p99 7.8 ms, index 0.858; k=100 x4 p50 7.3, p99 12.7 ms, index 0.970;
  k=200 p50 6.8 ms, p99 10.3 ms, index 0.956, brute 0.943; k=200 x4 p50 11.0, p99 16.2 ms,
  index 0.984, brute 0.957. With float16 copies (321 MiB): k=200 index 0.966, brute 0.951.
- 1M companies (2.0M need + 2.0M offer sentences): exact p50 1.65 s (5.8 GB of float32). The
  exact index's pipeline reaches only brute 0.265 (k=100), 0.456 (k=200): with ~450 near-copies
  of every distinct text the best combined partners are not among the few hundred nearest
  sentences of either direction alone. IVF2048-PQ48 + sq8: 254 MiB codes and row tables + 1 462
  MiB sq8 copies = 1 716 MiB; build (train + add, both sides) 183 s on 1 thread, 133 s on 2;
  k=100 p50 5.8 ms, p99 21 ms, index 0.390; k=100 x4 p50 8.3, p99 15 ms, index 0.812; k=200
  p50 8.4, p99 17 ms, index 0.558; k=200 x4 p50 12.6 ms, p99 23 ms, index 0.896, brute 0.457;
  cold page cache p50 5.7 ms. Float16 copies (3 178 MiB in all, build 165 s) gain little:
  k=200 x4 index 0.933, p50 16.5 ms, p99 115 ms. So at 1M memory and build meet the targets,
  latency (p99 <= 10 ms) and index recall (>= 0.95) do NOT: the best point, k=200 x4, misses
  p99 by 13 ms and recall by 0.054; k=100 misses p99 by 11 ms at recall 0.39.
- a stopping rule (`bench/matching_speed.py` `suggest_bounded`: double k from 100 until the 10th
  best combined score reaches the sum over both directions of the largest k-th PQ score, at
  most 3200) reaches brute 0.966 at 1M (0.981 at 100k, where it stops at k 330 on average)
  but needs k 1 600 on average: p50 88 ms, p99 238 ms (100k: p50 16.5, p99 50 ms).
- rejected: float16 re-rank copies at 1M (above: 3.1 GiB against 2.5 GB, for +0.04 index
  recall). 4-bit fast-scan PQ (`IndexIVFPQFastScan`, 96 x 4 bits, same 48 bytes) is faster
  (100k: k=100 p50 4.0 ms) but its candidate order is worse: brute 0.638 (k=100), 0.807
  (k=200) at 100k, 0.136 / 0.261 at 1M. A joint index of (offer_j, need_l) concatenations per
  company (768-d, one MIPS search for both directions, IVF1024-PQ96) reached only brute 0.913
  at k=100 (p99 20 ms) at 100k and built in 277 s.

Joint candidates (`joint_candidates`, `embeddings.joint_index`, what the engine uses once both
sides are IVF, together with each direction's 50 nearest sentences, which the coarse lists of
30k-100k companies need: recall@10 0.97-0.98 there instead of 0.92-0.95): an inverted
multi-index over (offer list, need list) pairs, read from the two indexes' inverted lists
(12-15 s at 1M companies, 4.0M entries, about 100 MB), files every company under the list pairs
of its sentences; a query reads the entries of its best lists of
either side, scores each by the sum of its two centroid scores and proposes the best
`JOINT_TARGET` companies for exact scoring: partners good in both directions together, which the
per-direction candidates above miss, and strong one-way partners too. Small additions are filed
in place (one centroid product); a retrained side, a large batch or many removals rebuild it
lazily. Measured 2026-11-25 17:20 (`make bench-scale`; 200 queries, one thread, per-direction
k=200 of the same runs in brackets), recall@10 against exact search over every company ("brute"):

- 1M companies, sentences drawn independently: 600 candidates p99 3.9 ms, recall 0.946; 800: p50
  4.1 ms, p99 4.9 ms, recall 0.955, epsilon recall 0.995; 1 000: p99 5.9 ms, 0.960 (k=200: p99
  7.3 ms, 0.396, epsilon 0.817). The 1M target is met here at 800 candidates.
- 1M companies replicated as wholes: 800 candidates p99 4.5 ms, recall 0.719, epsilon 1.000;
  2 000: p99 8.8 ms, 0.822; 3 000: p99 14.6 ms, 0.860 (k=200: p99 10.6 ms, 0.436, epsilon 0.980).
- 100k companies, sentences drawn independently: 1 000 candidates p99 3.4 ms, recall 0.954 (k=200:
  p99 6.2 ms, 0.937). 10k with IVF256 forced: 1 000 candidates 0.927 (coarse lists; the engine
  scores every company exactly up to `EXACT_COMPANIES`).

The exact scoring of the candidates finds each company's rows through a per-company offset
table (`RerankVectors.group_rows`) and gathers them from a plain view of the memory map: 800
candidates at 1M went from p99 6.3 to 4.1 ms in one process. (Earlier the same day, on a VM
running about 1.8x slower and before that change, 600 candidates read p99 9.5 ms.)
With whole companies replicated ~80 times the exact top 10 is decided among near-copies (at 1M a
median 18 companies lie within 0.002 of the 10th best score), so strict recall grows only with
the candidates scored exactly (about 4 us each here, candidate generation included). Reading only the list pairs whose both
lists are among the best (the classic multi-index walk) was as fast at 1M (600: p99 14 ms,
recall 0.679 on whole companies) but lost the one-way partners: 0.77 at 100k on independent
sentences whatever the target. Reading every best list in full cost p99 23 ms at 1M (lists of
near-duplicates are full), hence the entry budget (`ENTRY_BUDGET`).

IVF scans `nprobe` lists or, while lists are short, as many as hold `IVF_SCAN_BUDGET` vectors
(`SentenceIndex.probes`). An IVF index is trained on its first batch (`rebuild` gives it all
vectors at once) and retrained from its stored vectors when its size calls for twice the lists
(`needs_retraining`, about each 4x growth: a put then takes ~30 s at 1M). IVF and flat remove
vectors physically (`remove_ids`, ~5 ms at 1M); HNSW (still loadable, and converted to IVF on the
next change of a large store) cannot: removed ids are remembered, filtered out of results, and
the index is rebuilt from its own stored vectors once they exceed `REBUILD_DELETED_SHARE` of it.

FAISS uses OpenMP; one query on two threads was 5-80x slower than on one on the shared-core VM,
so searches and removals run with `omp_set_num_threads(1)`. Builds use `BUILD_THREADS` = 1: on
this VM a second thread did not reliably speed them up (IVF-fp16 1M: 29.5 s on 1 thread, 45.7 s
on 2, in another run 27.8 s vs 33.0 s; 100k: 2.9 s vs 1.6-3.1 s; IVF-PQ 100k companies: 35 s vs
74 s at load 3-4, 33 s vs 21 s at load 1.1; 1M companies 183 s vs 133 s at load 1.2, both within
the 5-minute budget on 1) and the other core stays free for queries. faiss is imported lazily.

Files are written to a temporary name and moved in place with `os.replace`; `manifest.json` is
written last and names the model, dimension, counts, index kinds and whatever the caller adds
(centering statistics). Loading an index made with another model or dimension raises
`EmbeddingError`.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import secrets
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from embeddings.joint_index import JOINT_CELLS, JOINT_TARGET, JointCells, spans
from matchmaking.errors import EmbeddingError
from matchmaking.text import MAX_SENTENCES

log = logging.getLogger(__name__)

MAX_SENTENCES_PER_TEXT = 64
EXACT_LIMIT = 50_000
REBUILD_DELETED_SHARE = 0.2
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 40
HNSW_EF_SEARCH = 128
IVF_NPROBE = 16
IVF_SCAN_BUDGET = 20_000
IVF_MAX_NLIST = 4096
IVF_POINTS_PER_LIST = 39
IVF_TRAIN_SAMPLE = 50_000
IVF_TRAIN_ITERATIONS = 10
BUILD_THREADS = 1
PQ_LIMIT = 1_000_000
PQ_M = 48
PQ_NBITS = 8
RERANK_FACTOR = 4
RERANK_CODECS = ("f16", "sq8")
RERANK_CODEC = "sq8"
SQ8_MARGIN = 0.05
SQ8_MIN_TRAIN = 1_000
RERANK_MIN = 64
# A batch of more sentences than this share of the joint multi-index rebuilds it (not filed).
JOINT_REFRESH_SHARE = 0.1
MANIFEST = "manifest.json"
FORMAT_VERSION = 1
SIDES = ("need", "offer")
KINDS = ("flat", "ivf", "hnsw", "ivfpq")
# Upgrade order: a store moves to a larger kind as it grows, never back (no flapping).
KIND_RANK = {"flat": 0, "hnsw": 0, "ivf": 1, "ivfpq": 2}

assert MAX_SENTENCES < MAX_SENTENCES_PER_TEXT


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover - faiss-cpu is a dependency
        raise EmbeddingError("The FAISS library is missing; install faiss-cpu.") from exc
    return faiss


def choose_kind(count: int, exact_limit: int = EXACT_LIMIT, pq_limit: int = PQ_LIMIT) -> str:
    """Return "flat" (exact) up to `exact_limit` vectors, "ivf" up to `pq_limit`, else "ivfpq"."""
    if count <= exact_limit:
        return "flat"
    return "ivf" if count <= pq_limit else "ivfpq"


def pq_subquantizers(dim: int, wanted: int = PQ_M) -> int:
    """Return the largest divisor of `dim` not above `wanted` (PQ splits the vector evenly)."""
    return max(m for m in range(1, min(dim, wanted) + 1) if dim % m == 0)


def ivf_nlist(count: int) -> int:
    """Return the IVF list count for `count` vectors.

    The power of two nearest to 2 * sqrt(count), at most `IVF_MAX_NLIST`, and small enough to
    leave `IVF_POINTS_PER_LIST` vectors per list (1 for tiny indexes): 512 at 50 000 vectors,
    1024 from about 130 000, 2048 from about 520 000, 4096 from about 2.1 million.
    """
    if count < 2 * IVF_POINTS_PER_LIST:
        return 1
    nlist = 2 ** round(math.log2(2 * math.sqrt(count)))
    while nlist > 1 and nlist * IVF_POINTS_PER_LIST > count:
        nlist //= 2
    return int(min(nlist, IVF_MAX_NLIST))


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to a temporary file beside `path` and move it in place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def _omp_threads(count: int) -> Iterator[None]:
    """Run the block with `count` OpenMP threads, then restore the previous setting."""
    faiss = _faiss()
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


class RerankVectors:
    """Copies of an index's vectors: an append-only file read through a memory map.

    Row r of `<prefix>.<token>.<codec>` holds the vector of `ids[r]`, as float16 ("f16", 2
    bytes a dimension) or 8-bit scalar-quantized ("sq8", 1 byte a dimension: per-dimension
    range taken from the first vectors appended, widened by `SQ8_MARGIN` of it on each side,
    clipped beyond; the range is the file's header). The ids and a live flag per row stay in
    RAM (9 bytes a row). Rows are only ever appended: a removed vector's row is
    marked dead and dropped by `compacted`, which writes a new file under a new token, so the
    file a saved manifest names is never rewritten. Rows appended after the last `flush` are
    cut off when the file is opened again with the saved row table (`open`).
    """

    def __init__(
        self,
        dim: int,
        directory: Path | None,
        prefix: str,
        token: str = "",
        codec: str = RERANK_CODEC,
    ) -> None:
        """Create an empty table writing to a new file (nothing is written yet).

        Args:
            dim: Vector dimension.
            directory: Folder of the file; None: a private temporary folder, removed with
                this object.
            prefix: File name prefix (the side, e.g. "offer").
            token: File token; empty: a random one.
            codec: "f16" or "sq8" (see the class docstring).

        Raises:
            ValueError: For an unknown codec.
        """
        if codec not in RERANK_CODECS:
            raise ValueError(f"unknown vector codec {codec!r}")
        # A private folder is removed when the last table using it is collected.
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        if directory is None:
            self._folder = tempfile.TemporaryDirectory(prefix="matchbot-vectors-")
            directory = Path(self._folder.name)
        self.dim = dim
        self.codec = codec
        # sq8: per-dimension lowest value and step, set by the first append (the header).
        self._low: npt.NDArray[np.float32] | None = None
        self._step: npt.NDArray[np.float32] | None = None
        self.directory = Path(directory)
        self.prefix = prefix
        self.token = token or secrets.token_hex(4)
        self._ids = np.zeros(0, np.int64)
        self._live = np.zeros(0, bool)
        self.rows = 0
        self._sorted = True
        self._order: npt.NDArray[np.int64] | None = None
        # (width, sorted position of the first id of each group): see `group_rows`.
        self._group_starts: tuple[int, npt.NDArray[np.int64]] | None = None
        self._writer: Any = None
        self._map: npt.NDArray[Any] | None = None

    @property
    def path(self) -> Path:
        """Return the vector file's path."""
        return self.directory / f"{self.prefix}.{self.token}.{self.codec}"

    @property
    def header_bytes(self) -> int:
        """Return the size of the file header (sq8: the float32 range, 8 bytes a dimension)."""
        return 8 * self.dim if self.codec == "sq8" else 0

    @property
    def row_bytes(self) -> int:
        """Return the bytes a row takes in the file."""
        return self.dim if self.codec == "sq8" else 2 * self.dim

    def file_bytes(self) -> int:
        """Return the size of the rows written so far, header included (page cache use)."""
        return self.header_bytes + self.rows * self.row_bytes

    def set_range(self, low: npt.NDArray[np.float32], high: npt.NDArray[np.float32]) -> None:
        """Set the sq8 range before the first append (else the first vectors set it)."""
        lo = np.asarray(low, np.float32).reshape(self.dim)
        hi = np.maximum(np.asarray(high, np.float32).reshape(self.dim), lo + 1e-6)
        self._low, self._step = lo, ((hi - lo) / 255.0).astype(np.float32)

    def _encode(self, vectors: npt.NDArray[np.float32]) -> bytes:
        """Return the file rows of these vectors (sq8: sets the range on the first call).

        The range comes from the first vectors when there are at least `SQ8_MIN_TRAIN` of
        them (an IVF-PQ index gets all its vectors at once), else it is [-1, 1], safe for
        unit vectors but about 5 times coarser for real embeddings.
        """
        if self.codec == "f16":
            return bytes(np.ascontiguousarray(vectors, dtype=np.float16).tobytes())
        if self._low is None:
            if len(vectors) >= SQ8_MIN_TRAIN:
                low, high = vectors.min(axis=0), vectors.max(axis=0)
                margin = SQ8_MARGIN * (high - low)
                self.set_range(low - margin, high + margin)
            else:
                self.set_range(np.full(self.dim, -1.0, np.float32), np.ones(self.dim, np.float32))
        assert self._low is not None and self._step is not None
        codes = np.rint((np.asarray(vectors, np.float32) - self._low) / self._step)
        return bytes(np.clip(codes, 0, 255).astype(np.uint8).tobytes())

    @property
    def live_count(self) -> int:
        """Return how many rows are live."""
        return int(self._live[: self.rows].sum())

    def dead_share(self) -> float:
        """Return the share of rows that belong to removed vectors."""
        return 1.0 - self.live_count / self.rows if self.rows else 0.0

    def resident_bytes(self) -> int:
        """Return the RAM held by the row table (the vectors stay in the page cache)."""
        return int(self._ids.nbytes + self._live.nbytes)

    def append(self, ids: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> None:
        """Append vectors under ids that are not live yet.

        Raises:
            ValueError: If an id is already live.
        """
        if len(ids) == 0:
            return
        if self.rows and bool((self.row_of(ids) >= 0).any()):
            raise ValueError("ids must not be present in the index")
        data = self._encode(vectors)
        if self._writer is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            new = not self.path.exists() or self.path.stat().st_size == 0
            self._writer = open(self.path, "ab")
            if new and self.codec == "sq8":
                assert self._low is not None and self._step is not None
                self._writer.write(np.concatenate([self._low, self._step]).tobytes())
        self._writer.write(data)
        end = self.rows + len(ids)
        if end > len(self._ids):
            capacity = max(end, 2 * len(self._ids), 1024)
            self._ids = np.resize(self._ids, capacity)
            self._live = np.resize(self._live, capacity)
        if self._sorted and self.rows and int(ids.min()) <= int(self._ids[self.rows - 1]):
            self._sorted = False
        self._sorted = self._sorted and bool(np.all(np.diff(ids) > 0))
        self._ids[self.rows : end] = ids
        self._live[self.rows : end] = True
        self.rows = end
        self._order = None
        self._group_starts = None

    def row_of(self, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Return each id's live row, or -1."""
        keys = np.asarray(ids, dtype=np.int64)
        if self.rows == 0:
            return np.full(keys.shape, -1, np.int64)
        table, order = self._id_order()
        if order is None:
            pos = np.searchsorted(table, keys)
        else:
            # The newest row of an id re-added after removal is the last of its equals.
            pos = np.searchsorted(table, keys, side="right") - 1
        pos = np.clip(pos, 0, self.rows - 1)
        rows = pos if order is None else order[pos]
        found = (self._ids[rows] == keys) & self._live[rows]
        return np.where(found, rows, -1).astype(np.int64)

    def _id_order(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64] | None]:
        """Return the ids sorted, and the rows in that order (None: the rows are sorted)."""
        table = self._ids[: self.rows]
        if self._sorted:
            return table, None
        if self._order is None:
            # Stable, so rows of one id keep their append order.
            self._order = np.argsort(table, kind="stable").astype(np.int64)
        return table[self._order], self._order

    def group_rows(
        self, groups: npt.NDArray[np.int64], width: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Return the live rows of each group's ids, and their counts.

        Group g holds the ids in [g * width, (g + 1) * width) (a company's sentences). The first
        row of every group is kept in a table built once per `width` and dropped on append, so
        a lookup is two reads per group instead of two binary searches over every row.
        """
        table, order = self._id_order()
        if self._group_starts is None or self._group_starts[0] != width:
            last = int(table[-1]) // width + 1 if len(table) else 0
            sizes = np.bincount(table // width, minlength=last)
            self._group_starts = (width, np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64))
        starts = self._group_starts[1]
        wanted = np.asarray(groups, np.int64)
        known = (wanted >= 0) & (wanted < len(starts) - 1)
        keys = np.where(known, wanted, 0)
        start = starts[keys]
        counts = np.where(known, starts[keys + 1] - start, 0)
        rows = spans(start, counts)
        if order is not None:
            rows = order[rows]
        keep = self._live[rows]
        if not bool(keep.all()):
            counts = np.bincount(
                np.repeat(np.arange(len(counts)), counts)[keep], minlength=len(counts)
            ).astype(np.int64)
            rows = rows[keep]
        return rows, counts.astype(np.int64)

    def dot(self, queries: npt.NDArray[np.float32], rows: npt.NDArray[np.int64]) -> Any:
        """Return `queries @ read(rows).T` without decoding the rows first.

        An 8-bit row decodes to `code * step + low`, so its inner product with q is
        `code . (q * step) + q . low`: one pass over the codes instead of three.
        """
        q = np.asarray(queries, np.float32).reshape(-1, self.dim)
        decoded = np.take(self._vectors(), rows, axis=0).astype(np.float32)
        offset = np.zeros(len(q), np.float32)
        if self.codec == "sq8":
            assert self._low is not None and self._step is not None
            offset = (q @ self._low.astype(np.float32)).astype(np.float32)
            q = (q * self._step).astype(np.float32)
        # One matrix-vector product per query row: 2-3x faster than the skinny (q, rows) product.
        return np.stack([decoded @ row for row in q]) + offset[:, None]

    def remove(self, ids: npt.NDArray[np.int64]) -> None:
        """Mark the rows of these ids dead (unknown ids are ignored)."""
        rows = self.row_of(ids)
        self._live[rows[rows >= 0]] = False

    def _vectors(self) -> npt.NDArray[Any]:
        """Return every row written so far (float16 or uint8 codes), memory-mapped.

        A plain ndarray view of the map: gathering rows from it skips `np.memmap`'s per-call
        wrapping (about 1/3 of the gather time for a suggestion's candidates).
        """
        if self._map is None or len(self._map) != self.rows:
            if self._writer is not None:
                self._writer.flush()
            dtype = np.uint8 if self.codec == "sq8" else np.float16
            self._map = (
                np.memmap(
                    self.path,
                    dtype=dtype,
                    mode="r",
                    offset=self.header_bytes,
                    shape=(self.rows, self.dim),
                ).view(np.ndarray)
                if self.rows
                else np.zeros((0, self.dim), dtype)
            )
        return self._map

    def read(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """Return the (decoded) vectors of these rows as float32."""
        raw = np.take(self._vectors(), rows, axis=0)
        if self.codec == "f16":
            return np.asarray(raw, dtype=np.float32)
        assert self._low is not None and self._step is not None
        return (raw.astype(np.float32) * self._step + self._low).astype(np.float32)

    def live_items(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Return the live ids and their vectors (float32), in row order."""
        rows = np.flatnonzero(self._live[: self.rows]).astype(np.int64)
        return self._ids[rows].copy(), self.read(rows)

    def compacted(self) -> RerankVectors:
        """Return a copy without dead rows, sorted by id, in a new file."""
        fresh = RerankVectors(self.dim, self.directory, self.prefix, codec=self.codec)
        fresh._folder = self._folder
        fresh._low, fresh._step = self._low, self._step  # decoded rows re-encode unchanged
        rows = np.flatnonzero(self._live[: self.rows]).astype(np.int64)
        rows = rows[np.argsort(self._ids[rows], kind="stable")]
        for start in range(0, len(rows), 100_000):
            chunk = rows[start : start + 100_000]
            fresh.append(self._ids[chunk], self.read(chunk))
        fresh.flush()
        return fresh

    def flush(self) -> None:
        """Write buffered rows through to disk (fsync)."""
        if self._writer is not None:
            self._writer.flush()
            os.fsync(self._writer.fileno())

    def close(self) -> None:
        """Close the append handle and the memory map."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._map = None

    def row_table(self) -> npt.NDArray[np.int64]:
        """Return the saved form of the row table: the id per row, `~id` for a dead row."""
        ids = self._ids[: self.rows]
        return np.where(self._live[: self.rows], ids, ~ids).astype(np.int64)

    @classmethod
    def open(
        cls,
        dim: int,
        directory: Path,
        prefix: str,
        token: str,
        table: Any,
        codec: str = "f16",
    ) -> RerankVectors:
        """Open a saved file with its row table, cutting off rows written after the save.

        Raises:
            EmbeddingError: If the file holds fewer rows than the table.
        """
        store = cls(dim, directory, prefix, token, codec)
        saved = np.asarray(table, dtype=np.int64).reshape(-1)
        size = store.header_bytes + len(saved) * store.row_bytes if len(saved) else 0
        if not store.path.exists() or store.path.stat().st_size < size:
            raise EmbeddingError(
                "The vector file {path} is missing or shorter than its manifest says.",
                path=str(store.path),
            )
        if store.path.stat().st_size > size:
            os.truncate(store.path, size)
        store._live = saved >= 0
        store._ids = np.where(store._live, saved, ~saved).astype(np.int64)
        store.rows = len(saved)
        store._sorted = bool(np.all(np.diff(store._ids) > 0))
        if codec == "sq8" and store.path.stat().st_size >= store.header_bytes > 0:
            head = np.fromfile(store.path, dtype=np.float32, count=2 * dim)
            store._low, store._step = head[:dim].copy(), head[dim:].copy()
        return store


class SentenceIndex:
    """One FAISS index of unit vectors with int64 ids (exact, IVF, IVF-PQ or HNSW), with removal."""

    def __init__(
        self,
        dim: int,
        kind: str = "flat",
        hnsw_m: int = HNSW_M,
        ef_search: int = HNSW_EF_SEARCH,
        quantized: bool = True,
        nprobe: int = IVF_NPROBE,
        scan_budget: int = IVF_SCAN_BUDGET,
        pq_m: int = PQ_M,
        pq_nbits: int = PQ_NBITS,
        rerank_factor: int = RERANK_FACTOR,
        vector_dir: Path | None = None,
        vector_prefix: str = "vectors",
        rerank_codec: str = RERANK_CODEC,
    ) -> None:
        """Create an empty index.

        Args:
            dim: Vector dimension.
            kind: "flat" (exact), "ivf" (inverted lists of float16 vectors), "ivfpq" (inverted
                lists of PQ codes, re-ranked from copies of the vectors in a file) or "hnsw".
            hnsw_m: HNSW graph degree.
            ef_search: HNSW search breadth.
            quantized: IVF stores float16 vectors, HNSW 8-bit scalar-quantized ones (else
                both store float32).
            nprobe: Fewest IVF lists scanned per query.
            scan_budget: IVF scans more lists while they hold about this many vectors in
                all (see `probes`); 0 scans exactly `nprobe` lists.
            pq_m: IVF-PQ code bytes per vector (sub-quantizers, a divisor of `dim`) at 8 bits.
            pq_nbits: Bits per sub-quantizer: 8 (`IndexIVFPQ`) or 4 (the SIMD fast-scan
                `IndexIVFPQFastScan`, `pq_m` / 2 bytes).
            rerank_factor: IVF-PQ fetches `rerank_factor * k` candidates (at least
                `RERANK_MIN`) and re-ranks them exactly.
            vector_dir: Folder of the IVF-PQ re-rank vector file (None: a temporary folder).
            vector_prefix: Its file name prefix.
            rerank_codec: How that file stores vectors: "sq8" (1 byte a dimension) or "f16".
        """
        if kind not in KINDS:
            raise ValueError(f"unknown index kind {kind!r}")
        self.dim = dim
        self.kind = kind
        self.hnsw_m = hnsw_m
        self.ef_search = ef_search
        self.quantized = quantized
        self.nprobe = nprobe
        self.scan_budget = scan_budget
        self.pq_m = pq_subquantizers(dim, pq_m)
        self.pq_nbits = pq_nbits
        self.rerank_factor = rerank_factor
        self.vector_dir = vector_dir
        self.vector_prefix = vector_prefix
        self.rerank_codec = rerank_codec
        self.deleted: set[int] = set()
        self.rerank: RerankVectors | None = self._new_rerank(kind)
        self._index: Any = self._empty(kind, 0)
        # Bumped whenever the IVF lists change meaning (trained or rebuilt): `JointCells` built
        # from older lists are stale.
        self.generation = 0

    def _new_rerank(self, kind: str) -> RerankVectors | None:
        """Return an empty re-rank vector table for an IVF-PQ index (None for other kinds)."""
        if kind != "ivfpq":
            return None
        return RerankVectors(self.dim, self.vector_dir, self.vector_prefix, codec=self.rerank_codec)

    def _empty(self, kind: str, count: int) -> Any:
        """Return an empty FAISS index of `kind` sized for `count` vectors (IVF lists)."""
        faiss = _faiss()
        if kind == "flat":
            return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
        if kind in ("ivf", "ivfpq"):
            nlist = ivf_nlist(count)
            quantizer = faiss.IndexFlatIP(self.dim)
            if kind == "ivfpq":
                ivf = self._empty_pq(quantizer, nlist, count)
            elif self.quantized:
                ivf = faiss.IndexIVFScalarQuantizer(
                    quantizer,
                    self.dim,
                    nlist,
                    faiss.ScalarQuantizer.QT_fp16,
                    faiss.METRIC_INNER_PRODUCT,
                )
            else:
                ivf = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
            ivf.own_fields = True
            quantizer.this.disown()
            ivf.cp.niter = IVF_TRAIN_ITERATIONS
            ivf.cp.spherical = True
            ivf.cp.min_points_per_centroid = IVF_TRAIN_SAMPLE // IVF_MAX_NLIST
            ivf.nprobe = min(self.nprobe, nlist)
            return ivf
        if self.quantized:
            inner = faiss.IndexHNSWSQ(
                self.dim, faiss.ScalarQuantizer.QT_8bit, self.hnsw_m, faiss.METRIC_INNER_PRODUCT
            )
        else:
            inner = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        inner.hnsw.efSearch = self.ef_search
        return faiss.IndexIDMap2(inner)

    def _empty_pq(self, quantizer: Any, nlist: int, count: int) -> Any:
        """Return an empty IVF-PQ index (8-bit codes, or 4-bit fast-scan ones)."""
        faiss = _faiss()
        ip = faiss.METRIC_INNER_PRODUCT
        if self.pq_nbits == 4:
            fast = faiss.IndexIVFPQFastScan(quantizer, self.dim, nlist, self.pq_m, 4, ip)
            fast.pq.cp.min_points_per_centroid = 1
            return fast
        # Few training vectors (small test indexes) get fewer centroids per sub-quantizer.
        nbits = max(1, min(self.pq_nbits, int(math.log2(max(2, min(count, IVF_TRAIN_SAMPLE))))))
        ivf = faiss.IndexIVFPQ(quantizer, self.dim, nlist, self.pq_m, nbits, ip)
        ivf.pq.cp.min_points_per_centroid = 1
        return ivf

    def __len__(self) -> int:
        return int(self._index.ntotal) - len(self.deleted)

    @property
    def ntotal(self) -> int:
        """Vectors physically in the index (removed HNSW ids included)."""
        return int(self._index.ntotal)

    @property
    def nlist(self) -> int:
        """IVF list count (0 for the other kinds)."""
        return int(self._index.nlist) if self.kind in ("ivf", "ivfpq") else 0

    def probes(self) -> int:
        """Return the IVF lists scanned per query: `nprobe`, or more while within the budget.

        With few vectors per list a query's 10 nearest are spread over more lists (at 10 000
        vectors 16 of 256 lists found 0.96 of them, 32 lists 0.99), so the lists of about
        `scan_budget` vectors are scanned: 41 of 2048 lists at 1M vectors, 103 of 512 at 100k.
        """
        if self.nlist == 0:
            return 0
        wanted = math.ceil(self.scan_budget * self.nlist / max(1, self.ntotal))
        return max(1, min(self.nlist, max(self.nprobe, wanted)))

    def needs_retraining(self) -> bool:
        """Whether an IVF index has grown to twice the lists it was trained with."""
        return self.nlist > 0 and ivf_nlist(len(self)) >= 2 * self.nlist

    def add(self, ids: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> None:
        """Add unit vectors under int64 ids (ids must not be present).

        An untrained IVF index is trained first on (a sample of) these vectors, so give it
        its first vectors in one call (`rebuild` does). Runs on `BUILD_THREADS` threads.
        """
        if len(ids) == 0:
            return
        vecs = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        keys = np.ascontiguousarray(ids, dtype=np.int64)
        self.deleted.difference_update(int(i) for i in keys)
        if self.rerank is not None:
            self.rerank.append(keys, vecs)
        with _omp_threads(BUILD_THREADS):
            if not self._index.is_trained:
                self._train(vecs)
            self._index.add_with_ids(vecs, keys)

    def _train(self, vecs: npt.NDArray[np.float32]) -> None:
        self.generation += 1
        if self.kind == "ivfpq" or (self.kind == "ivf" and ivf_nlist(len(vecs)) != self.nlist):
            self._index = self._empty(self.kind, len(vecs))
        sample = vecs
        if len(vecs) > IVF_TRAIN_SAMPLE:
            rng = np.random.default_rng(len(vecs))
            sample = vecs[np.sort(rng.choice(len(vecs), IVF_TRAIN_SAMPLE, replace=False))]
        self._index.train(sample)

    def remove(self, ids: Iterable[int]) -> None:
        """Remove ids (flat and IVF: physically; HNSW: marked, rebuilt when too many).

        IVF-PQ removes the codes physically and marks the re-rank rows dead; the vector file
        is compacted (rewritten under a new name) once they exceed `REBUILD_DELETED_SHARE`.
        """
        keys = np.fromiter((int(i) for i in ids), dtype=np.int64)
        if keys.size == 0:
            return
        if self.kind != "hnsw":
            with _omp_threads(1):
                self._index.remove_ids(_faiss().IDSelectorBatch(keys))
            if self.rerank is not None:
                self.rerank.remove(keys)
                if self.rerank.dead_share() > REBUILD_DELETED_SHARE:
                    old = self.rerank
                    self.rerank = old.compacted()
                    old.close()
            return
        self.deleted.update(int(i) for i in keys)
        if self.ntotal and len(self.deleted) / self.ntotal > REBUILD_DELETED_SHARE:
            self.rebuild(self.kind)

    def vectors(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Return the live ids and their stored vectors (decoded when quantized)."""
        faiss = _faiss()
        if self.rerank is not None:
            return self.rerank.live_items()
        if self.kind == "ivf":
            return self._ivf_vectors()
        all_ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        keep = np.array([int(i) not in self.deleted for i in all_ids], dtype=bool)
        vecs = (
            self._index.index.reconstruct_n(0, self.ntotal)
            if self.ntotal
            else np.zeros((0, self.dim), dtype=np.float32)
        )
        return all_ids[keep], np.asarray(vecs, dtype=np.float32)[keep]

    def _ivf_vectors(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Read every inverted list: ids, and vectors decoded with their list's centroid."""
        faiss = _faiss()
        invlists = self._index.invlists
        code_size = int(invlists.code_size)
        coarse = int(self._index.coarse_code_size())
        all_ids: list[npt.NDArray[np.int64]] = []
        all_vecs: list[npt.NDArray[np.float32]] = []
        for list_no in range(self.nlist):
            size = int(invlists.list_size(list_no))
            if size == 0:
                continue
            ids = faiss.rev_swig_ptr(invlists.get_ids(list_no), size).copy()
            codes = faiss.rev_swig_ptr(invlists.get_codes(list_no), size * code_size).copy()
            invlists.release_ids(list_no, invlists.get_ids(list_no))
            prefix = np.frombuffer(np.int64(list_no).astype("<i8").tobytes(), np.uint8)[:coarse]
            full = np.hstack(
                [np.tile(prefix, (size, 1)), codes.reshape(size, code_size).astype(np.uint8)]
            )
            all_ids.append(ids.astype(np.int64))
            all_vecs.append(np.asarray(self._index.sa_decode(full), dtype=np.float32))
        if not all_ids:
            return np.zeros(0, np.int64), np.zeros((0, self.dim), np.float32)
        return np.concatenate(all_ids), np.concatenate(all_vecs)

    def centroids(self) -> npt.NDArray[np.float32]:
        """Return the IVF list centroids, (nlist, dim) (empty for the other kinds)."""
        if not self.nlist or not self._index.is_trained:
            return np.zeros((0, self.dim), np.float32)
        return np.asarray(self._index.quantizer.reconstruct_n(0, self.nlist), np.float32)

    def assign(self, vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.int64]:
        """Return the IVF list each vector falls in (what `add` files it under)."""
        vecs = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if vecs.shape[0] == 0:
            return np.zeros(0, np.int64)
        with _omp_threads(1):
            _, lists = self._index.quantizer.search(vecs, 1)
        return np.asarray(lists[:, 0], np.int64)

    def cells(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Return every stored id and the IVF list holding it (read from the inverted lists)."""
        faiss = _faiss()
        invlists: Any = self._index.invlists if self.nlist else None
        ids: list[npt.NDArray[np.int64]] = [np.zeros(0, np.int64)]
        lists: list[npt.NDArray[np.int64]] = [np.zeros(0, np.int64)]
        for list_no in range(self.nlist):
            size = int(invlists.list_size(list_no))
            if size == 0:
                continue
            pointer = invlists.get_ids(list_no)
            ids.append(faiss.rev_swig_ptr(pointer, size).astype(np.int64))
            invlists.release_ids(list_no, pointer)
            lists.append(np.full(size, list_no, np.int64))
        return np.concatenate(ids), np.concatenate(lists)

    def rebuild(self, kind: str) -> None:
        """Rebuild as `kind` from the stored vectors, dropping removed ids (IVF: retrained)."""
        ids, vecs = self.vectors()
        log.info("Rebuilding a %s index of %d vectors as %s", self.kind, len(ids), kind)
        self.generation += 1
        if self.rerank is not None:
            self.rerank.close()
        self.kind = kind
        self.deleted = set()
        self.rerank = self._new_rerank(kind)
        self._index = self._empty(kind, len(ids))
        order = np.argsort(ids, kind="stable")
        self.add(ids[order], vecs[order])

    def stored(self, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """Return the stored vectors of live ids (IVF-PQ: the re-rank copies; flat: exact).

        Raises:
            KeyError: If an id is not in the index.
            EmbeddingError: For IVF and HNSW indexes, which do not look vectors up by id.
        """
        keys = np.asarray(ids, dtype=np.int64).reshape(-1)
        if self.rerank is not None:
            rows = self.rerank.row_of(keys)
            if bool((rows < 0).any()):
                raise KeyError(int(keys[rows < 0][0]))
            return self.rerank.read(rows)
        if self.kind != "flat":
            raise EmbeddingError("A {kind} index does not look vectors up by id.", kind=self.kind)
        out = np.zeros((len(keys), self.dim), np.float32)
        for i, key in enumerate(keys.tolist()):
            try:
                out[i] = self._index.reconstruct(key)
            except RuntimeError as exc:
                raise KeyError(key) from exc
        return out

    def search(
        self, queries: npt.NDArray[np.float32], k: int
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Return the k best (scores, ids) per query; missing hits have id -1.

        Runs on one OpenMP thread (fastest for single queries, see the module docstring).
        """
        faiss = _faiss()
        q = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dim)
        if self.ntotal == 0 or k <= 0:
            return (np.zeros((q.shape[0], 0), np.float32), np.zeros((q.shape[0], 0), np.int64))
        fetch = min(self.ntotal, k + len(self.deleted))
        if self.kind == "hnsw":
            faiss.downcast_index(self._index.index).hnsw.efSearch = max(self.ef_search, fetch)
        elif self.nlist:
            self._index.nprobe = self.probes()
        if self.rerank is not None:
            return self._search_reranked(q, k)
        with _omp_threads(1):
            scores, ids = self._index.search(q, fetch)
        if self.deleted:
            mask = np.isin(ids, np.fromiter(self.deleted, dtype=np.int64))
            ids = np.where(mask, -1, ids)
            scores = np.where(mask, -np.inf, scores).astype(np.float32)
        return scores, ids

    def candidates(self, queries: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.int64]:
        """Return the ids of about the k nearest per query, in the index's own (IVF-PQ:
        approximate) order and without re-ranking: for callers that score them exactly."""
        return self.candidate_scores(queries, k)[1]

    def candidate_scores(
        self, queries: npt.NDArray[np.float32], k: int
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Return (scores, ids) of about the k nearest per query, best first, not re-ranked.

        IVF-PQ scores are the codes' estimates; missing hits have id -1.
        """
        if self.rerank is None:
            return self.search(queries, k)
        q = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dim)
        if self.ntotal == 0 or k <= 0:
            return np.zeros((q.shape[0], 0), np.float32), np.zeros((q.shape[0], 0), np.int64)
        self._index.nprobe = self.probes()
        with _omp_threads(1):
            scores, ids = self._index.search(q, min(self.ntotal, k))
        return np.asarray(scores, dtype=np.float32), np.asarray(ids, dtype=np.int64)

    def _search_reranked(
        self, q: npt.NDArray[np.float32], k: int
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Fetch IVF-PQ candidates, score them from the re-rank copies, keep the k best."""
        assert self.rerank is not None
        fetch = min(self.ntotal, max(k * self.rerank_factor, RERANK_MIN))
        with _omp_threads(1):
            _, ids = self._index.search(q, fetch)
        flat = ids.ravel()
        unique, inverse = np.unique(flat, return_inverse=True)
        rows = self.rerank.row_of(unique)
        vecs = self.rerank.read(np.maximum(rows, 0))
        exact = np.einsum("qfd,qd->qf", vecs[inverse].reshape(len(q), fetch, self.dim), q)
        exact = np.where((rows[inverse] >= 0).reshape(ids.shape), exact, -np.inf)
        width = min(k, fetch)
        best = np.argsort(-exact, axis=1, kind="stable")[:, :width]
        scores = np.take_along_axis(exact, best, axis=1).astype(np.float32)
        found = np.take_along_axis(ids, best, axis=1)
        return scores, np.where(np.isfinite(scores), found, -1).astype(np.int64)

    def to_bytes(self) -> bytes:
        """Serialize the FAISS index (an IVF-PQ index's re-rank rows are in their own file)."""
        return bytes(_faiss().serialize_index(self._index))

    @classmethod
    def from_bytes(
        cls,
        data: bytes,
        dim: int,
        kind: str,
        deleted: Iterable[int],
        rerank: RerankVectors | None = None,
    ) -> SentenceIndex:
        """Deserialize an index written by `to_bytes` (IVF-PQ: with its opened `rerank` rows)."""
        if kind == "ivfpq" and rerank is None:
            raise EmbeddingError("An IVF-PQ index needs its re-rank vector file.")
        index = cls(
            dim,
            "flat" if kind == "ivfpq" else kind,
            vector_dir=rerank.directory if rerank else None,
            vector_prefix=rerank.prefix if rerank else "vectors",
            rerank_codec=rerank.codec if rerank else RERANK_CODEC,
        )
        index.kind = kind
        index.rerank = rerank
        index._index = _faiss().deserialize_index(np.frombuffer(data, dtype=np.uint8))
        if kind == "ivfpq":
            index.pq_m = int(index._index.pq.M)
            fast_scan = type(index._index).__name__ == "IndexIVFPQFastScan"
            index.pq_nbits = 4 if fast_scan else PQ_NBITS
        index.deleted = {int(i) for i in deleted}
        return index


class IndexStore:
    """Both sides' sentence indexes, the company slots, and their manifest in one folder."""

    def __init__(
        self,
        directory: Path,
        model: str,
        dim: int,
        exact_limit: int = EXACT_LIMIT,
        pq_limit: int = PQ_LIMIT,
        rerank_codec: str = RERANK_CODEC,
    ) -> None:
        """Create an empty store bound to a folder (nothing is read yet).

        Args:
            directory: The folder (e.g. `data_dir/index`). IVF-PQ indexes append copies of their
                vectors to a file there as they grow; the manifest counts only saved rows.
            model: Name of the encoder model the vectors come from.
            dim: Vector dimension.
            exact_limit: Largest per-side sentence count kept in an exact index.
            pq_limit: Largest per-side sentence count kept in an IVF-fp16 index (IVF-PQ above).
            rerank_codec: How new IVF-PQ indexes store their re-rank vectors ("sq8" or
                "f16"; a loaded index keeps its own).
        """
        self.directory = Path(directory)
        self.model = model
        self.dim = dim
        self.exact_limit = exact_limit
        self.pq_limit = pq_limit
        self.rerank_codec = rerank_codec
        self.slots: dict[str, int] = {}
        self.sizes: dict[str, dict[str, int]] = {}
        self._by_slot: dict[int, str] = {}
        self._next_slot = 0
        self.indexes: dict[str, SentenceIndex] = {side: self._new_index(side) for side in SIDES}
        self._joint: JointCells | None = None
        self._joint_dead = 0

    def _new_index(self, side: str, kind: str = "flat") -> SentenceIndex:
        """Return an empty index of one side (an IVF-PQ one keeps its vector file here)."""
        return SentenceIndex(
            self.dim,
            kind,
            vector_dir=self.directory,
            vector_prefix=side,
            rerank_codec=self.rerank_codec,
        )

    @property
    def count(self) -> int:
        """Return how many companies are indexed."""
        return len(self.slots)

    def company_of(self, faiss_id: int) -> tuple[str, int] | None:
        """Return (company id, sentence index) of a FAISS id, or None if unknown."""
        company = self._by_slot.get(int(faiss_id) // MAX_SENTENCES_PER_TEXT)
        if company is None:
            return None
        return company, int(faiss_id) % MAX_SENTENCES_PER_TEXT

    def _ids(self, slot: int, count: int) -> npt.NDArray[np.int64]:
        return np.arange(count, dtype=np.int64) + slot * MAX_SENTENCES_PER_TEXT

    def put(self, company_id: str, vectors: Mapping[str, npt.NDArray[np.float32]]) -> None:
        """Add or replace a company's sentence vectors, per side ("need", "offer")."""
        self.put_many([(company_id, vectors)])

    def put_many(
        self, companies: Iterable[tuple[str, Mapping[str, npt.NDArray[np.float32]]]]
    ) -> None:
        """Add or replace many companies with one FAISS add per side.

        An empty side gets the kind its final size calls for straight away (a bulk load of a
        million companies trains one IVF-PQ index instead of growing through every kind).
        """
        batches: dict[str, tuple[list[npt.NDArray[np.int64]], list[npt.NDArray[np.float32]]]]
        batches = {side: ([], []) for side in SIDES}
        added: list[int] = []
        for company_id, vectors in companies:
            self.remove(company_id)
            slot = self._next_slot
            added.append(slot)
            self._next_slot += 1
            self.slots[company_id] = slot
            self._by_slot[slot] = company_id
            for side in SIDES:
                vecs = np.asarray(vectors.get(side, np.zeros((0, self.dim))), dtype=np.float32)
                vecs = vecs.reshape(-1, self.dim)[:MAX_SENTENCES_PER_TEXT]
                self.sizes.setdefault(company_id, {})[side] = vecs.shape[0]
                batches[side][0].append(self._ids(slot, vecs.shape[0]))
                batches[side][1].append(vecs)
        for side, (ids, parts) in batches.items():
            if not ids:
                continue
            index = self.indexes[side]
            keys = np.concatenate(ids)
            wanted = choose_kind(len(index) + len(keys), self.exact_limit, self.pq_limit)
            if index.ntotal == 0 and wanted != index.kind:
                index = self.indexes[side] = self._new_index(side, wanted)
            index.add(keys, np.concatenate(parts) if len(parts) > 1 else parts[0])
            upgrade = wanted != index.kind and KIND_RANK[wanted] >= KIND_RANK[index.kind]
            if (upgrade and wanted != "flat") or index.needs_retraining():
                index.rebuild(wanted if upgrade else index.kind)
        self._update_joint(added, batches)

    def _update_joint(
        self,
        slots: list[int],
        batches: Mapping[str, tuple[list[npt.NDArray[np.int64]], list[npt.NDArray[np.float32]]]],
    ) -> None:
        """File newly added companies in the joint multi-index, or drop it to rebuild later.

        Small additions are assigned to their IVF lists here (one centroid product each); a
        batch above `JOINT_REFRESH_SHARE` of the store, or a retrained side, drops the
        multi-index, which the next `joint_candidates` rebuilds from the inverted lists.
        """
        joint = self._joint
        if joint is None or not slots:
            return
        sentences = sum(len(part) for ids, _ in batches.values() for part in ids)
        if joint.generations != self._generations() or sentences > JOINT_REFRESH_SHARE * max(
            1, len(joint)
        ):
            self._joint = None
            return
        filed = []
        for side in ("offer", "need"):
            ids, parts = batches[side]
            keys = np.concatenate(ids) if ids else np.zeros(0, np.int64)
            vecs = np.concatenate(parts) if parts else np.zeros((0, self.dim), np.float32)
            filed.append((keys // MAX_SENTENCES_PER_TEXT, self.indexes[side].assign(vecs)))
        joint.add(filed[0], filed[1], np.asarray(slots, np.int64))

    def _generations(self) -> tuple[int, int]:
        return self.indexes["offer"].generation, self.indexes["need"].generation

    def _joint_cells(self) -> JointCells | None:
        """Return the joint multi-index, (re)built from the inverted lists when stale.

        None unless both sides are IVF indexes (exact and HNSW indexes have no lists).
        """
        offer, need = self.indexes["offer"], self.indexes["need"]
        if not (offer.nlist and need.nlist and len(offer) and len(need)):
            return None
        if self._joint is not None and self._joint.generations == self._generations():
            return self._joint
        started = time.perf_counter()
        joint = JointCells(offer.centroids(), need.centroids(), self._generations())
        offer_ids, offer_cells = offer.cells()
        need_ids, need_cells = need.cells()
        joint.add(
            (offer_ids // MAX_SENTENCES_PER_TEXT, offer_cells),
            (need_ids // MAX_SENTENCES_PER_TEXT, need_cells),
            np.fromiter(self._by_slot, dtype=np.int64, count=len(self._by_slot)),
        )
        log.info(
            "Built the joint multi-index of %d companies (%d entries) in %.1f s",
            self.count,
            len(joint),
            time.perf_counter() - started,
        )
        self._joint, self._joint_dead = joint, 0
        return joint

    def joint_candidates(
        self,
        needs: npt.NDArray[np.float32],
        offers: npt.NDArray[np.float32],
        target: int = JOINT_TARGET,
        cells: int = JOINT_CELLS,
    ) -> npt.NDArray[np.int64] | None:
        """Return candidate slots for the combined score of a company (both directions at once).

        Args:
            needs: (q, dim) the company's need sentence vectors (matched against offers).
            offers: (q', dim) its offer sentence vectors (matched against needs).
            target: Companies to collect (`embeddings.joint_index`).
            cells: Best IVF lists per side walked.

        Returns:
            Live slots (see `slot_companies`), or None when a side has no IVF index (the
            caller then searches each direction on its own).
        """
        joint = self._joint_cells()
        if joint is None:
            return None
        return joint.candidates(needs, offers, target, cells)

    def remove(self, company_id: str) -> bool:
        """Remove a company from both sides; return whether it was there."""
        slot = self.slots.pop(company_id, None)
        if slot is None:
            return False
        self._by_slot.pop(slot, None)
        if self._joint is not None:
            # Its entries stay until the next rebuild (slots are never reused), masked out.
            self._joint.remove(slot)
            self._joint_dead += 1
            if self._joint_dead > REBUILD_DELETED_SHARE * max(1, self.count):
                self._joint = None
        sizes = self.sizes.pop(company_id, {})
        for side, index in self.indexes.items():
            index.remove(int(i) for i in self._ids(slot, sizes.get(side, 0)))
        return True

    def clear(self) -> None:
        """Forget every company."""
        self.slots.clear()
        self.sizes.clear()
        self._by_slot.clear()
        self._next_slot = 0
        self.indexes = {side: self._new_index(side) for side in SIDES}
        self._joint = None

    def search(self, side: str, queries: npt.NDArray[np.float32], k: int) -> dict[str, float]:
        """Return the best score per company among the k nearest sentences of any query.

        Args:
            side: The side searched ("offer" for a need query).
            queries: (q, dim) unit vectors.
            k: Sentences fetched per query.

        Returns:
            Company id -> best inner product.
        """
        scores, ids = self.indexes[side].search(queries, k)
        best: dict[str, float] = {}
        for score, faiss_id in zip(scores.ravel(), ids.ravel(), strict=True):
            if faiss_id < 0:
                continue
            hit = self.company_of(int(faiss_id))
            if hit is not None and score > best.get(hit[0], -np.inf):
                best[hit[0]] = float(score)
        return best

    def vectors_of(
        self, side: str, company_ids: Iterable[str]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Return the stored sentence vectors of these companies on one side, stacked.

        For exact scoring of candidates without keeping float32 copies in RAM (flat and
        IVF-PQ indexes; IVF and HNSW raise `EmbeddingError`).

        Returns:
            (rows, dim) vectors, company after company, and each company's row count (0 for
            an unknown company).
        """
        companies = list(company_ids)
        counts = np.array(
            [self.sizes.get(c, {}).get(side, 0) if c in self.slots else 0 for c in companies],
            dtype=np.int64,
        )
        ids = [
            self._ids(self.slots[c], int(n)) for c, n in zip(companies, counts, strict=True) if n
        ]
        if not ids:
            return np.zeros((0, self.dim), np.float32), counts
        return self.indexes[side].stored(np.concatenate(ids)), counts

    def candidate_slots(
        self, side: str, queries: npt.NDArray[np.float32], k: int
    ) -> npt.NDArray[np.int64]:
        """Return the slots (see `slot_companies`) owning any of the k nearest sentences."""
        ids = self.indexes[side].candidates(queries, k)
        return np.unique(ids[ids >= 0] // MAX_SENTENCES_PER_TEXT).astype(np.int64)

    def slot_companies(self, slots: npt.NDArray[np.int64]) -> list[str | None]:
        """Return the company id of each slot (None for a removed company)."""
        return [self._by_slot.get(int(s)) for s in slots]

    def best_scores(
        self, side: str, queries: npt.NDArray[np.float32], slots: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float32]:
        """Return, per slot, the best inner product of any query with any of its sentences.

        Scored exactly from the stored vectors (IVF-PQ: the re-rank copies, company rows read
        as ranges; flat: reconstructed). -inf for a company without sentences on that side.
        """
        keys = np.asarray(slots, dtype=np.int64)
        index = self.indexes[side]
        out = np.full(len(keys), -np.inf, np.float32)
        q = np.asarray(queries, np.float32).reshape(-1, self.dim)
        if index.rerank is not None:
            rows, counts = index.rerank.group_rows(keys, MAX_SENTENCES_PER_TEXT)
            if len(rows) == 0 or len(q) == 0:
                return out
            sims = index.rerank.dot(q, rows).max(axis=0)
        else:
            companies = [c or "" for c in self.slot_companies(keys)]
            vecs, counts = self.vectors_of(side, companies)
            if len(vecs) == 0 or len(q) == 0:
                return out
            sims = (q @ vecs.T).max(axis=0)
        filled = counts > 0
        starts = (np.cumsum(counts) - counts)[filled]
        out[filled] = np.maximum.reduceat(sims, starts)
        return out

    def save(self, extra: Mapping[str, Any] | None = None) -> None:
        """Write both indexes, then the manifest (each atomically).

        Args:
            extra: More manifest entries (e.g. centering statistics, a fingerprint).
        """
        sides: dict[str, dict[str, Any]] = {}
        for side, index in self.indexes.items():
            sides[side] = {
                "kind": index.kind,
                "count": len(index),
                "deleted": sorted(index.deleted),
            }
            if index.rerank is not None:
                index.rerank.flush()
                buffer = io.BytesIO()
                np.save(buffer, index.rerank.row_table())
                write_atomic(self.directory / f"{side}.rows.npy", buffer.getvalue())
                sides[side]["vectors"] = index.rerank.token
                sides[side]["codec"] = index.rerank.codec
            write_atomic(self.directory / f"{side}.faiss", index.to_bytes())
        manifest: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "model": self.model,
            "dim": self.dim,
            "count": self.count,
            "slots": self.slots,
            "sizes": self.sizes,
            "next_slot": self._next_slot,
            "sides": sides,
        }
        manifest.update(extra or {})
        write_atomic(
            self.directory / MANIFEST, json.dumps(manifest, ensure_ascii=False).encode("utf-8")
        )
        self._drop_stale_vector_files()

    def _drop_stale_vector_files(self) -> None:
        """Delete re-rank vector files no index uses (replaced by a rebuild or compaction)."""
        for side, index in self.indexes.items():
            keep = index.rerank.path.name if index.rerank is not None else ""
            for path in self.directory.glob(f"{side}.*"):
                if path.suffix[1:] in RERANK_CODECS and path.name != keep:
                    path.unlink(missing_ok=True)
            if index.rerank is None:
                (self.directory / f"{side}.rows.npy").unlink(missing_ok=True)

    def read_manifest(self) -> dict[str, Any] | None:
        """Return the stored manifest, or None when there is none (or it is unreadable)."""
        path = self.directory / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            log.warning("Unreadable index manifest %s; the index will be rebuilt", path)
            return None
        return data if isinstance(data, dict) else None

    def load(self) -> dict[str, Any] | None:
        """Load the indexes from the folder.

        Returns:
            The manifest, or None when the folder holds no index.

        Raises:
            EmbeddingError: If the index was built with another model or dimension.
        """
        manifest = self.read_manifest()
        if manifest is None:
            return None
        if manifest.get("model") != self.model or int(manifest.get("dim", -1)) != self.dim:
            raise EmbeddingError(
                "The index in {path} was built with model {stored} (dimension {stored_dim}), "
                "but the encoder is {model} (dimension {dim}). Rebuild the index with "
                "matchbot embeddings rebuild, or configure the same encoder.",
                path=str(self.directory),
                stored=str(manifest.get("model")),
                stored_dim=manifest.get("dim"),
                model=self.model,
                dim=self.dim,
            )
        sides = manifest.get("sides", {})
        for side in SIDES:
            data = (self.directory / f"{side}.faiss").read_bytes()
            info = sides.get(side, {})
            kind = str(info.get("kind", "flat"))
            rerank = None
            if kind == "ivfpq":
                table = np.load(self.directory / f"{side}.rows.npy")
                token = str(info.get("vectors", ""))
                codec = str(info.get("codec", "f16"))
                rerank = RerankVectors.open(self.dim, self.directory, side, token, table, codec)
            self.indexes[side] = SentenceIndex.from_bytes(
                data, self.dim, kind, info.get("deleted", []), rerank
            )
        self.slots = {str(k): int(v) for k, v in dict(manifest.get("slots", {})).items()}
        self.sizes = {
            str(k): {str(s): int(n) for s, n in dict(v).items()}
            for k, v in dict(manifest.get("sizes", {})).items()
        }
        self._by_slot = {v: k for k, v in self.slots.items()}
        self._next_slot = int(manifest.get("next_slot", len(self.slots)))
        self._joint = None
        return manifest

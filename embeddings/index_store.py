"""FAISS sentence indexes, one per side (offer sentences, need sentences), kept in a folder.

Each company gets a slot number; a sentence's FAISS id is `slot * MAX_SENTENCES_PER_TEXT +
sentence index`, so a hit maps back to (company id, sentence index) without a per-sentence table.

Index kind is chosen by size (`choose_kind`): exact `IndexFlatIP` (behind `IndexIDMap2`, which
supports `remove_ids`) up to `EXACT_LIMIT` sentences per side, IVF over float16 vectors
(`IndexIVFScalarQuantizer` QT_fp16, inner product, `ivf_nlist` lists) above it.

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

IVF scans `nprobe` lists or, while lists are short, as many as hold `IVF_SCAN_BUDGET` vectors
(`SentenceIndex.probes`). An IVF index is trained on its first batch (`rebuild` gives it all
vectors at once) and retrained from its stored vectors when its size calls for twice the lists
(`needs_retraining`, about each 4x growth: a put then takes ~30 s at 1M). IVF and flat remove
vectors physically (`remove_ids`, ~5 ms at 1M); HNSW (still loadable, and converted to IVF on the
next change of a large store) cannot: removed ids are remembered, filtered out of results, and
the index is rebuilt from its own stored vectors once they exceed `REBUILD_DELETED_SHARE` of it.

FAISS uses OpenMP; one query on two threads was 5-80x slower than on one on the shared-core VM,
so searches and removals run with `omp_set_num_threads(1)`. Builds use `BUILD_THREADS` = 1: on
this VM a second thread did not speed them up (1M: 29.5 s on 1 thread, 45.7 s on 2, in another
run 27.8 s vs 33.0 s; 100k: 2.9 s vs 1.6-3.1 s) and the other core stays free for queries. faiss is imported lazily.

Files are written to a temporary name and moved in place with `os.replace`; `manifest.json` is
written last and names the model, dimension, counts, index kinds and whatever the caller adds
(centering statistics). Loading an index made with another model or dimension raises
`EmbeddingError`.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

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
MANIFEST = "manifest.json"
FORMAT_VERSION = 1
SIDES = ("need", "offer")
KINDS = ("flat", "ivf", "hnsw")

assert MAX_SENTENCES < MAX_SENTENCES_PER_TEXT


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover - faiss-cpu is a dependency
        raise EmbeddingError("The FAISS library is missing; install faiss-cpu.") from exc
    return faiss


def choose_kind(count: int, exact_limit: int = EXACT_LIMIT) -> str:
    """Return "flat" (exact) up to `exact_limit` vectors, "ivf" above it."""
    return "flat" if count <= exact_limit else "ivf"


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


class SentenceIndex:
    """One FAISS index of unit vectors with int64 ids (exact, IVF or HNSW), with removal."""

    def __init__(
        self,
        dim: int,
        kind: str = "flat",
        hnsw_m: int = HNSW_M,
        ef_search: int = HNSW_EF_SEARCH,
        quantized: bool = True,
        nprobe: int = IVF_NPROBE,
        scan_budget: int = IVF_SCAN_BUDGET,
    ) -> None:
        """Create an empty index.

        Args:
            dim: Vector dimension.
            kind: "flat" (exact), "ivf" (inverted lists, the large-index default) or "hnsw".
            hnsw_m: HNSW graph degree.
            ef_search: HNSW search breadth.
            quantized: IVF stores float16 vectors, HNSW 8-bit scalar-quantized ones (else
                both store float32).
            nprobe: Fewest IVF lists scanned per query.
            scan_budget: IVF scans more lists while they hold about this many vectors in
                all (see `probes`); 0 scans exactly `nprobe` lists.
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
        self.deleted: set[int] = set()
        self._index: Any = self._empty(kind, 0)

    def _empty(self, kind: str, count: int) -> Any:
        """Return an empty FAISS index of `kind` sized for `count` vectors (IVF lists)."""
        faiss = _faiss()
        if kind == "flat":
            return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
        if kind == "ivf":
            nlist = ivf_nlist(count)
            quantizer = faiss.IndexFlatIP(self.dim)
            if self.quantized:
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

    def __len__(self) -> int:
        return int(self._index.ntotal) - len(self.deleted)

    @property
    def ntotal(self) -> int:
        """Vectors physically in the index (removed HNSW ids included)."""
        return int(self._index.ntotal)

    @property
    def nlist(self) -> int:
        """IVF list count (0 for the other kinds)."""
        return int(self._index.nlist) if self.kind == "ivf" else 0

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
        return self.kind == "ivf" and ivf_nlist(len(self)) >= 2 * self.nlist

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
        with _omp_threads(BUILD_THREADS):
            if not self._index.is_trained:
                self._train(vecs)
            self._index.add_with_ids(vecs, keys)

    def _train(self, vecs: npt.NDArray[np.float32]) -> None:
        if self.kind == "ivf" and ivf_nlist(len(vecs)) != self.nlist:
            self._index = self._empty("ivf", len(vecs))
        sample = vecs
        if len(vecs) > IVF_TRAIN_SAMPLE:
            rng = np.random.default_rng(len(vecs))
            sample = vecs[np.sort(rng.choice(len(vecs), IVF_TRAIN_SAMPLE, replace=False))]
        self._index.train(sample)

    def remove(self, ids: Iterable[int]) -> None:
        """Remove ids (flat and IVF: physically; HNSW: marked, rebuilt when too many)."""
        keys = np.fromiter((int(i) for i in ids), dtype=np.int64)
        if keys.size == 0:
            return
        if self.kind != "hnsw":
            with _omp_threads(1):
                self._index.remove_ids(_faiss().IDSelectorBatch(keys))
            return
        self.deleted.update(int(i) for i in keys)
        if self.ntotal and len(self.deleted) / self.ntotal > REBUILD_DELETED_SHARE:
            self.rebuild(self.kind)

    def vectors(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Return the live ids and their stored vectors (decoded when quantized)."""
        faiss = _faiss()
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

    def rebuild(self, kind: str) -> None:
        """Rebuild as `kind` from the stored vectors, dropping removed ids (IVF: retrained)."""
        ids, vecs = self.vectors()
        log.info("Rebuilding a %s index of %d vectors as %s", self.kind, len(ids), kind)
        self.kind = kind
        self.deleted = set()
        self._index = self._empty(kind, len(ids))
        self.add(ids, vecs)

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
        elif self.kind == "ivf":
            self._index.nprobe = self.probes()
        with _omp_threads(1):
            scores, ids = self._index.search(q, fetch)
        if self.deleted:
            mask = np.isin(ids, np.fromiter(self.deleted, dtype=np.int64))
            ids = np.where(mask, -1, ids)
            scores = np.where(mask, -np.inf, scores).astype(np.float32)
        return scores, ids

    def to_bytes(self) -> bytes:
        """Serialize the FAISS index."""
        return bytes(_faiss().serialize_index(self._index))

    @classmethod
    def from_bytes(cls, data: bytes, dim: int, kind: str, deleted: Iterable[int]) -> SentenceIndex:
        """Deserialize an index written by `to_bytes`."""
        index = cls(dim, kind)
        index._index = _faiss().deserialize_index(np.frombuffer(data, dtype=np.uint8))
        index.deleted = {int(i) for i in deleted}
        return index


class IndexStore:
    """Both sides' sentence indexes, the company slots, and their manifest in one folder."""

    def __init__(
        self, directory: Path, model: str, dim: int, exact_limit: int = EXACT_LIMIT
    ) -> None:
        """Create an empty store bound to a folder (nothing is read or written yet).

        Args:
            directory: The folder (e.g. `data_dir/index`).
            model: Name of the encoder model the vectors come from.
            dim: Vector dimension.
            exact_limit: Largest per-side sentence count kept in an exact index.
        """
        self.directory = Path(directory)
        self.model = model
        self.dim = dim
        self.exact_limit = exact_limit
        self.slots: dict[str, int] = {}
        self.sizes: dict[str, dict[str, int]] = {}
        self._by_slot: dict[int, str] = {}
        self._next_slot = 0
        self.indexes: dict[str, SentenceIndex] = {side: SentenceIndex(dim) for side in SIDES}

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
        self.remove(company_id)
        slot = self._next_slot
        self._next_slot += 1
        self.slots[company_id] = slot
        self._by_slot[slot] = company_id
        for side in SIDES:
            vecs = np.asarray(vectors.get(side, np.zeros((0, self.dim))), dtype=np.float32)
            vecs = vecs.reshape(-1, self.dim)[:MAX_SENTENCES_PER_TEXT]
            self.sizes.setdefault(company_id, {})[side] = vecs.shape[0]
            index = self.indexes[side]
            index.add(self._ids(slot, vecs.shape[0]), vecs)
            wanted = choose_kind(len(index), self.exact_limit)
            if (wanted != index.kind and wanted != "flat") or index.needs_retraining():
                index.rebuild(wanted)

    def remove(self, company_id: str) -> bool:
        """Remove a company from both sides; return whether it was there."""
        slot = self.slots.pop(company_id, None)
        if slot is None:
            return False
        self._by_slot.pop(slot, None)
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
        self.indexes = {side: SentenceIndex(self.dim) for side in SIDES}

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

    def save(self, extra: Mapping[str, Any] | None = None) -> None:
        """Write both indexes, then the manifest (each atomically).

        Args:
            extra: More manifest entries (e.g. centering statistics, a fingerprint).
        """
        for side, index in self.indexes.items():
            write_atomic(self.directory / f"{side}.faiss", index.to_bytes())
        manifest: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "model": self.model,
            "dim": self.dim,
            "count": self.count,
            "slots": self.slots,
            "sizes": self.sizes,
            "next_slot": self._next_slot,
            "sides": {
                side: {"kind": idx.kind, "count": len(idx), "deleted": sorted(idx.deleted)}
                for side, idx in self.indexes.items()
            },
        }
        manifest.update(extra or {})
        write_atomic(
            self.directory / MANIFEST, json.dumps(manifest, ensure_ascii=False).encode("utf-8")
        )

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
            self.indexes[side] = SentenceIndex.from_bytes(
                data, self.dim, str(info.get("kind", "flat")), info.get("deleted", [])
            )
        self.slots = {str(k): int(v) for k, v in dict(manifest.get("slots", {})).items()}
        self.sizes = {
            str(k): {str(s): int(n) for s, n in dict(v).items()}
            for k, v in dict(manifest.get("sizes", {})).items()
        }
        self._by_slot = {v: k for k, v in self.slots.items()}
        self._next_slot = int(manifest.get("next_slot", len(self.slots)))
        return manifest

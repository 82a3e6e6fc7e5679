"""Joint candidates for the combined score: an inverted multi-index over (offer cell, need cell).

A suggestion ranks companies by need(A)->offer(B) plus offer(A)->need(B), each the best
sentence pair of its direction. Fetching the nearest sentences one direction at a time misses
the partners that are good in both directions but best in neither (at a million companies the
per-direction candidates reached recall@10 0.42-0.56 against exact, `bench/RESULTS.md`).
Because the combined score is a *sum* of two independent terms, it has the structure of an
inverted multi-index (Babenko & Lempitsky, CVPR 2012): every company is filed under the pairs
(cell of one of its offer sentences, cell of one of its need sentences), cells being the IVF
lists of the two sentence indexes. A query scores every offer cell by its need sentences and
every need cell by its offer sentences (two small products with the centroids), reads the
entries of its `cells` best cells of *either* side (so a partner strong in one direction only,
whose other cell is anywhere, still comes: "one-way interest still shows"), scores each entry by
the sum of its two cell scores and keeps the `target` best companies; the caller then scores
those exactly. Reading only the pairs whose both cells are among the best (the classic walk)
lost those one-way partners: on sentences drawn independently, recall@10 stayed at 0.77 at 100k
companies whatever the target.

A company with no sentence on one side is filed under that side's extra "empty" cell, scored
as the weakest real cell. Entries are kept twice, grouped by offer cell and by need cell (CSR:
slot and the other cell, 12 bytes an entry each way), plus a small pending part for companies
added since, scored in full and merged when it grows; removed companies are masked out (slots
are never reused) and their entries dropped by the next rebuild.

Pure numpy; the FAISS side (centroids, list assignments) is read by `embeddings.index_store`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]

JOINT_TARGET = 1000
"""Companies proposed per query for exact scoring: at 100k companies (the engine's in-RAM scale)
recall@10 0.954 against exact search at p99 3.4 ms with the store's scoring (0.982 with each
direction's 50 nearest sentences added, as the engine does); at 1M, 800 give 0.955 at p99 4.9 ms
(`bench/RESULTS.md`)."""
JOINT_CELLS = 32
"""Best cells per side whose entries are read."""
ENTRY_BUDGET = 32
"""Entries read per side and per wanted company: the best cells are read while they fit
`ENTRY_BUDGET * target` (near-duplicate texts make a few cells very full)."""
MERGE_SHARE = 0.01
"""The pending part is merged into the main arrays once it holds this share of them."""
MERGE_MIN = 4096
"""... or this many entries, whichever is larger."""


def spans(starts: IntArray, lengths: IntArray) -> IntArray:
    """Return `starts[i], starts[i] + 1, ..., starts[i] + lengths[i] - 1` for every i, in order."""
    lengths = np.asarray(lengths, np.int64)
    total = int(lengths.sum())
    first = np.cumsum(lengths) - lengths
    return np.repeat(np.asarray(starts, np.int64) - first, lengths) + np.arange(
        total, dtype=np.int64
    )


def _unique_pairs(slots: IntArray, cells: IntArray, width: int) -> tuple[IntArray, IntArray]:
    """Return distinct (slot, cell) pairs sorted by slot."""
    packed = np.unique(np.asarray(slots, np.int64) * width + np.asarray(cells, np.int64))
    return packed // width, packed % width


def _cross(
    offer: tuple[IntArray, IntArray], need: tuple[IntArray, IntArray]
) -> tuple[IntArray, IntArray]:
    """Return every (offer cell, need cell) pair of each slot: the slots, and a (2, n) array of
    offer cells and need cells.

    Both inputs are (slots, cells) sorted by slot, with every slot present on both sides.
    """
    o_slots, o_cells = offer
    n_slots, n_cells = need
    uniq, n_start, n_count = np.unique(n_slots, return_index=True, return_counts=True)
    where = np.searchsorted(uniq, o_slots)
    reps = n_count[where]
    need_rows = spans(n_start[where], reps)
    return np.repeat(o_slots, reps), np.stack([np.repeat(o_cells, reps), n_cells[need_rows]])


class _Grouped:
    """Entries grouped by the cell of one side: `slots[offsets[c]:offsets[c + 1]]` are filed
    under cell c of that side, `other[...]` holds their cell of the other side."""

    def __init__(self, cells: int, row: IntArray, other: IntArray, slots: IntArray) -> None:
        order = np.argsort(row, kind="stable")
        counts = np.bincount(row, minlength=cells)
        self.offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.other = other[order].astype(np.int32)
        self.slots = slots[order]

    def rows(self, cells: IntArray) -> tuple[IntArray, IntArray, IntArray]:
        """Return (row cell, other cell, slot) of every entry filed under these cells."""
        low, lens = self.offsets[cells], self.offsets[cells + 1] - self.offsets[cells]
        at = spans(low, lens)
        return np.repeat(cells, lens), self.other[at].astype(np.int64), self.slots[at]

    def within(self, cells: IntArray, budget: int) -> IntArray:
        """Return the first of these cells (best first) whose entries fit `budget` (one at least)."""
        sizes = self.offsets[cells + 1] - self.offsets[cells]
        return cells[: max(1, int(np.searchsorted(np.cumsum(sizes), budget, side="right")))]

    def triples(self) -> tuple[IntArray, IntArray, IntArray]:
        """Return (row cell, other cell, slot) of every entry."""
        cells = np.arange(len(self.offsets) - 1, dtype=np.int64)
        return self.rows(cells)


class JointCells:
    """Companies filed under (offer cell, need cell) pairs; see the module docstring."""

    def __init__(
        self,
        offer_centroids: FloatArray,
        need_centroids: FloatArray,
        generations: tuple[int, int] = (0, 0),
    ) -> None:
        """Create an empty multi-index over two IVF quantizers.

        Args:
            offer_centroids: (offer cells, dim) centroids of the offer index's lists.
            need_centroids: (need cells, dim) centroids of the need index's lists.
            generations: The (offer, need) index generations these cells belong to.
        """
        self.offer_centroids = np.ascontiguousarray(offer_centroids, dtype=np.float32)
        self.need_centroids = np.ascontiguousarray(need_centroids, dtype=np.float32)
        self.generations = generations
        # The extra cell of each side (index = cell count) holds companies without sentences.
        self.offer_width = len(self.offer_centroids) + 1
        self.need_width = len(self.need_centroids) + 1
        empty = np.zeros(0, np.int64)
        self._by_offer = _Grouped(self.offer_width, empty, empty, empty)
        self._by_need = _Grouped(self.need_width, empty, empty, empty)
        self._pending = (empty, empty, empty)  # offer cell, need cell, slot
        self._alive = np.zeros(0, bool)

    def __len__(self) -> int:
        """Return the number of (cell pair, company) entries."""
        return len(self._by_offer.slots) + len(self._pending[2])

    def add(
        self,
        offer: tuple[IntArray, IntArray],
        need: tuple[IntArray, IntArray],
        slots: IntArray | list[int],
    ) -> None:
        """File companies under the cell pairs of their sentences.

        Args:
            offer: (slot, cell) of each offer sentence of these companies.
            need: (slot, cell) of each need sentence of these companies.
            slots: Every company slot added (a company may have no sentence on a side).
        """
        every = np.unique(np.asarray(slots, np.int64))
        if every.size == 0:
            return
        if every[-1] >= len(self._alive):
            grown = np.zeros(max(int(every[-1]) + 1, 2 * len(self._alive)), bool)
            grown[: len(self._alive)] = self._alive
            self._alive = grown
        self._alive[every] = True
        sides = []
        for (owner, cells), width in ((offer, self.offer_width), (need, self.need_width)):
            owner = np.asarray(owner, np.int64)
            empty = np.setdiff1d(every, owner)
            filled = np.concatenate([owner, empty])
            all_cells = np.concatenate(
                [np.asarray(cells, np.int64), np.full(empty.size, width - 1, np.int64)]
            )
            sides.append(_unique_pairs(filled, all_cells, width))
        owners, pairs = _cross(sides[0], sides[1])
        pending = [
            np.concatenate([old, new])
            for old, new in zip(self._pending, (*pairs, owners), strict=True)
        ]
        self._pending = (pending[0], pending[1], pending[2])
        if len(pending[2]) > max(MERGE_MIN, MERGE_SHARE * len(self._by_offer.slots)):
            self._merge()

    def _merge(self) -> None:
        """Fold the pending entries into both groupings."""
        offer, need, slots = self._by_offer.triples()
        offer = np.concatenate([offer, self._pending[0]])
        need = np.concatenate([need, self._pending[1]])
        slots = np.concatenate([slots, self._pending[2]])
        self._by_offer = _Grouped(self.offer_width, offer, need, slots)
        self._by_need = _Grouped(self.need_width, need, offer, slots)
        empty = np.zeros(0, np.int64)
        self._pending = (empty, empty, empty)

    def cell_scores(
        self, needs: FloatArray, offers: FloatArray
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """Return each offer cell's score for these need sentences, and each need cell's score.

        A cell's score is its centroid's best inner product with any query sentence; the empty
        cell gets the weakest real cell's score (0 when the query has no sentence on a side).
        """
        out = []
        for queries, centroids in ((needs, self.offer_centroids), (offers, self.need_centroids)):
            q = np.asarray(queries, np.float32).reshape(-1, centroids.shape[1])
            if q.shape[0] == 0 or centroids.shape[0] == 0:
                out.append(np.zeros(len(centroids) + 1, np.float32))
                continue
            # One matrix-vector product per query row (faster than the skinny matrix product).
            best = np.max([centroids @ row for row in q], axis=0)
            out.append(np.append(best, best.min()).astype(np.float32))
        return out[0], out[1]

    def candidates(
        self,
        needs: FloatArray,
        offers: FloatArray,
        target: int = JOINT_TARGET,
        cells: int = JOINT_CELLS,
    ) -> IntArray:
        """Return the `target` live slots whose best cell pair scores highest.

        Args:
            needs: (q, dim) the query company's need sentence vectors (matched against offers).
            offers: (q', dim) its offer sentence vectors (matched against needs).
            target: Companies to return (fewer when fewer are filed under the cells read).
            cells: Best cells per side whose entries are read (fewer when they hold more
                than `ENTRY_BUDGET * target` entries).

        Returns:
            Distinct live slots, ascending.
        """
        if len(self) == 0 or target <= 0:
            return np.zeros(0, np.int64)
        offer_scores, need_scores = self.cell_scores(needs, offers)
        budget = ENTRY_BUDGET * target
        by_offer = self._by_offer.rows(self._by_offer.within(_top(offer_scores, cells), budget))
        by_need = self._by_need.rows(self._by_need.within(_top(need_scores, cells), budget))
        pending = self._pending
        offer_cell = np.concatenate([by_offer[0], by_need[1], pending[0]])
        need_cell = np.concatenate([by_offer[1], by_need[0], pending[1]])
        slots = np.concatenate([by_offer[2], by_need[2], pending[2]])
        live = self._alive[slots]
        scores = (offer_scores[offer_cell] + need_scores[need_cell])[live]
        slots = slots[live]
        # Each company has several entries: keep the best-scored entries until `target`
        # distinct companies are among them.
        keep = min(len(slots), 4 * target)
        if keep < len(slots):
            best = np.argpartition(-scores, keep - 1)[:keep]
            slots, scores = slots[best], scores[best]
        order = np.argsort(-scores, kind="stable")
        distinct, first = np.unique(slots[order], return_index=True)
        chosen: IntArray = np.sort(distinct[np.argsort(first, kind="stable")[:target]])
        return chosen

    def remove(self, slot: int) -> None:
        """Leave a company out of every later result (its entries go at the next rebuild)."""
        if 0 <= slot < len(self._alive):
            self._alive[slot] = False


def _top(scores: npt.NDArray[np.float32], count: int) -> IntArray:
    """Return the indexes of the `count` highest scores (all when fewer), best first."""
    picked = np.arange(len(scores), dtype=np.int64)
    if count < len(scores):
        picked = np.argpartition(-scores, count - 1)[:count].astype(np.int64)
    return picked[np.argsort(-scores[picked], kind="stable")]

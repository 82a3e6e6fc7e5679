"""Scoring: centering statistics, best sentence pairs, CSLS, bonuses and penalties."""

from __future__ import annotations

import numpy as np

from matchmaking.matching import (
    ENSEMBLE_ROLES,
    CenteringStats,
    RoleStats,
    ScoringConfig,
    adjust,
    best_pairs,
    csls,
    hub_scores,
    is_mutual,
    recall_at_k,
    shares_language,
    side_roles,
)


def unit(*rows: list[float]) -> np.ndarray:
    arr = np.array(rows, dtype=np.float32)
    out: np.ndarray = arr / np.linalg.norm(arr, axis=1, keepdims=True)
    return out


def test_best_pairs_finds_the_best_sentence_of_each_owner() -> None:
    queries = unit([1, 0, 0], [0, 1, 0])
    keys = unit([0.9, 0.1, 0], [0, 0, 1], [0.1, 0.95, 0], [0, 0.2, 1])
    found = best_pairs(queries, keys, [0, 0, 1, 2], 4)
    assert found.key_index.tolist()[:3] == [0, 2, 3]
    assert found.query_index.tolist()[:3] == [0, 1, 1]
    assert np.isneginf(found.scores[3])  # owner without sentences


def test_language_centering_removes_the_shared_language_direction() -> None:
    rng = np.random.default_rng(0)
    dim = 16
    topics = rng.normal(size=(20, dim))
    zh, pl = rng.normal(size=dim) * 3, rng.normal(size=dim) * 3
    needs_zh = topics[:10] + zh
    offers_pl = topics[:10] + pl + rng.normal(scale=0.1, size=(10, dim))
    offers_zh = topics[10:] + zh
    stats = CenteringStats(dim, ScoringConfig(shrink=1.0, min_texts=4))
    for side, lang, vecs in (
        ("need", "zh_Hans", needs_zh),
        ("offer", "pl", offers_pl),
        ("offer", "zh_Hans", offers_zh),
    ):
        stats.add(side, lang, vecs)
    needs = stats.transform("need", "zh_Hans", needs_zh)
    offers = np.vstack(
        [stats.transform("offer", "pl", offers_pl), stats.transform("offer", "zh_Hans", offers_zh)]
    )
    raw = np.vstack([offers_pl, offers_zh])
    raw_hits = (
        np.argmax(needs_zh @ (raw / np.linalg.norm(raw, axis=1, keepdims=True)).T, axis=1)
        == np.arange(10)
    ).mean()
    hits = (np.argmax(needs @ offers.T, axis=1) == np.arange(10)).mean()
    assert hits > raw_hits and hits >= 0.9


def test_stats_are_raw_below_min_texts_and_survive_a_round_trip() -> None:
    stats = CenteringStats(3, ScoringConfig(min_texts=5))
    vec = unit([1, 2, 3])
    stats.add("need", "pl", vec)
    stats.add("offer", "pl", vec)
    assert not stats.active
    assert np.allclose(stats.transform("need", "pl", vec), vec)
    restored = CenteringStats.from_dict(stats.to_dict())
    assert restored.side_counts == stats.side_counts
    stats.remove("need", "pl", vec)
    assert stats.side_counts["need"] == 0 and ("need", "pl") not in stats.lang_counts


def lone_language_event(rng: np.random.Generator, dim: int) -> list[tuple[str, str, np.ndarray]]:
    """One Chinese company and four CEE companies, each alone in its language.

    The Chinese offer and the Croatian need share a topic (the pair to find); every company's
    texts carry its language's direction, Chinese far from the rest.
    """
    shared = rng.normal(size=dim)
    texts = []
    for lang, scale in (("zh_Hans", 4.0), ("hr", 1.0), ("hu", 1.0), ("pl", 1.0), ("cs", 1.0)):
        language = rng.normal(size=dim) * scale
        own = rng.normal(size=(2, dim))
        offer = own[0] + (shared if lang == "zh_Hans" else 0)
        need = own[1] + (shared if lang == "hr" else 0)
        texts += [
            ("need", lang, (need + language)[None]),
            ("offer", lang, (offer + language)[None]),
        ]
    return texts


def test_languages_of_one_company_do_not_remove_the_topic_of_a_pair() -> None:
    """Beyond the main language split, a removed direction needs a language of two companies."""
    dim, hits = 24, 0
    for seed in range(20):
        texts = lone_language_event(np.random.default_rng(seed), dim)
        stats = CenteringStats(dim, ScoringConfig(subspace_rank=2))
        for side, lang, vecs in texts:
            stats.add(side, lang, vecs)
        need = stats.transform("need", "hr", texts[2][2])
        offers = {
            lang: stats.transform("offer", lang, v) for side, lang, v in texts if side == "offer"
        }
        best = max((float((need @ o.T)[0, 0]), lang) for lang, o in offers.items() if lang != "hr")
        hits += best[1] == "zh_Hans"
    assert hits >= 18


def test_a_language_of_two_companies_allows_a_second_direction() -> None:
    rng = np.random.default_rng(1)
    stats = CenteringStats(8, ScoringConfig(subspace_rank=2))
    for lang in ("zh_Hans", "hr", "pl"):
        stats.add("need", lang, rng.normal(size=(1, 8)))
        stats.add("offer", lang, rng.normal(size=(1, 8)))
    assert stats._derived()["basis"].shape[0] == 1
    second = rng.normal(size=(1, 8))
    stats.add("offer", "zh_Hans", second)
    assert stats._derived()["basis"].shape[0] == 2
    restored = CenteringStats.from_dict(stats.to_dict(), stats.config)
    assert restored.lang_texts == stats.lang_texts
    assert restored._derived()["basis"].shape[0] == 2
    stats.remove("offer", "zh_Hans", second)
    assert stats._derived()["basis"].shape[0] == 1


def test_a_snapshot_without_text_counts_is_rebuilt() -> None:
    stats = RoleStats(4)
    stats.add("need", "pl", {role: np.ones((1, 4)) for role in ("query", "passage")})
    snapshot = stats.to_dict()
    assert RoleStats.matches(snapshot, stats.config)
    for pair in snapshot["stats"]:
        del pair["texts"]
    assert not RoleStats.matches(snapshot, stats.config)


def test_csls_penalizes_hub_offers() -> None:
    matrix = np.array([[-np.inf, 0.8, 0.5], [0.65, -np.inf, 0.6], [0.9, 0.4, -np.inf]])
    assert hub_scores(matrix, 1, axis=0).tolist() == [0.9, 0.8, 0.6]
    assert matrix[1, 0] > matrix[1, 2]
    corrected = csls(matrix, 1)
    assert corrected[1, 2] > corrected[1, 0]  # column 0 is a hub: everyone's second best


def test_bonus_penalty_and_clip() -> None:
    config = ScoringConfig()
    assert (
        adjust(0.5, True, 0, config) > adjust(0.5, False, 0, config) > adjust(0.5, False, 2, config)
    )
    assert adjust(1.5, True, 0, config) == 1.0 and adjust(-0.2, False, 5, config) == 0.0


def test_mutual_needs_both_directions() -> None:
    config = ScoringConfig()
    assert is_mutual(0.3, 0.2, config) and not is_mutual(0.5, 0.01, config)


def test_shared_language_ignores_scripts() -> None:
    assert shares_language(["sr"], ["sr_Latn"]) and shares_language(["zh_Hans", "en"], ["en"])
    assert not shares_language(["zh_Hans"], ["pl"])


def test_recall_at_k_excludes_self_and_counts_ties_against() -> None:
    scores = np.array([[9.0, 0.5, 0.5], [0.1, 9.0, 0.9], [0.2, 0.3, 9.0]])
    assert recall_at_k(scores, {0: 1, 1: 2}, 1) == 0.5
    assert recall_at_k(scores, {0: 1, 1: 2}, 2) == 1.0


def test_role_ensemble_rows_average_the_centered_cosines_of_each_role_pair() -> None:
    rng = np.random.default_rng(1)
    dim = 8
    config = ScoringConfig(roles=ENSEMBLE_ROLES)
    assert side_roles(config.roles, "need") == ("query", "passage")
    assert side_roles(config.roles, "offer") == ("passage", "query")
    texts = [
        (side, lang, {"query": rng.normal(size=(2, dim)), "passage": rng.normal(size=(2, dim))})
        for side in ("need", "offer")
        for lang in ("pl", "zh_Hans", "hu")
    ]
    stats = RoleStats(dim, config)
    single = [CenteringStats(dim, config) for _ in config.roles]
    for side, lang, vecs in texts:
        stats.add(side, lang, vecs)
        for (need_role, offer_role), one in zip(config.roles, single, strict=True):
            one.add(side, lang, vecs[need_role if side == "need" else offer_role])
    _, lang_n, need = texts[0]
    _, lang_o, offer = texts[4]
    rows_n = stats.transform("need", lang_n, need)
    rows_o = stats.transform("offer", lang_o, offer)
    assert rows_n.shape == (2, 3 * dim) and np.allclose(np.linalg.norm(rows_n, axis=1), 1.0)
    expected = np.mean(
        [
            one.transform("need", lang_n, need[nr]) @ one.transform("offer", lang_o, offer[orl]).T
            for (nr, orl), one in zip(config.roles, single, strict=True)
        ],
        axis=0,
    )
    assert np.allclose(rows_n @ rows_o.T, expected, atol=1e-5)
    assert np.allclose(stats.primary(rows_n), single[0].transform("need", lang_n, need["query"]))
    restored = RoleStats.from_dict(stats.to_dict(), config)
    assert np.allclose(restored.transform("need", lang_n, need), rows_n)
    assert not RoleStats.matches(single[0].to_dict(), config)  # a pre-ensemble snapshot
    assert stats.count == 12
    for side, lang, vecs in texts:
        stats.remove(side, lang, vecs)
    assert stats.count == 0

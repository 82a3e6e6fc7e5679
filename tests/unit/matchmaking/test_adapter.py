"""The matching adapter: learned linear maps on centered sentence vectors."""

from __future__ import annotations

import numpy as np
import pytest

from matchmaking.adapter import LinearAdapter
from matchmaking.matching import (
    ENSEMBLE_ROLES,
    SINGLE_ROLES,
    RoleStats,
    ScoringConfig,
    normalize_rows,
)

QP = ("query", "passage")
DIM = 6


def rotation(dim: int, seed: int) -> np.ndarray:
    """Return a random orthogonal matrix."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(dim, dim)))
    return q


def adapter(deltas: dict, model: str = "m", dim: int = DIM) -> LinearAdapter:
    return LinearAdapter(model=model, dim=dim, deltas=deltas)


def test_maps_are_identity_plus_delta_and_rows_are_renormalized() -> None:
    rows = normalize_rows(np.random.default_rng(0).normal(size=(3, DIM)))
    delta = np.diag(np.arange(DIM, dtype=np.float32))
    mapped = adapter({("need", QP): delta}).apply("need", QP, rows)
    expected = normalize_rows(rows @ (np.eye(DIM) + delta))
    assert np.allclose(mapped, expected, atol=1e-6)
    assert np.allclose(np.linalg.norm(mapped, axis=1), 1.0)


def test_a_side_or_role_pair_without_a_map_is_left_as_it_is() -> None:
    rows = normalize_rows(np.random.default_rng(1).normal(size=(2, DIM)))
    only_needs = adapter({("need", QP): np.ones((DIM, DIM))})
    assert only_needs.covers("need", QP) and not only_needs.covers("offer", QP)
    assert np.allclose(only_needs.apply("offer", QP, rows), rows)
    assert np.allclose(only_needs.apply("need", ("query", "query"), rows), rows)
    assert only_needs.apply("need", QP, np.zeros((0, DIM))).shape == (0, DIM)


def test_a_learned_map_undoes_what_separates_needs_from_offers() -> None:
    # Offers are written "in another way": a rotation of the needs they meet. Cosine pairs each
    # need with the wrong offer; the map learned for needs (the same rotation) pairs them right.
    rng = np.random.default_rng(2)
    topics = normalize_rows(rng.normal(size=(5, DIM)))
    turn = rotation(DIM, 3)
    offers = normalize_rows(topics @ turn)
    before = (topics @ offers.T).argmax(axis=1)
    fitted = adapter({("need", QP): turn - np.eye(DIM)})
    after = (fitted.apply("need", QP, topics) @ fitted.apply("offer", QP, offers).T).argmax(axis=1)
    assert (before != np.arange(5)).any()
    assert (after == np.arange(5)).all()


def test_fingerprint_follows_the_maps_and_the_model() -> None:
    delta = np.random.default_rng(4).normal(size=(DIM, DIM)) * 0.01
    first = adapter({("need", QP): delta, ("offer", QP): delta})
    assert first.fingerprint == adapter({("offer", QP): delta, ("need", QP): delta}).fingerprint
    assert first.fingerprint != adapter({("need", QP): delta * 2, ("offer", QP): delta}).fingerprint
    assert first.fingerprint != adapter({("need", QP): delta}).fingerprint
    assert first.fingerprint != adapter({("need", QP): delta}, model="other").fingerprint
    assert first.role_pairs == (QP,)


@pytest.mark.parametrize(
    "deltas",
    [
        {("need", QP): np.zeros((DIM, DIM + 1))},
        {("somewhere", QP): np.zeros((DIM, DIM))},
        {("offer", QP): np.full((DIM, DIM), np.nan)},
    ],
    ids=["shape", "side", "not finite"],
)
def test_a_malformed_adapter_is_refused(deltas: dict) -> None:
    with pytest.raises(ValueError):
        adapter(deltas)


def add_event(stats: RoleStats, rng: np.random.Generator) -> None:
    for side in ("need", "offer"):
        for lang in ("pl", "zh_Hans", "hu", "pl"):
            stats.add(side, lang, {r: rng.normal(size=(2, DIM)) for r in ("query", "passage")})


def test_role_stats_map_each_role_pair_after_centering() -> None:
    rng = np.random.default_rng(5)
    config = ScoringConfig(roles=ENSEMBLE_ROLES)
    deltas = {
        (side, pair): rng.normal(size=(DIM, DIM)) * 0.2
        for side in ("need", "offer")
        for pair in ENSEMBLE_ROLES
    }
    fitted = adapter(deltas)
    plain, mapped = RoleStats(DIM, config), RoleStats(DIM, config, adapter=fitted)
    add_event(plain, np.random.default_rng(6))
    add_event(mapped, np.random.default_rng(6))
    text = {r: rng.normal(size=(3, DIM)) for r in ("query", "passage")}
    rows = mapped.transform("need", "pl", text)
    base = plain.transform("need", "pl", text)
    scale = 1 / np.sqrt(len(ENSEMBLE_ROLES))
    for j, pair in enumerate(ENSEMBLE_ROLES):
        block = slice(j * DIM, (j + 1) * DIM)
        expected = fitted.apply("need", pair, base[:, block] / scale) * scale
        assert np.allclose(rows[:, block], expected, atol=1e-5)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    # A zero delta is the unsupervised scoring exactly.
    zero = RoleStats(DIM, config, adapter=adapter({k: np.zeros((DIM, DIM)) for k in deltas}))
    add_event(zero, np.random.default_rng(6))
    assert np.allclose(zero.transform("need", "pl", text), base, atol=1e-6)


def test_a_snapshot_records_its_adapter_and_another_one_is_rebuilt() -> None:
    config = ScoringConfig(roles=SINGLE_ROLES)
    first = adapter({("need", QP): np.eye(DIM) * 0.1})
    second = adapter({("need", QP): np.eye(DIM) * 0.2})
    stats = RoleStats(DIM, config, adapter=first)
    add_event(stats, np.random.default_rng(7))
    snapshot = stats.to_dict()
    assert snapshot["adapter"] == first.fingerprint
    assert RoleStats.matches(snapshot, config, first)
    assert not RoleStats.matches(snapshot, config, second)
    assert not RoleStats.matches(snapshot, config, None)
    restored = RoleStats.from_dict(snapshot, config, first)
    text = {"query": np.ones((1, DIM)), "passage": np.ones((1, DIM))}
    assert np.allclose(restored.transform("need", "hu", text), stats.transform("need", "hu", text))
    with pytest.raises(ValueError):
        RoleStats.from_dict(snapshot, config, second)
    # Snapshots from before adapters existed match only when no adapter is used.
    del snapshot["adapter"]
    assert RoleStats.matches(snapshot, config, None)
    assert not RoleStats.matches(snapshot, config, first)

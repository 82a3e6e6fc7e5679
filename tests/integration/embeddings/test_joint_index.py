"""Joint multi-index: candidates for the combined score, kept in step with the index store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embeddings import joint_index
from embeddings.index_store import IndexStore
from embeddings.joint_index import JointCells

DIM = 16
TOPICS = 12


def unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def cells_of(*pairs: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Return (slots, cells) arrays from (slot, cell) pairs."""
    arr = np.array(pairs, np.int64).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


def small_joint() -> JointCells:
    # Three cells a side along the first three axes; a query scores cell i by its coordinate i.
    return JointCells(np.eye(3, 4, dtype=np.float32), np.eye(3, 4, dtype=np.float32))


def test_the_best_cell_pair_comes_first_and_both_directions_count() -> None:
    joint = small_joint()
    # Company 0 offers in cell 0 and needs in cell 1: it meets a query needing cell 0 and
    # offering cell 1. Company 1 is as good one way only, company 2 only the other way.
    joint.add(cells_of((0, 0), (1, 0), (2, 2)), cells_of((0, 1), (1, 2), (2, 1)), np.arange(3))
    needs = np.array([[1, 0, 0, 0]], np.float32)
    offers = np.array([[0, 1, 0, 0]], np.float32)
    assert joint.candidates(needs, offers, target=1).tolist() == [0]
    assert set(joint.candidates(needs, offers, target=3).tolist()) == {0, 1, 2}


def test_a_partner_strong_one_way_only_is_found() -> None:
    joint = small_joint()
    # Company 0 meets the query's need perfectly (offer cell 0) but needs what the query does
    # not offer (need cell 2, the weakest); companies 1-3 are mediocre both ways.
    joint.add(
        cells_of((0, 0), (1, 1), (2, 1), (3, 1)),
        cells_of((0, 2), (1, 1), (2, 1), (3, 1)),
        np.arange(4),
    )
    needs = np.array([[1.0, 0.3, 0, 0]], np.float32)
    offers = np.array([[0, 0.3, 0, 0]], np.float32)
    # One cell a side: the pair (0, 1) is empty, company 0 sits in (0, 2).
    assert 0 in joint.candidates(needs, offers, target=1, cells=1).tolist()


def test_a_company_without_one_side_is_still_reachable() -> None:
    joint = small_joint()
    joint.add(cells_of((0, 0)), cells_of(), np.array([0]))  # offers only
    needs = np.array([[1, 0, 0, 0]], np.float32)
    assert joint.candidates(needs, np.zeros((0, 4), np.float32), target=1).tolist() == [0]


def test_removed_companies_are_never_returned() -> None:
    joint = small_joint()
    joint.add(cells_of((0, 0), (1, 0)), cells_of((0, 1), (1, 1)), np.arange(2))
    joint.remove(0)
    found = joint.candidates(np.eye(1, 4, dtype=np.float32), np.eye(1, 4, 1, dtype=np.float32), 5)
    assert found.tolist() == [1]


@pytest.mark.parametrize("merge_min", [0, 10**9])
def test_pending_additions_match_one_bulk_load(
    monkeypatch: pytest.MonkeyPatch, merge_min: int
) -> None:
    monkeypatch.setattr(joint_index, "MERGE_MIN", merge_min)  # merged at once / never
    rng = np.random.default_rng(3)
    offer = (np.repeat(np.arange(60), 2), rng.integers(0, 3, 120))
    need = (np.arange(60), rng.integers(0, 3, 60))
    bulk = small_joint()
    bulk.add(offer, need, np.arange(60))
    stepwise = small_joint()
    for slot in range(60):
        mask_o, mask_n = offer[0] == slot, need[0] == slot
        stepwise.add(
            (offer[0][mask_o], offer[1][mask_o]), (need[0][mask_n], need[1][mask_n]), [slot]
        )
    query = unit(rng.normal(size=(2, 4)))
    for target in (1, 5, 20, 60):
        assert np.array_equal(
            bulk.candidates(query, query, target), stepwise.candidates(query, query, target)
        )
    assert len(bulk) == len(stepwise)


def topic_world(count: int, seed: int = 0) -> tuple[dict[str, dict[str, np.ndarray]], np.ndarray]:
    """Companies whose need and offer sentences sit near topic centres (real texts cluster)."""
    rng = np.random.default_rng(seed)
    centres = unit(rng.normal(size=(TOPICS, DIM)))
    world = {}
    for i in range(count):
        sides = {}
        for side in ("need", "offer"):
            topics = rng.integers(0, TOPICS, rng.integers(1, 3))
            sides[side] = unit(centres[topics] + 0.15 * rng.normal(size=(len(topics), DIM)))
        world[f"c{i}"] = sides
    return world, centres


def combined(world: dict[str, dict[str, np.ndarray]], me: str) -> dict[str, float]:
    mine = world[me]
    return {
        cid: float((mine["need"] @ v["offer"].T).max() + (mine["offer"] @ v["need"].T).max())
        for cid, v in world.items()
        if cid != me
    }


def ivf_store(tmp_path: Path, world: dict[str, dict[str, np.ndarray]]) -> IndexStore:
    store = IndexStore(tmp_path, "m", DIM, exact_limit=50, pq_limit=10**9)
    store.put_many(world.items())
    assert store.indexes["need"].kind == store.indexes["offer"].kind == "ivf"
    return store


def test_store_candidates_hold_the_best_partners(tmp_path: Path) -> None:
    world, _ = topic_world(600)
    store = ivf_store(tmp_path, world)
    hits = []
    for me in list(world)[:40]:
        scores = combined(world, me)
        best = sorted(scores, key=scores.__getitem__, reverse=True)[:5]
        slots = store.joint_candidates(world[me]["need"], world[me]["offer"], target=60)
        assert slots is not None and len(slots) < len(world) / 2
        found = set(store.slot_companies(slots))
        hits.append(len(found & set(best)) / 5)
    assert np.mean(hits) >= 0.9


def test_store_keeps_the_joint_index_in_step(tmp_path: Path) -> None:
    world, centres = topic_world(400, seed=1)
    store = ivf_store(tmp_path, world)
    needs, offers = centres[[0]], centres[[1]]
    assert store.joint_candidates(needs, offers, target=20) is not None
    built = store._joint
    # A newcomer that offers topic 0 and needs topic 1 is the perfect partner of that query.
    store.put("newcomer", {"need": centres[[1]], "offer": centres[[0]]})
    assert store._joint is built  # filed in place, not rebuilt
    slots = store.joint_candidates(needs, offers, target=1)
    assert slots is not None and "newcomer" in store.slot_companies(slots)
    store.remove("newcomer")
    slots = store.joint_candidates(needs, offers, target=400)
    assert slots is not None and "newcomer" not in store.slot_companies(slots)
    assert None not in store.slot_companies(slots)
    store.save()
    loaded = IndexStore(tmp_path, "m", DIM, exact_limit=50, pq_limit=10**9)
    loaded.load()
    again = loaded.joint_candidates(needs, offers, target=20)
    assert again is not None and set(again.tolist()) == set(
        store.joint_candidates(needs, offers, target=20).tolist()  # type: ignore[union-attr]
    )


def test_exact_indexes_have_no_joint_candidates(tmp_path: Path) -> None:
    world, _ = topic_world(20)
    store = IndexStore(tmp_path, "m", DIM)
    store.put_many(world.items())
    assert store.joint_candidates(world["c0"]["need"], world["c0"]["offer"]) is None


def test_full_cells_are_read_best_first_within_the_entry_budget() -> None:
    joint = small_joint()
    joint.add(cells_of(*((s, 0) for s in range(10)), (10, 1)), cells_of(), np.arange(11))
    joint._merge()
    grouped = joint._by_offer
    best_first = np.array([0, 1, 2])
    assert grouped.within(best_first, 5).tolist() == [0]  # the best cell even when too full
    assert grouped.within(best_first, 11).tolist() == [0, 1, 2]
    assert grouped.within(np.array([1, 0]), 5).tolist() == [1]

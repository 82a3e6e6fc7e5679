"""FAISS sentence indexes: add, replace, remove, exact/IVF switch, persistence, model checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embeddings.index_store import (
    IndexStore,
    RerankVectors,
    SentenceIndex,
    choose_kind,
    ivf_nlist,
    pq_subquantizers,
)
from matchmaking.errors import EmbeddingError

DIM = 8


def vectors(seed: int, count: int) -> np.ndarray:
    arr = np.random.default_rng(seed).normal(size=(count, DIM)).astype(np.float32)
    return arr / np.linalg.norm(arr, axis=1, keepdims=True)


def test_search_maps_hits_back_to_companies(tmp_path: Path) -> None:
    store = IndexStore(tmp_path, "m", DIM)
    offers = {f"c{i}": vectors(i, 3) for i in range(5)}
    for cid, vecs in offers.items():
        store.put(cid, {"offer": vecs, "need": vectors(100 + int(cid[1:]), 1)})
    best = store.search("offer", offers["c3"][1:2], 5)
    assert max(best, key=best.__getitem__) == "c3"
    assert best["c3"] == pytest.approx(1.0, abs=1e-5)


def test_replace_and_remove_without_rebuild(tmp_path: Path) -> None:
    store = IndexStore(tmp_path, "m", DIM)
    store.put("a", {"offer": vectors(1, 2)})
    store.put("b", {"offer": vectors(2, 2)})
    store.put("a", {"offer": vectors(3, 1)})  # replaced: its old sentences are gone
    assert len(store.indexes["offer"]) == 3
    assert (
        "a" not in store.search("offer", vectors(1, 1), 3)
        or store.search("offer", vectors(1, 1), 3)["a"] < 0.99
    )
    assert store.remove("b") and not store.remove("b")
    assert set(store.search("offer", vectors(2, 1), 10)) == {"a"}


def test_exact_below_the_limit_ivf_above() -> None:
    assert choose_kind(10, exact_limit=100) == "flat" and choose_kind(101, exact_limit=100) == "ivf"


def test_ivf_pq_above_the_pq_limit() -> None:
    assert choose_kind(200, exact_limit=100, pq_limit=300) == "ivf"
    assert choose_kind(301, exact_limit=100, pq_limit=300) == "ivfpq"
    assert choose_kind(3_000_000) == "ivfpq" and choose_kind(200_000) == "ivf"
    assert pq_subquantizers(384) == 48 and pq_subquantizers(8) == 8 and pq_subquantizers(10, 4) == 2


def test_ivf_list_count_grows_with_the_square_root() -> None:
    assert ivf_nlist(10) == 1 and ivf_nlist(50_000) == 512 and ivf_nlist(1_000_000) == 2048
    assert ivf_nlist(10**8) == 4096  # capped
    assert all(ivf_nlist(n) * 39 <= n for n in (100, 1000, 20_000))  # enough training points


def test_ivf_removal_is_physical(tmp_path: Path) -> None:
    store = IndexStore(tmp_path, "m", DIM, exact_limit=20)
    for i in range(30):
        store.put(f"c{i}", {"offer": vectors(i, 1)})
    index = store.indexes["offer"]
    assert index.kind == "ivf"
    store.remove("c7")
    assert "c7" not in store.search("offer", vectors(7, 1), 10)
    for i in range(8, 16):
        store.remove(f"c{i}")
    assert not index.deleted and index.ntotal == len(index) == 21


def clustered(seed: int, count: int, centers: int = 20) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(centers, DIM))
    arr = base[rng.integers(0, centers, count)] + rng.normal(scale=0.3, size=(count, DIM))
    arr = arr.astype(np.float32)
    return arr / np.linalg.norm(arr, axis=1, keepdims=True)


def test_ivf_finds_the_exact_neighbours_and_decodes_its_vectors() -> None:
    data = clustered(1, 2000)
    ids = np.arange(2000, dtype=np.int64) * 64 + 5
    ivf = SentenceIndex(DIM, "ivf", nprobe=8, scan_budget=0)
    ivf.add(ids, data)
    assert ivf.nlist == ivf_nlist(2000) > 1
    exact = SentenceIndex(DIM, "flat")
    exact.add(ids, data)
    _, want = exact.search(data[:50], 10)
    _, got = ivf.search(data[:50], 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(want, got, strict=True)])
    assert recall >= 0.9
    stored_ids, stored = ivf.vectors()
    order = np.argsort(stored_ids)
    assert np.array_equal(stored_ids[order], ids)
    assert np.abs(stored[order] - data).max() < 1e-3  # float16 rounding only


def test_ivf_scans_more_lists_while_they_are_short() -> None:
    ivf = SentenceIndex(DIM, "ivf", nprobe=2, scan_budget=500)
    ivf.add(np.arange(2000, dtype=np.int64), clustered(4, 2000))
    assert ivf.nlist == 32 and ivf.probes() == 8  # 8 lists of about 62 vectors
    ivf.scan_budget = 0
    assert ivf.probes() == 2
    ivf.scan_budget = 10**6
    assert ivf.probes() == 32
    assert SentenceIndex(DIM, "flat").probes() == 0


def test_ivf_is_retrained_as_it_grows_and_keeps_its_ids(tmp_path: Path) -> None:
    store = IndexStore(tmp_path, "m", DIM, exact_limit=20)
    data = clustered(2, 400)
    for i in range(400):
        store.put(f"c{i}", {"offer": data[i : i + 1]})
    index = store.indexes["offer"]
    assert index.kind == "ivf" and index.nlist == ivf_nlist(400) > 1 and len(index) == 400
    store.remove("c3")
    best = store.search("offer", data[5:6], 5)
    assert max(best, key=best.__getitem__) == "c5"
    assert "c3" not in store.search("offer", data[3:4], 10) and len(index) == 399


def test_an_old_hnsw_index_becomes_ivf_on_the_next_change(tmp_path: Path) -> None:
    store = IndexStore(tmp_path, "m", DIM, exact_limit=20)
    index = SentenceIndex(DIM, "hnsw")
    index.add(np.arange(30, dtype=np.int64) * 64, vectors(0, 30))
    store.indexes["offer"] = index
    store.put("new", {"offer": vectors(1, 1)})
    assert store.indexes["offer"].kind == "ivf" and len(store.indexes["offer"]) == 31


def test_ivf_store_survives_save_and_load(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "index", "m", DIM, exact_limit=20)
    data = clustered(3, 100)
    for i in range(100):
        store.put(f"c{i}", {"offer": data[i : i + 1]})
    store.save()
    loaded = IndexStore(tmp_path / "index", "m", DIM, exact_limit=20)
    manifest = loaded.load()
    assert manifest is not None and manifest["sides"]["offer"]["kind"] == "ivf"
    index = loaded.indexes["offer"]
    assert index.kind == "ivf" and index.nlist == store.indexes["offer"].nlist
    best = loaded.search("offer", data[42:43], 5)
    assert max(best, key=best.__getitem__) == "c42"
    loaded.remove("c42")
    assert "c42" not in loaded.search("offer", data[42:43], 5)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "index", "m", DIM)
    store.put("a", {"offer": vectors(1, 2), "need": vectors(2, 1)})
    store.save({"extra": 1})
    assert not list((tmp_path / "index").glob(".*"))  # no temporary files left
    loaded = IndexStore(tmp_path / "index", "m", DIM)
    manifest = loaded.load()
    assert manifest is not None and manifest["extra"] == 1 and manifest["count"] == 1
    assert loaded.search("need", vectors(2, 1), 1) == pytest.approx({"a": 1.0}, abs=1e-5)


def test_loading_with_another_model_or_dim_is_refused(tmp_path: Path) -> None:
    store = IndexStore(tmp_path, "model-a", DIM)
    store.put("a", {"offer": vectors(1, 1)})
    store.save()
    with pytest.raises(EmbeddingError, match="model-a"):
        IndexStore(tmp_path, "model-b", DIM).load()
    with pytest.raises(EmbeddingError, match="dimension"):
        IndexStore(tmp_path, "model-a", DIM * 2).load()


def test_missing_folder_loads_nothing(tmp_path: Path) -> None:
    assert IndexStore(tmp_path / "none", "m", DIM).load() is None


def test_sentence_index_serializes_deleted_ids() -> None:
    index = SentenceIndex(DIM, "hnsw")
    index.add(np.arange(10, dtype=np.int64), vectors(0, 10))
    index.remove([3])
    copy = SentenceIndex.from_bytes(index.to_bytes(), DIM, "hnsw", index.deleted)
    _, ids = copy.search(vectors(0, 10)[3:4], 3)
    assert 3 not in ids.tolist()[0]


def test_hnsw_removal_is_filtered_then_compacted() -> None:
    index = SentenceIndex(DIM, "hnsw")
    index.add(np.arange(30, dtype=np.int64), vectors(0, 30))
    index.remove([7])
    _, ids = index.search(vectors(0, 30)[7:8], 10)
    assert 7 not in ids.tolist()[0] and len(index) == 29
    index.remove(range(8, 16))
    assert not index.deleted and index.ntotal == len(index) == 21  # rebuilt past 20% removed


def pq_store(
    path: Path, count: int = 120, codec: str = "f16"
) -> tuple[IndexStore, dict[str, np.ndarray]]:
    """A store forced to IVF-PQ: companies of 1-3 offer sentences and one need sentence."""
    store = IndexStore(path, "m", DIM, exact_limit=10, pq_limit=40, rerank_codec=codec)
    data = clustered(5, 3 * count)
    offers = {f"c{i}": data[3 * i : 3 * i + 1 + i % 3] for i in range(count)}
    for i, (cid, vecs) in enumerate(offers.items()):
        store.put(cid, {"offer": vecs, "need": data[(7 * i) % len(data)][None, :]})
    return store, offers


# Re-rank error: float16, and sq8 over [-1, 1] (fewer than SQ8_MIN_TRAIN first vectors).
TOLERANCE = {"f16": 1e-3, "sq8": 1e-2}


@pytest.mark.parametrize("codec", ["f16", "sq8"])
def test_ivf_pq_finds_companies_and_scores_them_exactly(tmp_path: Path, codec: str) -> None:
    store, offers = pq_store(tmp_path, codec=codec)
    index = store.indexes["offer"]
    assert index.kind == "ivfpq" and index.rerank is not None and len(index) == 240
    assert index.rerank.codec == codec and index.rerank.path.suffix == f".{codec}"
    for cid in ("c4", "c50", "c119"):
        best = store.search("offer", offers[cid][-1:], 5)
        assert max(best, key=best.__getitem__) == cid
        assert best[cid] == pytest.approx(1.0, abs=TOLERANCE[codec])  # re-ranked, not PQ
    slots = store.candidate_slots("offer", offers["c50"][:1], 10)
    assert store.slots["c50"] in slots.tolist()
    scores = store.best_scores("offer", offers["c50"], slots)
    best_slot = int(slots[int(np.argmax(scores))])
    assert store.slot_companies(np.array([best_slot])) == ["c50"]
    vecs, counts = store.vectors_of("offer", ["c50", "nobody", "c4"])
    assert counts.tolist() == [3, 0, 2]
    assert np.abs(vecs[:3] - offers["c50"]).max() < TOLERANCE[codec]


def test_ivf_pq_removal_and_replacement(tmp_path: Path) -> None:
    store, offers = pq_store(tmp_path)
    store.remove("c50")
    store.put("c4", {"offer": offers["c50"][:1]})  # c4 now offers what c50 offered
    assert "c50" not in store.search("offer", offers["c50"][:1], 10)
    best = store.search("offer", offers["c50"][:1], 5)
    assert max(best, key=best.__getitem__) == "c4"
    assert store.search("offer", offers["c4"][1:2], 5).get("c4", 0.0) < 0.999
    index = store.indexes["offer"]
    ids, _ = index.vectors()
    assert len(ids) == len(index) == 240 - 3 - 2 + 1


def test_ivf_pq_vector_file_is_compacted_after_many_removals(tmp_path: Path) -> None:
    store, offers = pq_store(tmp_path)
    first = store.indexes["offer"].rerank
    assert first is not None
    store.save()
    for i in range(0, 60):
        store.remove(f"c{i}")
    second = store.indexes["offer"].rerank
    assert second is not None and second.path != first.path and second.dead_share() < 0.2
    assert first.path.exists()  # still named by the saved manifest
    store.save()
    assert not first.path.exists() and second.path.exists()
    best = store.search("offer", offers["c99"][:1], 5)
    assert max(best, key=best.__getitem__) == "c99"


@pytest.mark.parametrize("codec", ["f16", "sq8"])
def test_ivf_pq_store_survives_save_and_load(tmp_path: Path, codec: str) -> None:
    store, offers = pq_store(tmp_path / "index", codec=codec)
    store.save({"extra": 2})
    store.put("late", {"offer": offers["c7"][:1]})  # appended after the save: not kept
    loaded = IndexStore(tmp_path / "index", "m", DIM, exact_limit=10, pq_limit=40)
    manifest = loaded.load()
    assert manifest is not None and manifest["sides"]["offer"]["kind"] == "ivfpq"
    assert manifest["sides"]["offer"]["codec"] == codec
    index = loaded.indexes["offer"]
    assert index.kind == "ivfpq" and index.rerank is not None and index.rerank.rows == 240
    best = loaded.search("offer", offers["c7"][:1], 5)
    assert "late" not in best and max(best, key=best.__getitem__) == "c7"
    loaded.put("new", {"offer": offers["c9"][:1]})  # appends after the cut-off saved rows
    loaded.remove("c9")
    best = loaded.search("offer", offers["c9"][:1], 5)
    assert max(best, key=best.__getitem__) == "new"
    assert best["new"] == pytest.approx(1, abs=TOLERANCE[codec])
    assert not list((tmp_path / "index").glob(".*"))


def test_an_ivf_store_becomes_ivf_pq_as_it_grows(tmp_path: Path) -> None:
    store = IndexStore(tmp_path, "m", DIM, exact_limit=10, pq_limit=30)
    data = clustered(6, 40)
    kinds = []
    for i in range(40):
        store.put(f"c{i}", {"offer": data[i : i + 1]})
        kinds.append(store.indexes["offer"].kind)
    assert kinds[5] == "flat" and kinds[20] == "ivf" and kinds[-1] == "ivfpq"
    assert len(store.indexes["offer"]) == 40


def test_bulk_put_picks_the_final_kind_at_once(tmp_path: Path) -> None:
    store = IndexStore(tmp_path, "m", DIM, exact_limit=10, pq_limit=30)
    data = clustered(7, 100)
    store.put_many((f"c{i}", {"offer": data[2 * i : 2 * i + 2]}) for i in range(50))
    assert store.indexes["offer"].kind == "ivfpq" and len(store.indexes["offer"]) == 100
    best = store.search("offer", data[31:32], 3)
    assert max(best, key=best.__getitem__) == "c15"


def test_rerank_rows_are_found_when_ids_come_unsorted(tmp_path: Path) -> None:
    table = RerankVectors(DIM, tmp_path, "offer", codec="f16")
    data = vectors(8, 7)
    table.append(np.array([640, 641], np.int64), data[:2])
    table.append(np.array([64, 65, 66], np.int64), data[2:5])
    table.remove(np.array([65], np.int64))
    assert table.row_of(np.array([64, 65, 641, 7], np.int64)).tolist() == [2, -1, 1, -1]
    rows, counts = table.group_rows(np.array([1, 10, 3, 99, -1], np.int64), 64)
    got = table.read(rows)
    assert counts.tolist() == [2, 2, 0, 0, 0]
    assert np.abs(got - data[[2, 4, 0, 1]]).max() < 1e-3
    table.append(np.array([130, 700], np.int64), data[5:7])  # the group table follows appends
    rows, counts = table.group_rows(np.array([2, 10], np.int64), 64)
    assert counts.tolist() == [1, 3]
    assert np.abs(table.read(rows) - data[[5, 0, 1, 6]]).max() < 1e-3


def test_sq8_rerank_rows_take_their_range_from_the_first_vectors(tmp_path: Path) -> None:
    data = vectors(9, 3000) * np.linspace(0.2, 1.0, DIM, dtype=np.float32)  # narrow dimensions
    table = RerankVectors(DIM, tmp_path, "need", codec="sq8")
    ids = np.arange(3000, dtype=np.int64)
    table.append(ids[:2000], data[:2000])
    table.append(ids[2000:], data[2000:])
    assert table.path.stat().st_size == 8 * DIM + 3000 * DIM  # header, then 1 byte a value
    step = (data[:2000].max(axis=0) - data[:2000].min(axis=0)) * 1.1 / 255
    error = np.abs(table.read(ids) - data)
    assert (error.max(axis=0) <= step * 0.51 + 1e-6).all()
    table.flush()
    opened = RerankVectors.open(DIM, tmp_path, "need", table.token, table.row_table(), "sq8")
    assert np.array_equal(opened.read(ids[::7]), table.read(ids[::7]))
    compact = opened.compacted()
    assert np.array_equal(compact.read(ids[::7]), table.read(ids[::7]))
    few = RerankVectors(DIM, tmp_path, "offer", codec="sq8")
    few.append(ids[:2], data[:2] * 3)  # too few to take a range from: [-1, 1], clipped
    assert np.abs(few.read(np.arange(2))).max() <= 1.0

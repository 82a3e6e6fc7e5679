"""FAISS sentence indexes: add, replace, remove, exact/IVF switch, persistence, model checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embeddings.index_store import IndexStore, SentenceIndex, choose_kind, ivf_nlist
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

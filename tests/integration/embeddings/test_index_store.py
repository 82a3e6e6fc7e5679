"""FAISS sentence indexes: add, replace, remove, exact/HNSW switch, persistence, model checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embeddings.index_store import IndexStore, SentenceIndex, choose_kind
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


def test_exact_below_the_limit_hnsw_above() -> None:
    assert (
        choose_kind(10, exact_limit=100) == "flat" and choose_kind(101, exact_limit=100) == "hnsw"
    )


def test_hnsw_removal_is_filtered_then_compacted(tmp_path: Path) -> None:
    store = IndexStore(tmp_path, "m", DIM, exact_limit=20)
    for i in range(30):
        store.put(f"c{i}", {"offer": vectors(i, 1)})
    index = store.indexes["offer"]
    assert index.kind == "hnsw"
    store.remove("c7")
    assert "c7" not in store.search("offer", vectors(7, 1), 10)
    for i in range(8, 16):
        store.remove(f"c{i}")
    assert not index.deleted or len(index.deleted) <= 0.2 * index.ntotal  # rebuilt lazily
    assert len(index) == 21


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

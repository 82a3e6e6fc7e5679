"""Stored sentence vectors, on SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pytest

from storage.repos.vectors import vector_from_bytes, vector_to_bytes
from storage.repositories import Repositories


def random_vectors(count: int, dim: int = 384, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((count, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return {f"key{i}": vectors[i] for i in range(count)}


def test_bytes_are_float32_little_endian() -> None:
    vector = np.array([1.0, -0.5, 3.25], dtype=np.float32)
    assert vector_to_bytes(vector) == vector.astype("<f4").tobytes()
    assert vector_to_bytes(vector.astype(">f4")) == vector_to_bytes(vector)
    back = vector_from_bytes(vector_to_bytes(vector))
    assert back.dtype == np.float32 and back.flags.writeable
    with pytest.raises(ValueError, match="one-dimensional"):
        vector_to_bytes(np.zeros((2, 2), dtype=np.float32))


async def test_roundtrip_is_bit_exact(repos: Repositories) -> None:
    vectors = random_vectors(5)
    vectors["tiny"] = np.array([1e-38, -0.0, np.float32(np.pi), 3.4e38], dtype=np.float32)
    await repos.vectors.put_many("e5-small", vectors)
    found = await repos.vectors.get_many("e5-small", [*vectors, "missing"])
    assert set(found) == set(vectors)
    for key, vector in vectors.items():
        assert found[key].dtype == np.float32
        assert found[key].tobytes() == vector.tobytes()


async def test_put_keeps_existing_keys(repos: Repositories) -> None:
    first = random_vectors(3, seed=1)
    await repos.vectors.put_many("m", first)
    second = random_vectors(4, seed=2)
    await repos.vectors.put_many("m", second)
    found = await repos.vectors.get_many("m", list(second))
    for key in first:
        assert np.array_equal(found[key], first[key])
    assert np.array_equal(found["key3"], second["key3"])


async def test_models_are_kept_apart(repos: Repositories) -> None:
    await repos.vectors.put_many("m1", random_vectors(1, dim=4, seed=1))
    assert await repos.vectors.get_many("m2", ["key0"]) == {}
    await repos.vectors.put_many("m2", random_vectors(1, dim=8, seed=2))
    assert (await repos.vectors.get_many("m2", ["key0"]))["key0"].shape == (8,)


async def test_many_keys_at_once(repos: Repositories) -> None:
    vectors = random_vectors(1200, dim=16)
    await repos.vectors.put_many("m", vectors)
    await repos.vectors.put_many("m", {})
    found = await repos.vectors.get_many("m", list(vectors))
    assert len(found) == 1200
    assert await repos.vectors.get_many("m", []) == {}

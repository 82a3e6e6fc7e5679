"""Sentence vectors keyed by model and key, stored as little-endian float32 bytes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sqlalchemy import select

from matchmaking.ports import FloatArray
from storage.db import Database
from storage.repos.common import chunked, upsert_insert
from storage.tables import TextEmbeddingRow

_FLOAT32_LE = np.dtype("<f4")


def vector_to_bytes(vector: FloatArray) -> bytes:
    """Return the float32 little-endian bytes of a one-dimensional vector.

    Raises:
        ValueError: If the vector is not one-dimensional.
    """
    if vector.ndim != 1:
        raise ValueError(f"expected a one-dimensional vector, got shape {vector.shape}")
    return np.ascontiguousarray(vector, dtype=_FLOAT32_LE).tobytes()


def vector_from_bytes(data: bytes) -> FloatArray:
    """Return a writable float32 vector from what `vector_to_bytes` wrote."""
    return np.frombuffer(data, dtype=_FLOAT32_LE).astype(np.float32)


class SqlVectorStore:
    """`VectorStore` on a SQL database.

    Args:
        db: The database.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get_many(self, model: str, keys: Sequence[str]) -> dict[str, FloatArray]:
        """Return the stored vectors among `keys`."""
        found: dict[str, FloatArray] = {}
        async with self._db.sessions() as session:
            for part in chunked(list(dict.fromkeys(keys))):
                rows = await session.execute(
                    select(TextEmbeddingRow.key, TextEmbeddingRow.vector).where(
                        TextEmbeddingRow.model == model, TextEmbeddingRow.key.in_(part)
                    )
                )
                for key, data in rows:
                    found[key] = vector_from_bytes(data)
        return found

    async def put_many(self, model: str, items: Mapping[str, FloatArray]) -> None:
        """Store vectors by key; keys already stored for the model are left as they are."""
        rows = [
            {"model": model, "key": key, "dim": int(vector.size), "vector": vector_to_bytes(vector)}
            for key, vector in items.items()
        ]
        if not rows:
            return
        async with self._db.begin() as session:
            for part in chunked(rows, 200):
                statement = (
                    upsert_insert(self._db, TextEmbeddingRow)
                    .values(list(part))
                    .on_conflict_do_nothing(index_elements=["model", "key"])
                )
                await session.execute(statement)

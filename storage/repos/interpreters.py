"""The organizer's pool of interpreters."""

from __future__ import annotations

import builtins

from sqlalchemy import delete, select

from matchmaking.models import Interpreter
from storage.db import Database
from storage.repos.common import intervals_from_json, intervals_to_json, upsert_insert
from storage.tables import InterpreterRow


def _to_interpreter(row: InterpreterRow) -> Interpreter:
    return Interpreter(
        id=row.id,
        name=row.name,
        language_pairs=tuple((first, second) for first, second in row.language_pairs),
        available=intervals_from_json(row.available),
    )


class SqlInterpreterRepository:
    """`InterpreterRepository` on a SQL database.

    Args:
        db: The database.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    async def list(self) -> builtins.list[Interpreter]:
        """Return all interpreters ordered by id."""
        async with self._db.sessions() as session:
            rows = await session.scalars(select(InterpreterRow).order_by(InterpreterRow.id))
            return [_to_interpreter(row) for row in rows]

    async def upsert(self, interpreter: Interpreter) -> None:
        """Add or change an interpreter."""
        values = {
            "name": interpreter.name,
            "language_pairs": [list(pair) for pair in interpreter.language_pairs],
            "available": intervals_to_json(interpreter.available),
        }
        statement = (
            upsert_insert(self._db, InterpreterRow)
            .values(id=interpreter.id, **values)
            .on_conflict_do_update(index_elements=["id"], set_=values)
        )
        async with self._db.begin() as session:
            await session.execute(statement)

    async def delete(self, interpreter_id: str) -> None:
        """Remove an interpreter (an unknown id is ignored)."""
        async with self._db.begin() as session:
            await session.execute(delete(InterpreterRow).where(InterpreterRow.id == interpreter_id))

"""Each chat user's dialog state, as JSON."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from matchmaking.models import utcnow
from storage.db import Database
from storage.repos.common import upsert_insert
from storage.tables import DialogStateRow


class SqlDialogStateStore:
    """`DialogStateStore` on a SQL database.

    Args:
        db: The database.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self, user_id: int) -> dict[str, Any] | None:
        """Return the stored state or None."""
        async with self._db.sessions() as session:
            return await session.scalar(
                select(DialogStateRow.state).where(DialogStateRow.user_id == user_id)
            )

    async def save(self, user_id: int, state: dict[str, Any]) -> None:
        """Store the state, replacing the previous one."""
        now = utcnow()
        statement = upsert_insert(self._db, DialogStateRow).values(
            user_id=user_id, state=state, updated_at=now
        )
        statement = statement.on_conflict_do_update(
            index_elements=["user_id"], set_={"state": state, "updated_at": now}
        )
        async with self._db.begin() as session:
            await session.execute(statement)

    async def delete(self, user_id: int) -> None:
        """Forget the state."""
        async with self._db.begin() as session:
            await session.execute(delete(DialogStateRow).where(DialogStateRow.user_id == user_id))

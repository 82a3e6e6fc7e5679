"""Persistent jobs: a key is unique among pending jobs, and putting it again replaces the job."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, text, update

from matchmaking.models import Job, JobKind
from storage.db import Database
from storage.repos.common import as_utc, upsert_insert
from storage.tables import JobRow


def _to_job(row: JobRow) -> Job:
    return Job(
        key=row.key,
        kind=JobKind(row.kind),
        due_at=as_utc(row.due_at),
        payload=dict(row.payload),
        done=row.done,
        id=row.id,
    )


class SqlJobStore:
    """`JobStore` on a SQL database.

    Args:
        db: The database.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, job: Job) -> Job:
        """Add a job, replacing a pending one with the same key (which keeps its id).

        The id is set on `job`, which is returned.
        """
        values = {
            "key": job.key,
            "kind": job.kind.value,
            "due_at": job.due_at,
            "payload": job.payload,
            "done": job.done,
        }
        insert = upsert_insert(self._db, JobRow).values(**values)
        statement = insert.on_conflict_do_update(
            index_elements=["key"],
            index_where=text("NOT done"),
            set_={"kind": job.kind.value, "due_at": job.due_at, "payload": job.payload},
        ).returning(JobRow.id)
        async with self._db.begin() as session:
            job.id = (await session.execute(statement)).scalar_one()
        return job

    async def due(self, now: datetime, limit: int = 100) -> list[Job]:
        """Return pending jobs whose time has come, oldest first."""
        query = (
            select(JobRow)
            .where(JobRow.done.is_(False), JobRow.due_at <= now)
            .order_by(JobRow.due_at, JobRow.id)
            .limit(limit)
        )
        async with self._db.sessions() as session:
            return [_to_job(row) for row in await session.scalars(query)]

    async def mark_done(self, job_id: int) -> None:
        """Mark a job as done (an unknown id is ignored)."""
        async with self._db.begin() as session:
            await session.execute(update(JobRow).where(JobRow.id == job_id).values(done=True))

    async def cancel(self, key_prefix: str) -> int:
        """Delete pending jobs whose key starts with a prefix (case-sensitive); return how many."""
        statement = (
            delete(JobRow)
            .where(
                JobRow.done.is_(False),
                func.substr(JobRow.key, 1, len(key_prefix)) == key_prefix,
            )
            .returning(JobRow.id)
        )
        async with self._db.begin() as session:
            return len((await session.execute(statement)).all())

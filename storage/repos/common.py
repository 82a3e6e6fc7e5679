"""Helpers shared by the SQL repositories: dialect-specific inserts, errors, JSON times."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError

from storage.db import Database
from storage.tables import Base

T = TypeVar("T")

# PostgreSQL's "deadlock detected" and "could not serialize": two writers met on the same rows.
_CONFLICT_SQLSTATES = frozenset({"40P01", "40001"})


def upsert_insert(db: Database, table: type[Base]) -> postgresql.Insert | sqlite.Insert:
    """Return an INSERT that supports `ON CONFLICT` on this database."""
    if db.is_postgresql:
        return postgresql.insert(table)
    return sqlite.insert(table)


def is_conflict(exc: DBAPIError) -> bool:
    """Return True when a failed write clashed with another one (unique key, deadlock)."""
    if isinstance(exc, IntegrityError):
        return True
    return getattr(exc.orig, "sqlstate", None) in _CONFLICT_SQLSTATES


def as_utc(value: datetime) -> datetime:
    """Return an aware UTC datetime (a naive one is taken to be UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def intervals_to_json(intervals: Sequence[tuple[datetime, datetime]]) -> list[Any]:
    """Encode time intervals as `[[start, end], ...]` ISO strings in UTC."""
    return [[as_utc(start).isoformat(), as_utc(end).isoformat()] for start, end in intervals]


def intervals_from_json(data: Sequence[Any]) -> tuple[tuple[datetime, datetime], ...]:
    """Decode what `intervals_to_json` wrote."""
    return tuple(
        (as_utc(datetime.fromisoformat(start)), as_utc(datetime.fromisoformat(end)))
        for start, end in data
    )


def chunked(items: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    """Yield slices of at most `size` items (databases cap the parameters of one statement)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]

"""Database: URLs, SQLite settings, and migrations that match the tables exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.db import Database, normalize_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///var/x.sqlite3", "sqlite+aiosqlite:///var/x.sqlite3"),
        ("sqlite+aiosqlite:///:memory:", "sqlite+aiosqlite:///:memory:"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgres://u:p@h:5433/db", "postgresql+asyncpg://u:p@h:5433/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_urls_get_the_async_driver(given: str, expected: str) -> None:
    url, wanted = normalize_url(given), make_url(expected)
    assert (url.drivername, url.username, url.password, url.host, url.port, url.database) == (
        wanted.drivername,
        wanted.username,
        wanted.password,
        wanted.host,
        wanted.port,
        wanted.database,
    )


def test_other_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database"):
        Database("mysql://u@h/db")


def test_schema_is_postgresql_only() -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        Database("sqlite:///x.sqlite3", schema="other")


async def test_sqlite_file_gets_its_folder_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "bot.sqlite3"
    db = Database(f"sqlite:///{path}", busy_timeout_ms=1234)
    try:
        assert path.parent.is_dir()
        async with db.engine.connect() as connection:
            assert (await connection.scalar(text("PRAGMA journal_mode"))) == "wal"
            assert (await connection.scalar(text("PRAGMA foreign_keys"))) == 1
            assert (await connection.scalar(text("PRAGMA busy_timeout"))) == 1234
    finally:
        await db.dispose()


async def test_memory_database_is_one_shared_database() -> None:
    async with Database("sqlite:///:memory:") as db:
        await db.upgrade()
        assert await db.current_revision() == "0001"


async def test_upgrade_twice_changes_nothing(database: Database) -> None:
    await database.upgrade()
    assert await database.current_revision() == "0001"

"""Shared database fixtures for integration tests: the same tests on SQLite and PostgreSQL.

`database` is parametrized over a fresh SQLite file and PostgreSQL. For PostgreSQL one schema
(`mb_test_<random>`) is created and migrated per test session, so parallel runs do not collide,
emptied before every test and dropped at the end. An unreachable server skips the PostgreSQL
tests, unless `MATCHBOT_REQUIRE_SERVICES=1` (as in CI), which makes them fail.
Set `MATCHBOT_TEST_POSTGRES_URL` to use another server.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import Database
from storage.tables import Base

POSTGRES_URLS = (
    "postgresql+asyncpg://root@127.0.0.1:5432/test",
    "postgresql+asyncpg://postgres@127.0.0.1:5432/test",
)


async def _first_reachable(urls: tuple[str, ...]) -> tuple[str | None, str]:
    errors = []
    for url in urls:
        db = Database(url)
        try:
            async with db.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            return url, ""
        except Exception as exc:  # any failure means "not this one": try the next
            errors.append(f"{db!r}: {type(exc).__name__}: {exc}")
        finally:
            await db.dispose()
    return None, "; ".join(errors)


async def _create_schema(url: str, schema: str) -> None:
    db = Database(url)
    try:
        async with db.engine.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        await db.dispose()
    await _migrate(url, schema)


async def _migrate(url: str, schema: str | None = None) -> None:
    db = Database(url, schema=schema)
    try:
        await db.upgrade()
    finally:
        await db.dispose()


async def _drop_schema(url: str, schema: str) -> None:
    db = Database(url)
    try:
        async with db.engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[tuple[str, str]]:
    """Create and migrate a private PostgreSQL schema for this session; yield (url, schema)."""
    configured = os.environ.get("MATCHBOT_TEST_POSTGRES_URL")
    url, errors = asyncio.run(_first_reachable((configured,) if configured else POSTGRES_URLS))
    if url is None:
        message = f"PostgreSQL is not reachable ({errors})"
        if os.environ.get("MATCHBOT_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{message}; MATCHBOT_REQUIRE_SERVICES=1 requires it", pytrace=False)
        pytest.skip(message)
    schema = f"mb_test_{secrets.token_hex(6)}"
    asyncio.run(_create_schema(url, schema))
    try:
        yield url, schema
    finally:
        asyncio.run(_drop_schema(url, schema))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a SQLite file migrated once per session, for tests to copy."""
    path = tmp_path_factory.mktemp("sqlite-template") / "matchbot.sqlite3"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture
async def sqlite_database(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Database]:
    """Yield a migrated database in a fresh SQLite file."""
    path = tmp_path / "var" / "matchbot.sqlite3"
    path.parent.mkdir()
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
async def postgres_database(postgres_schema: tuple[str, str]) -> AsyncIterator[Database]:
    """Yield the session's migrated PostgreSQL schema, emptied."""
    url, schema = postgres_schema
    db = Database(url, schema=schema)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    async with db.engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)],
)
def database(request: pytest.FixtureRequest) -> Database:
    """Yield a migrated, empty database: once SQLite, once PostgreSQL."""
    name = "sqlite_database" if request.param == "sqlite" else "postgres_database"
    db: Database = request.getfixturevalue(name)
    return db

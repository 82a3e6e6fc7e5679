"""The database: one async engine and its session factory, SQLite or PostgreSQL.

Nothing is built when this module is imported; `Database(url)` builds the engine (which does not
connect until first used) and `await db.upgrade()` brings the schema to the newest migration.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

logger = logging.getLogger(__name__)

SQLITE_DRIVER = "sqlite+aiosqlite"
POSTGRES_DRIVER = "postgresql+asyncpg"


def normalize_url(url: str) -> URL:
    """Return the URL with the async driver this project uses.

    `sqlite://` becomes `sqlite+aiosqlite://`; `postgresql://`, `postgres://` and
    `postgresql+psycopg://` (any other driver) become `postgresql+asyncpg://`.

    Args:
        url: A database URL as configured.

    Returns:
        The parsed URL with an async driver.

    Raises:
        ValueError: If the database is neither SQLite nor PostgreSQL.
    """
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername=SQLITE_DRIVER)
    if backend == "postgresql":
        return parsed.set(drivername=POSTGRES_DRIVER)
    raise ValueError(f"unsupported database {backend!r}: use SQLite or PostgreSQL")


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or bool(url.query.get("mode") == "memory")


class Database:
    """An async engine and session factory for one database.

    Args:
        url: SQLite (`sqlite+aiosqlite:///var/matchbot.sqlite3`) or PostgreSQL
            (`postgresql+asyncpg://user@host/db`; `postgresql://` and `postgres://` are rewritten).
        schema: PostgreSQL only: the schema to work in (put first on the `search_path`); it
            must exist. Tests use it to keep parallel runs apart.
        busy_timeout_ms: SQLite only: how long a writer waits for another one's lock.
        echo: Log every SQL statement.
        engine_options: Extra keyword arguments for `create_async_engine`.
    """

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        busy_timeout_ms: int = 10_000,
        echo: bool = False,
        engine_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.url = normalize_url(url)
        self.schema = schema
        self.busy_timeout_ms = busy_timeout_ms
        if schema is not None and not self.is_postgresql:
            raise ValueError("a schema can only be chosen on PostgreSQL")
        self.engine = self._build_engine(echo, dict(engine_options or {}))
        self.sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        """Return True for SQLite."""
        return self.url.get_backend_name() == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        """Return True for PostgreSQL."""
        return self.url.get_backend_name() == "postgresql"

    @property
    def dialect(self) -> str:
        """Return the dialect name (`sqlite` or `postgresql`)."""
        return self.url.get_backend_name()

    def _build_engine(self, echo: bool, options: dict[str, Any]) -> AsyncEngine:
        if self.is_sqlite:
            return self._build_sqlite_engine(echo, options)
        if self.schema is not None:
            connect_args = dict(options.pop("connect_args", {}))
            settings = dict(connect_args.get("server_settings", {}))
            settings["search_path"] = self.schema
            connect_args["server_settings"] = settings
            options["connect_args"] = connect_args
        options.setdefault("pool_pre_ping", True)
        return create_async_engine(self.url, echo=echo, **options)

    def _build_sqlite_engine(self, echo: bool, options: dict[str, Any]) -> AsyncEngine:
        if _is_memory(self.url):
            options.setdefault("poolclass", StaticPool)
            connect_args = dict(options.pop("connect_args", {}))
            connect_args.setdefault("check_same_thread", False)
            options["connect_args"] = connect_args
        elif self.url.database is not None and not self.url.database.startswith("file:"):
            Path(self.url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(self.url, echo=echo, **options)
        busy_timeout = int(self.busy_timeout_ms)
        memory = _is_memory(self.url)

        @event.listens_for(engine.sync_engine, "connect")
        def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={busy_timeout}")
            cursor.close()

        return engine

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        """Open a session in a transaction, committed on success and rolled back on error.

        Yields:
            The session.
        """
        async with self.sessions() as session, session.begin():
            yield session

    async def upgrade(self, revision: str = "head") -> None:
        """Apply the Alembic migrations up to a revision (the newest by default)."""
        async with self.engine.begin() as connection:
            await connection.run_sync(_run_alembic, "upgrade", revision)
        logger.info("Database schema upgraded to %s", revision)

    async def downgrade(self, revision: str) -> None:
        """Revert the Alembic migrations down to a revision (`base` removes everything)."""
        async with self.engine.begin() as connection:
            await connection.run_sync(_run_alembic, "downgrade", revision)

    async def current_revision(self) -> str | None:
        """Return the revision the database is at, or None before the first migration."""
        async with self.engine.connect() as connection:
            return await connection.run_sync(_current_revision)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.dispose()

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"


def _run_alembic(connection: Connection, command_name: str, revision: str) -> None:
    from alembic import command

    from storage.migrations import alembic_config

    config = alembic_config(connection=connection)
    if command_name == "upgrade":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)


def _current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()

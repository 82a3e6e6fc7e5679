"""Alembic environment: runs on a connection handed over by `Database.upgrade()`, or opens one.

Driven from `Database`, `config.attributes["connection"]` holds a synchronous connection (from
`AsyncConnection.run_sync`) and the migrations run on it, inside the caller's transaction. From
the command line the URL comes from the configuration or `MATCHBOT_DATABASE_URL` and an async
engine is built for the run.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from storage.db import Database, normalize_url
from storage.migrations import URL_ENV
from storage.tables import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render the UTC timestamp type as the plain type it stores."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get(URL_ENV, "")
    if not url:
        raise SystemExit(f"No database URL: pass --url or set {URL_ENV}")
    return url


def run_migrations_offline() -> None:
    """Write the SQL of the migrations instead of running it."""
    context.configure(
        url=normalize_url(_url()),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online_async() -> None:
    db = Database(_url())
    try:
        async with db.engine.connect() as connection:
            await connection.run_sync(_run_on)
            await connection.commit()
    finally:
        await db.dispose()


def run_migrations_online() -> None:
    """Run the migrations on the handed-over connection, or on a new one."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
    else:
        asyncio.run(_run_online_async())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

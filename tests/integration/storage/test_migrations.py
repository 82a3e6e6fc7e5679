"""The migrations: they create exactly `storage.tables`, on SQLite and PostgreSQL, and run
from the command line (`python -m storage.migrations`) without an alembic.ini."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage.db import Database
from storage.migrations.__main__ import main
from storage.tables import Base


def test_cli_upgrades_and_finds_nothing_left_to_generate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli' / 'bot.sqlite3'}"
    main(["--url", url, "upgrade", "head"])
    main(["--url", url, "check"])
    main(["--url", url, "current"])
    assert "0001 (head)" in capsys.readouterr().out


def test_cli_takes_the_url_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MATCHBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite3'}")
    main(["upgrade", "head"])
    main(["current"])
    assert "0001 (head)" in capsys.readouterr().out


def test_cli_writes_postgresql_sql_offline(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--url", "postgres://nobody@nowhere/db", "upgrade", "head", "--sql"])
    sql = capsys.readouterr().out
    assert "CREATE TABLE meeting_slots" in sql
    assert "CREATE UNIQUE INDEX uq_jobs_pending_key ON jobs (key) WHERE NOT done" in sql
    assert "TIMESTAMP WITH TIME ZONE" in sql


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_create_exactly_the_tables(database: Database) -> None:
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_diff) == []
        names = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert names == set(Base.metadata.tables) | {"alembic_version"}


async def test_migrations_downgrade_and_upgrade_again(database: Database) -> None:
    assert await database.current_revision() == "0001"
    await database.downgrade("base")
    async with database.engine.connect() as connection:
        names = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert names <= {"alembic_version"}
    await database.upgrade()
    assert await database.current_revision() == "0001"
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_diff) == []

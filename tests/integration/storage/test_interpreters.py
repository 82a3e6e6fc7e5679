"""The interpreter pool, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from matchmaking.models import Interpreter
from storage.repositories import Repositories

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


async def test_upsert_list_delete(repos: Repositories) -> None:
    zhang = Interpreter(
        "i2",
        "Zhang Wei",
        language_pairs=(("zh", "en"), ("zh", "pl")),
        available=(
            (T0, T0 + timedelta(hours=4)),
            (T0 + timedelta(days=1), T0 + timedelta(days=1, hours=2)),
        ),
    )
    anna = Interpreter("i1", "Anna")
    await repos.interpreters.upsert(zhang)
    await repos.interpreters.upsert(anna)
    assert await repos.interpreters.list() == [anna, zhang]

    renamed = Interpreter("i1", "Anna K.", language_pairs=(("pl", "en"),))
    await repos.interpreters.upsert(renamed)
    assert await repos.interpreters.list() == [renamed, zhang]

    await repos.interpreters.delete("i2")
    await repos.interpreters.delete("unknown")
    assert await repos.interpreters.list() == [renamed]

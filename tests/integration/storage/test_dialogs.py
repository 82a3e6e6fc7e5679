"""Dialog states, on SQLite and PostgreSQL."""

from __future__ import annotations

from storage.repositories import Repositories

BIG_USER_ID = 7_000_000_123  # Telegram user ids exceed 32 bits


async def test_roundtrip_overwrite_and_delete(repos: Repositories) -> None:
    assert await repos.dialogs.load(BIG_USER_ID) is None
    state = {"flow": "intake", "step": "name", "data": {"languages": ["pl", "zh"], "n": 1.5}}
    await repos.dialogs.save(BIG_USER_ID, state)
    assert await repos.dialogs.load(BIG_USER_ID) == state

    await repos.dialogs.save(BIG_USER_ID, {"flow": "matches", "note": "Łódź 你好"})
    assert await repos.dialogs.load(BIG_USER_ID) == {"flow": "matches", "note": "Łódź 你好"}

    await repos.dialogs.save(1, {})
    await repos.dialogs.delete(BIG_USER_ID)
    assert await repos.dialogs.load(BIG_USER_ID) is None
    assert await repos.dialogs.load(1) == {}
    await repos.dialogs.delete(BIG_USER_ID)

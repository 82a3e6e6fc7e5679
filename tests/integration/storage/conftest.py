"""Fixtures for the storage tests."""

from __future__ import annotations

import pytest

from storage.db import Database
from storage.repositories import Repositories


@pytest.fixture
def repos(database: Database) -> Repositories:
    """Return every repository on the test database (SQLite, then PostgreSQL)."""
    return Repositories.create(database)

"""Alembic migrations of the matchbot schema, configured in code (no `alembic.ini`).

`Database.upgrade()` runs them on an open connection; from a shell use
`python -m storage.migrations --url URL upgrade head` (any Alembic command works; the URL can
also come from `MATCHBOT_DATABASE_URL`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).resolve().parent
URL_ENV = "MATCHBOT_DATABASE_URL"


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """Return an Alembic configuration for these migrations.

    Args:
        url: Database URL for a run that opens its own connection (the CLI).
        connection: An open connection to run on instead (`env.py` then uses it as it is).

    Returns:
        The configuration, with `script_location` set to this package's folder.
    """
    from alembic.config import Config

    config = Config(stdout=sys.stdout)  # the current stream, not the one at import time
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config

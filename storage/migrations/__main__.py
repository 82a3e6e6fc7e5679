"""Run an Alembic command on the matchbot schema: `python -m storage.migrations [--url URL] ...`."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from storage.migrations import URL_ENV, alembic_config


def main(argv: Sequence[str] | None = None) -> None:
    """Parse Alembic's usual arguments, plus `--url`, and run the command.

    Args:
        argv: Arguments without the program name (default: `sys.argv[1:]`).
    """
    from alembic.config import CommandLine

    args = list(sys.argv[1:] if argv is None else argv)
    url = os.environ.get(URL_ENV)
    if "--url" in args:
        at = args.index("--url")
        url = args[at + 1]
        del args[at : at + 2]
    cli = CommandLine(prog="python -m storage.migrations")
    options = cli.parser.parse_args(args)
    if not hasattr(options, "cmd"):
        cli.parser.error("too few arguments")
    cli.run_cmd(alembic_config(url=url), options)


if __name__ == "__main__":
    main()

"""The `matchbot` command line: demo, run, chat, import, suggest, remove, block, reindex, schedule,
db, embeddings, interpreters."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from matchmaking.errors import ConfigError, MatchbotError

T = TypeVar("T")

app = typer.Typer(
    help="matchbot: multilingual B2B matchmaking bot for SMEs across languages and time zones.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
emb_app = typer.Typer(help="Embedding model tools.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(emb_app, name="embeddings")
interp_app = typer.Typer(help="The organizer's interpreter pool.", no_args_is_help=True)
app.add_typer(interp_app, name="interpreters")


@contextmanager
def _reported(code: int = 1, kind: type[MatchbotError] = MatchbotError) -> Iterator[None]:
    """Turn a `kind` error into its one-line message on stderr and exit status `code`."""
    try:
        yield
    except kind as exc:
        typer.echo(f"matchbot: {exc.render()}", err=True)
        raise typer.Exit(code) from None


def _settings(**overrides: Any) -> Any:
    from bot.config import load_settings

    with _reported(2, ConfigError):
        settings = load_settings(**overrides)
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("aiosqlite", "httpx", "httpcore", "sentence_transformers", "faiss"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return settings


def _run(coro_factory: Callable[[], Awaitable[T]]) -> T:
    try:
        with _reported():
            return asyncio.run(coro_factory())  # type: ignore[arg-type]
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Seed of the generated event.")] = 2026,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the demo database, index and report go.")
    ] = None,
) -> None:
    """Build a demo event like the real one and print the matchmaking report."""
    overrides: dict[str, Any] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    settings = _settings(**overrides)
    from bot.demo.runner import run_demo

    text = _run(lambda: run_demo(settings, seed=seed))
    typer.echo(text)


@app.command()
def run(
    channel: Annotated[str | None, typer.Option(help="aiogram (default) or ptb.")] = None,
    webhook: Annotated[bool, typer.Option(help="Receive updates by webhook.")] = False,
) -> None:
    """Start the Telegram bot."""
    settings = _settings()
    chosen = channel or settings.channel
    if chosen == "console":
        chosen = "aiogram"
    if chosen not in ("aiogram", "ptb"):
        typer.echo("matchbot: --channel must be aiogram or ptb", err=True)
        raise typer.Exit(2)
    if not settings.telegram_token.get_secret_value():
        typer.echo(
            "matchbot: MATCHBOT_TELEGRAM_TOKEN is not set (try `matchbot chat` without a token)",
            err=True,
        )
        raise typer.Exit(2)
    from bot.app import build_app

    bot_app = build_app(settings)
    if chosen == "ptb":
        from bot.channels.ptb import run_ptb

        _run(lambda: run_ptb(bot_app, webhook=webhook))
    else:
        from bot.channels.aiogram import run_aiogram

        _run(lambda: run_aiogram(bot_app, webhook=webhook))


@app.command()
def chat(
    lang: Annotated[str, typer.Option(help="Language of the conversation.")] = "en",
    user: Annotated[str, typer.Option(help="Who you are (one profile per name).")] = "console",
) -> None:
    """Talk to the bot in the terminal, against the same database."""
    settings = _settings()
    from bot.app import build_app
    from bot.channels.console import run_console

    bot_app = build_app(settings)
    _run(lambda: run_console(bot_app, lang=lang, user=user))


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV or JSONL file of companies.")],
) -> None:
    """Import companies from a CSV or JSONL file, embed and index them."""
    settings = _settings()
    if not file.is_file():
        typer.echo(f"matchbot: no such file: {file}", err=True)
        raise typer.Exit(2)
    from bot.operations import import_companies

    report = _run(lambda: import_companies(settings, file))
    lines = [
        f"rejected row {rej.row}{f' ({rej.company_id})' if rej.company_id else ''}: {rej.reason}"
        for rej in report.rejected
    ] + [f"note on row {n.row} ({n.company_id}): {n.note}" for n in report.notes]
    for line in lines:
        typer.echo(line.encode("utf-8", "backslashreplace").decode("utf-8"))
    typer.echo(f"{report.added} added, {report.updated} updated, {len(report.rejected)} rejected")
    if report.added + report.updated == 0:
        raise typer.Exit(1)


@app.command()
def suggest(
    company: Annotated[str, typer.Option("--company", help="Company id.")],
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many partners.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the best partners for a company, with scores and reasons."""
    settings = _settings()
    from bot.operations import suggest_for

    rows = _run(lambda: suggest_for(settings, company, limit))
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("No suggestions yet.")
    for i, row in enumerate(rows, start=1):
        typer.echo(
            f"{i:>2}. {row['name']} ({row['country']})  score {row['score']:.3f}"
            f"{'  mutual' if row['mutual'] else ''}"
        )
        typer.echo(f"    {row['reason']}")


@app.command()
def remove(
    company: Annotated[str, typer.Option("--company", help="Company id.")],
) -> None:
    """Remove a company: profile, requests, future meetings; it is never suggested again."""
    settings = _settings()
    from bot.operations import remove_company

    done = _run(lambda: remove_company(settings, company))
    typer.echo(f"removed {company} ({done.name})")
    if done.cancelled_meetings:
        typer.echo(
            f"{done.cancelled_meetings} future meeting(s) cancelled; "
            "the bot tells the partners when it runs"
        )


@app.command()
def block(
    company: Annotated[str, typer.Option("--company", help="Company id.")],
    undo: Annotated[bool, typer.Option("--undo", help="Unblock it.")] = False,
) -> None:
    """Block a company: never suggested again, its data kept (--undo unblocks it)."""
    settings = _settings()
    from bot.operations import set_blocked

    name = _run(lambda: set_blocked(settings, company, not undo))
    typer.echo(f"{'unblocked' if undo else 'blocked'} {company} ({name})")


@app.command()
def reindex() -> None:
    """Rebuild the matching indexes from the stored vectors (no text is embedded twice)."""
    settings = _settings()
    from bot.operations import reindex as rebuild

    count = _run(lambda: rebuild(settings))
    typer.echo(f"reindexed {count} companies")


@app.command()
def schedule() -> None:
    """Schedule all accepted meeting requests that have no slot yet."""
    settings = _settings()
    from bot.operations import schedule_all

    text = _run(lambda: schedule_all(settings))
    typer.echo(text)


@app.command()
def stats() -> None:
    """Print what organizers count."""
    settings = _settings()
    from bot.operations import stats_text

    typer.echo(_run(lambda: stats_text(settings)))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations."""
    settings = _settings()
    from storage.db import Database

    async def go() -> None:
        db = Database(settings.resolved_database_url)
        try:
            await db.upgrade()
        finally:
            await db.dispose()

    _run(go)
    typer.echo("database is up to date")


@emb_app.command("export")
def embeddings_export(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the model to.")],
    onnx: Annotated[
        bool,
        typer.Option(
            "--onnx",
            help="Also write onnx/model.onnx (float32, same vectors) for "
            "MATCHBOT_EMBEDDER_BACKEND=onnx.",
        ),
    ] = False,
    onnx_int8: Annotated[
        bool,
        typer.Option(
            "--onnx-int8",
            help="Also write int8 ONNX files (implies --onnx): faster, other vectors, own index.",
        ),
    ] = False,
    int8_config: Annotated[
        list[str] | None,
        typer.Option(
            "--int8-config",
            help="Optimum int8 configuration for --onnx-int8: avx2 (any x86 CPU, slower), "
            "avx512_vnni or arm64 (repeatable; default: the one for this CPU).",
        ),
    ] = None,
) -> None:
    """Write the bundled model as a sentence-transformers folder, optionally with ONNX files."""
    _settings()
    from embeddings.export import default_int8_config, export_bundled_model

    configs = (int8_config or [default_int8_config()]) if onnx_int8 else []
    if int8_config and not onnx_int8:
        typer.echo("matchbot: --int8-config needs --onnx-int8", err=True)
        raise typer.Exit(2)
    with _reported():
        path = export_bundled_model(out_dir, onnx=onnx, onnx_int8=configs)
    typer.echo(f"exported to {path}")
    for onnx_path in sorted(path.glob("onnx/*.onnx")):
        typer.echo(f"  {onnx_path.relative_to(path).as_posix()}")


@emb_app.command("train-adapter")
def embeddings_train_adapter(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="CSV or JSONL files of companies with a pair_id column, one event each."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="The adapter file to write (.npz).")],
    holdout: Annotated[
        list[Path] | None,
        typer.Option(
            "--holdout", help="A file of pairs to measure on, not to learn from (repeatable)."
        ),
    ] = None,
    steps: Annotated[int, typer.Option(min=0, help="Optimizer steps.")] = 300,
    seed: Annotated[int, typer.Option(help="Seed of the query batches.")] = 0,
) -> None:
    """Learn a matching adapter for the configured encoder from files of complementary pairs."""
    settings = _settings()
    missing = [path for path in [*files, *(holdout or [])] if not path.is_file()]
    if missing:
        typer.echo(f"matchbot: no such file: {missing[0]}", err=True)
        raise typer.Exit(2)
    from bot.operations import train_adapter_files
    from embeddings.adapter_training import TrainingSettings

    with _reported():
        report = train_adapter_files(
            settings, files, out, holdout, TrainingSettings(steps=steps, seed=seed)
        )
    for line in report.rejected:
        typer.echo(f"rejected {line}")
    for f in report.figures:
        typer.echo(
            f"{f.kind:8s} {f.name:24s} {f.companies:5d} companies {f.pairs:4d} pairs  "
            f"r@1 {f.before[1]:.3f} -> {f.after[1]:.3f}  r@5 {f.before[5]:.3f} -> {f.after[5]:.3f}"
        )
    typer.echo(
        f"wrote {out} (model {report.adapter.model}, fingerprint {report.adapter.fingerprint}); "
        f"use it with MATCHBOT_ADAPTER={out}"
    )


@interp_app.command("add")
def interpreters_add(
    interpreter_id: Annotated[str, typer.Argument(help="Stable id, e.g. li-wei.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    pair: Annotated[list[str], typer.Option(help="Language pair such as zh-hr (repeatable).")],
    available: Annotated[
        list[str] | None,
        typer.Option(help="UTC interval START/END in ISO format (repeatable; none: always)."),
    ] = None,
) -> None:
    """Add or change an interpreter."""
    settings = _settings()
    from bot.operations import parse_interpreter, save_interpreter

    try:
        interpreter = parse_interpreter(interpreter_id, name, pair, available or [])
    except ValueError as exc:
        typer.echo(f"matchbot: {exc}", err=True)
        raise typer.Exit(2) from None
    _run(lambda: save_interpreter(settings, interpreter))
    typer.echo(f"interpreter {interpreter.id} saved")


@interp_app.command("list")
def interpreters_list() -> None:
    """List the interpreters."""
    settings = _settings()
    from bot.operations import list_interpreters

    for it in _run(lambda: list_interpreters(settings)):
        pairs = ", ".join(f"{a}-{b}" for a, b in it.language_pairs)
        slots = ", ".join(f"{s.isoformat()}/{e.isoformat()}" for s, e in it.available) or "always"
        typer.echo(f"{it.id}\t{it.name}\t{pairs}\t{slots}")


@interp_app.command("remove")
def interpreters_remove(
    interpreter_id: Annotated[str, typer.Argument(help="The interpreter's id.")],
) -> None:
    """Remove an interpreter."""
    settings = _settings()
    from bot.operations import remove_interpreter

    _run(lambda: remove_interpreter(settings, interpreter_id))
    typer.echo(f"interpreter {interpreter_id} removed")


def main() -> None:
    """Run the command line."""
    app()


if __name__ == "__main__":
    main()

"""The `kefu` command line."""

from __future__ import annotations

import getpass
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from kefu import __version__
from kefu.access.cli import audit_app
from kefu.bot.cli import bot_app
from kefu.knowledge.cli import kb_app
from kefu.workforce.cli import wfm_app

app = typer.Typer(help="kefu (客服): customer-service operations platform.", no_args_is_help=True)
app.add_typer(bot_app, name="bot", help="Bot intent classifier: train and evaluate.")
app.add_typer(audit_app, name="audit", help="Audit log checks.")
app.add_typer(wfm_app, name="wfm", help="Workforce planning: forecast, staff, schedule.")
app.add_typer(kb_app, name="kb", help="Knowledge base: import and export articles.")
console = Console()

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="data folder (default $KEFU_DATA_DIR or .kefu)")
]
Host = Annotated[str, typer.Option(help="address to listen on")]
Port = Annotated[int, typer.Option(help="port to listen on")]


def _settings(data_dir: Path | None):  # noqa: ANN202 - returns kefu.core.config.Settings, imported lazily
    if data_dir is not None:
        # Through the environment, so uvicorn's worker processes see the same folder.
        os.environ["KEFU_DATA_DIR"] = str(data_dir)
    from kefu.core.config import Settings

    return Settings()


def _migrate(settings) -> None:  # noqa: ANN001
    from kefu.core import migrate
    from kefu.core.db import make_engine

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()


# The cyclic collector's young generation is collected after this many surviving allocations (Python's
# default is 700). A busy chat server holds thousands of short-lived objects in flight (frames, pending
# writes, futures); at 700 it collected ~50 times a second, promoting them into older generations whose
# passes walk every open connection: measured, a quarter of the server's CPU at 5,000 messages a second.
GC_THRESHOLDS = (50_000, 20, 10)


def served_app():  # noqa: ANN201 - a FastAPI app, imported lazily (the CLI starts fast)
    """The app as `kefu serve` runs it, in each worker process (uvicorn imports this by name)."""
    import gc

    from kefu.web.app import create_app

    gc.set_threshold(*GC_THRESHOLDS)
    app = create_app()
    # Everything loaded so far (modules, the app, mappers) lives as long as the process: out of the
    # collector's reach, its full passes under a busy chat walk only what chat created.
    gc.freeze()
    return app


def _serve(host: str, port: int, workers: int) -> None:
    os.environ["KEFU_AUTO_MIGRATE"] = "false"  # migrated once above, not by every worker at once
    uvicorn.run(
        "kefu.cli:served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        proxy_headers=True,
        # Chat frames are a few dozen bytes: compressing each costs CPU and ~300 KB of zlib state per
        # connection for nothing.
        ws_per_message_deflate=False,
        # The largest chat message is 20,000 characters: a bigger frame is refused (close code 1009)
        # before anything parses it, not after 16 MiB arrived.
        ws_max_size=256 * 1024,
    )


@app.command()
def serve(
    data_dir: DataDir = None,
    host: Host = "127.0.0.1",
    port: Port = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="server processes (use PostgreSQL + Redis for more than 1)")
    ] = 1,
) -> None:
    """Run the web server (migrations are applied first)."""
    settings = _settings(data_dir)
    _migrate(settings)
    console.print(f"kefu {__version__} on http://{host}:{port} (data: {settings.data_dir})")
    _serve(host, port, workers)


@app.command()
def migrate(data_dir: DataDir = None) -> None:
    """Apply pending database migrations."""
    _migrate(_settings(data_dir))
    console.print("database schema is current")


@app.command()
def createadmin(
    username: Annotated[str, typer.Option(help="sign-in name")] = "admin",
    display_name: Annotated[str, typer.Option(help="name shown in the console")] = "Administrator",
    password: Annotated[str | None, typer.Option(help="omit to be asked (not echoed)")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create an administrator account."""
    from kefu.access.actions import check_create_user
    from kefu.core.errors import KefuError
    from kefu.core.runtime import open_runtime

    secret = password or getpass.getpass("Password: ")
    runtime = open_runtime(_settings(data_dir))
    try:
        with runtime.sessions() as session, session.begin():
            check_create_user(
                session, username=username, display_name=display_name, role="admin", password=secret
            )
    except KefuError as exc:
        console.print(f"[red]{exc.field or 'error'}: {exc.message}[/red]")
        raise typer.Exit(2) from exc
    finally:
        runtime.close()
    console.print(f"administrator {username!r} created")


@app.command()
def demo(
    data_dir: Annotated[Path, typer.Option("--data-dir", help="demo data folder")] = Path(".kefu/demo"),
    host: Host = "127.0.0.1",
    port: Port = 8000,
    seed: Annotated[int, typer.Option(help="random seed; the same seed and day give the same data")] = 2026,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="start the server afterwards")
    ] = True,
) -> None:
    """Create (or reuse) a demo centre with 30 days of history, then serve it."""
    from kefu.demo.workspace import ensure_demo

    settings = _settings(data_dir)
    logins = ensure_demo(settings, anchor=datetime.now(UTC).date(), seed=seed)
    table = Table(title="Demo sign-ins / 演示账号")
    for column in ("username", "role", "password"):
        table.add_column(column)
    for row in logins:
        table.add_row(*row)
    console.print(table)
    if serve_after:
        console.print(f"kefu demo on http://{host}:{port}")
        _serve(host, port, 1)


@app.command()
def version() -> None:
    """Print the kefu version."""
    console.print(__version__)


if __name__ == "__main__":
    app()

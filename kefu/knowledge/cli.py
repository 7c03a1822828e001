"""`kefu kb …`: import and export the knowledge base (a Markdown folder or a CSV file)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

kb_app = typer.Typer(no_args_is_help=True)
console = Console()
DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="data folder (default $KEFU_DATA_DIR or .kefu)")
]


@kb_app.callback()
def kb() -> None:
    """Knowledge base: import and export articles."""


def _runtime(data_dir: Path | None):  # noqa: ANN202 - kefu.core.runtime.Runtime, imported lazily
    if data_dir is not None:
        os.environ["KEFU_DATA_DIR"] = str(data_dir)
    from kefu.core.config import Settings
    from kefu.core.runtime import open_runtime

    return open_runtime(Settings())


@kb_app.command("import")
def import_command(
    path: Annotated[
        Path, typer.Argument(help="a folder of Markdown files with front matter, or a .csv file")
    ],
    data_dir: DataDir = None,
) -> None:
    """Import articles: new ones are created, ones with the same title and language get a new version.
    Nothing is imported when any file or row is bad (its name or line number is printed)."""
    from kefu.knowledge.transfer import ImportRowError
    from kefu.knowledge.transfer_io import import_records, markdown_files, read_records

    if not path.exists():
        console.print(f"[red]{path}: no such file or folder[/red]")
        raise typer.Exit(2)
    runtime = _runtime(data_dir)
    try:
        with Progress(console=console, transient=True) as progress:
            total = len(markdown_files(path)) if path.is_dir() else None
            reading = progress.add_task("reading", total=total)
            records = read_records(path, tick=lambda: progress.advance(reading))
            writing = progress.add_task("importing", total=len(records))
            with runtime.write_sessions() as session, session.begin():
                created, updated = import_records(session, records, tick=lambda: progress.advance(writing))
    except ImportRowError as error:
        console.print(f"[red]{error.where}: {error.reason}[/red]")
        raise typer.Exit(1) from None
    finally:
        runtime.close()
    console.print(f"imported {len(records)} articles: {created} new, {updated} updated")


@kb_app.command("export")
def export_command(
    path: Annotated[Path, typer.Argument(help="folder (md) or file (csv) to write")],
    format: Annotated[str, typer.Option("--format", help="md or csv")] = "md",  # noqa: A002
    status: Annotated[str | None, typer.Option(help="only this status, e.g. published")] = None,
    language: Annotated[str | None, typer.Option(help="only zh or en")] = None,
    data_dir: DataDir = None,
) -> None:
    """Export every article with its metadata (front matter or CSV columns)."""
    from kefu.core.errors import KefuError
    from kefu.knowledge.transfer_io import export_to

    if format not in ("md", "csv"):
        console.print(f"[red]--format: {format!r} is not md or csv[/red]")
        raise typer.Exit(2)
    runtime = _runtime(data_dir)
    try:
        with Progress(console=console, transient=True) as progress:
            progress.add_task("exporting", total=None)
            with runtime.sessions() as session:
                count = export_to(session, path, format, status=status, language=language)
    except KefuError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from None
    finally:
        runtime.close()
    console.print(f"exported {count} articles to {path}")

"""`kefu audit …`: checks on the audit log that an operator runs from the shell."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

audit_app = typer.Typer(no_args_is_help=True)
console = Console()


@audit_app.callback()
def audit() -> None:
    """Audit log: verify its hash chain."""


@audit_app.command()
def verify(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="data folder (default $KEFU_DATA_DIR or .kefu)")
    ] = None,
) -> None:
    """Recompute the hash chain; exit 1 naming the first entry that was changed, inserted or removed."""
    if data_dir is not None:
        os.environ["KEFU_DATA_DIR"] = str(data_dir)
    from kefu.access.audit import last_hash, verify_chain
    from kefu.core.config import Settings
    from kefu.core.runtime import open_runtime

    runtime = open_runtime(Settings(), run_migrations=False)
    try:
        with runtime.sessions() as session:
            report = verify_chain(session)
            head = last_hash(session)
    finally:
        runtime.close()
    if not report.intact:
        console.print(f"[red]audit log tampered: entry {report.first_bad_id} does not match the chain[/red]")
        raise typer.Exit(1)
    console.print(f"audit log intact: {report.checked} entries; last hash {head}")

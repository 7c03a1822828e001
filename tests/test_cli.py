import json

import pytest
from typer.testing import CliRunner

from kefu import __version__
from kefu.cli import app

runner = CliRunner()


def _command_paths(group=None, prefix=()):
    """Every command and sub-command of the CLI, e.g. ("bot", "evaluate")."""
    import click
    import typer.main

    group = group or typer.main.get_command(app)
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _command_paths(command, (*prefix, name))


@pytest.mark.parametrize("path", list(_command_paths()), ids=" ".join)
def test_every_command_has_help(path):
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_help_lists_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for path in _command_paths():
        if len(path) == 1:
            assert path[0] in result.output


def test_version():
    result = runner.invoke(app, ["version"])
    assert result.output.strip() == __version__


def test_migrate_then_createadmin(tmp_path, monkeypatch):
    monkeypatch.delenv("KEFU_DATABASE_URL", raising=False)
    result = runner.invoke(app, ["migrate", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0 and (tmp_path / "kefu.db").exists()
    ok = runner.invoke(
        app,
        ["createadmin", "--data-dir", str(tmp_path), "--username", "boss", "--password", "a long passphrase"],
    )
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(
        app,
        ["createadmin", "--data-dir", str(tmp_path), "--username", "boss", "--password", "a long passphrase"],
    )
    assert again.exit_code == 2 and "taken" in again.output
    short = runner.invoke(
        app, ["createadmin", "--data-dir", str(tmp_path), "--username", "x2", "--password", "short"]
    )
    assert short.exit_code == 2 and "password" in short.output


def test_demo_creates_once_then_reuses(tmp_path, monkeypatch):
    monkeypatch.delenv("KEFU_DATABASE_URL", raising=False)
    first = runner.invoke(app, ["demo", "--data-dir", str(tmp_path), "--no-serve"])
    assert first.exit_code == 0, first.output
    assert "supervisor" in first.output and "kefu-demo" in first.output
    marker = json.loads((tmp_path / "demo.json").read_text())
    db_mtime = (tmp_path / "kefu.db").stat().st_mtime_ns
    second = runner.invoke(app, ["demo", "--data-dir", str(tmp_path), "--no-serve"])
    assert second.exit_code == 0
    assert (tmp_path / "kefu.db").stat().st_mtime_ns == db_mtime  # reused, not regenerated
    assert json.loads((tmp_path / "demo.json").read_text()) == marker


def test_serve_starts_a_real_server(tmp_path, serve):
    import httpx

    with serve(tmp_path) as base:
        ready = httpx.get(f"{base}/readyz", timeout=5)
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        assert (tmp_path / "kefu.db").exists() and (tmp_path / "secret_key").exists()

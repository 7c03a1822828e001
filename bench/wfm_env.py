"""The peer's own virtualenv: bench/.envs/pyworkforce, created on first use (never kefu's dependencies)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ENV = Path(__file__).resolve().parent / ".envs" / "pyworkforce"
PEER = Path(__file__).resolve().parent / "wfm_peer.py"


def peer_python() -> Path:
    """Create the venv and install pyworkforce into it if that has not been done yet."""
    python = ENV / "bin" / "python"
    probe = [str(python), "-c", "import pyworkforce"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    subprocess.run([sys.executable, "-m", "venv", str(ENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "pyworkforce"], check=True)
    return python


def run_peer(task: dict) -> dict:
    """One pyworkforce task in a subprocess of the peer venv; the timing is taken inside it."""
    done = subprocess.run(
        [str(peer_python()), str(PEER)], input=json.dumps(task), capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def peer_version() -> str:
    done = subprocess.run(
        [str(peer_python()), "-c", "import importlib.metadata as m; print(m.version('pyworkforce'))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()

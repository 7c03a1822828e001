"""Start a real `kefu serve` in a subprocess for benchmarks, and stop it afterwards."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def kefu_server(data_dir: Path, env: dict[str, str] | None = None, workers: int = 1) -> Iterator[str]:
    port = free_port()
    environ = {**os.environ, "KEFU_DATA_DIR": str(data_dir), "KEFU_LOG_LEVEL": "WARNING", **(env or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "kefu.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=environ,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a loaded 2-core machine starts several workers slowly
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("kefu serve did not become ready")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:  # still starting up on a loaded machine
            process.kill()
            process.wait(10)

"""Foundation: demo generation time, and API throughput for a simple authenticated read.

References measured in the same run: the raw sqlite3 insert of the same rows (for the demo), and the
unauthenticated, database-free /healthz endpoint (for the API read), so the ratios show kefu's own cost.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.http_load import run_load
from bench.report import Row
from bench.server import kefu_server
from kefu.access.actions import do_create_api_token
from kefu.access.models import User
from kefu.core.config import Settings
from kefu.core.runtime import open_runtime
from kefu.demo.generate import generate
from kefu.demo.load import load

ANCHOR = date(2026, 3, 1)


def _demo_seconds(data_dir: Path) -> float:
    started = time.perf_counter()
    runtime = open_runtime(Settings(data_dir=data_dir, secret_key="bench"))
    load(runtime.sessions, ANCHOR, show_progress=False)
    runtime.close()
    return time.perf_counter() - started


def _raw_insert_seconds(path: Path) -> float:
    """The same number of rows and columns, inserted with plain sqlite3 executemany in one transaction."""
    data = generate(ANCHOR)
    started = time.perf_counter()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    for name, rows in data.tables.items():
        columns = list(rows[0])
        connection.execute(f"CREATE TABLE {name} ({', '.join(columns)})")
        connection.executemany(
            f"INSERT INTO {name} VALUES ({', '.join('?' for _ in columns)})",
            [
                [
                    json.dumps(v) if isinstance(v, list | dict) else str(v) if v is not None else None
                    for v in row.values()
                ]
                for row in rows
            ],
        )
    connection.commit()
    connection.close()
    return time.perf_counter() - started


def _token(data_dir: Path) -> str:
    runtime = open_runtime(Settings(data_dir=data_dir, secret_key="bench"))
    with runtime.sessions() as session, session.begin():
        admin = session.query(User).filter_by(username="supervisor").one()
        _, raw = do_create_api_token(session, user_id=admin.id, name="bench", scopes=["customers:read"])
    runtime.close()
    return raw


def _load(base: str, paths: list[str], headers: dict, seconds: float) -> dict:
    spec = {"base": base, "paths": paths, "headers": headers, "concurrency": 16, "seconds": seconds}
    return run_load(spec)


def _read_row(figure: str, measured: dict, health: dict, note: str) -> Row:
    return Row(
        figure,
        measured["requests_per_s"],
        "req/s",
        reference="GET /healthz (no auth, no database)",
        ratio=measured["requests_per_s"] / health["requests_per_s"],
        notes=f"p50 {measured['p50_ms']:.1f} ms, p99 {measured['p99_ms']:.1f} ms; {note}",
    )


def run(quick: bool) -> list[Row]:
    seconds = 3 if quick else 15
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        demo = _demo_seconds(root / "demo")
        raw = _raw_insert_seconds(root / "raw.db")
        token = _token(root / "demo")
        auth = {"Authorization": f"Bearer {token}"}
        with kefu_server(root / "demo", env={"KEFU_SECRET_KEY": "bench"}) as base:
            health = _load(base, ["/healthz"], {}, seconds)
            pages = [f"/api/v1/customers?limit=20&after_id={i}" for i in range(0, 480, 20)]
            listing = _load(base, pages, auth, seconds)
            profile = _load(base, [f"/api/v1/customers/{i}" for i in range(1, 501)], auth, seconds)
    return [
        Row(
            "demo generation (generate + load, SQLite)",
            demo,
            "s",
            reference="raw sqlite3 insert of the same rows",
            ratio=demo / raw,
            target="< 60 s",
        ),
        _read_row(
            "authenticated read: GET /api/v1/customers?limit=20, 16 clients",
            listing,
            health,
            "1 worker, SQLite",
        ),
        _read_row(
            "audited read: GET /api/v1/customers/{id}, 16 clients",
            profile,
            health,
            "each view appends to the hash-chained audit log",
        ),
        Row(
            "GET /healthz, 16 clients",
            health["requests_per_s"],
            "req/s",
            notes=f"p50 {health['p50_ms']:.1f} ms, p99 {health['p99_ms']:.1f} ms",
        ),
    ]

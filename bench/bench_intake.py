"""Web chat intake: messages persisted and acknowledged per second with many concurrent WebSocket customers.

A real `kefu serve` (SQLite, WAL, synchronous=NORMAL) runs in its own process; the customers are
`websockets` clients in this process, each sending at a steady rate (open loop, so latency is measured at
the offered load rather than hidden by waiting). Latency is send → ack, and an ack is sent only after the
message's transaction committed. Afterwards the server is killed with SIGKILL while customers are still
sending, and every acknowledged message id is looked up in the database file: none may be missing.
The reference is raw SQLite on the same machine in the same run: single-row transactions per second, and
rows per second in batches of 1,000.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import websockets

from bench.report import Row
from bench.server import free_port


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    acked: list[int] = field(default_factory=list)
    sent: int = 0
    errors: int = 0
    began: float = float("inf")  # first measured send
    ended: float = 0.0  # last measured ack

    @property
    def throughput(self) -> float:
        """Acknowledged messages per second from the first send to the last ack (a backlog counts)."""
        return len(self.latencies) / (self.ended - self.began) if self.latencies else 0.0


@contextmanager
def kefu_process(data_dir: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """`kefu serve` that the caller may SIGKILL (bench.server's helper only stops it politely)."""
    port = free_port()
    env = {**os.environ, "KEFU_DATA_DIR": str(data_dir), "KEFU_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [sys.executable, "-m", "kefu.cli", "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("kefu serve did not become ready")
        yield port, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(10)


async def _customer(
    index: int, port: int, interval: float, seconds: float, ready: asyncio.Barrier, load: Load, tag: str
) -> None:
    """Connect, send a first message (a first contact: customer and conversation are created) and wait
    until every customer has done so; then send at the steady rate for `seconds`."""
    url = f"ws://127.0.0.1:{port}/ws/webchat?visitor=bench-visitor-{index:06d}"
    pending: dict[str, float] = {}
    warmed = False
    try:
        async with websockets.connect(url, compression=None, max_queue=None, open_timeout=120) as ws:
            await ws.recv()  # greeting
            await _send(
                ws, pending, "warm", "first message opens the conversation (a duplicate in later runs)"
            )
            while pending:
                _record(json.loads(await ws.recv()), pending, load)
            warmed = True
            await ready.wait()
            reader = asyncio.create_task(_acks(ws, pending, load))
            next_at = time.perf_counter() + random.random() * interval
            stop = time.perf_counter() + seconds
            number = 0
            while (now := time.perf_counter()) < stop:
                await asyncio.sleep(max(0.0, next_at - now))
                await _send(ws, pending, f"{tag}-{number}", f"第{number}条消息 message {number}")
                load.sent += 1
                number += 1
                next_at += interval
            deadline = time.perf_counter() + 10
            while pending and time.perf_counter() < deadline:
                await asyncio.sleep(0.05)
            reader.cancel()
    except (OSError, websockets.ConnectionClosed):
        load.errors += 1
        if not warmed:
            await ready.abort()  # a customer that never warmed up must not keep the others waiting forever


async def _send(
    ws: websockets.ClientConnection, pending: dict[str, float], client_id: str, body: str
) -> None:
    pending[client_id] = time.perf_counter()
    await ws.send(json.dumps({"type": "message", "client_id": client_id, "body": body}))


async def _acks(ws: websockets.ClientConnection, pending: dict[str, float], load: Load) -> None:
    with contextlib.suppress(websockets.ConnectionClosed):
        async for raw in ws:
            _record(json.loads(raw), pending, load)


def _record(frame: dict, pending: dict[str, float], load: Load) -> None:
    if frame.get("type") != "ack":
        return
    started = pending.pop(frame["client_id"], None)
    if started is not None and frame["client_id"] != "warm":
        now = time.perf_counter()
        load.latencies.append(now - started)
        load.began, load.ended = min(load.began, started), max(load.ended, now)
    load.acked.append(frame["message_id"])


async def _run_load(
    port: int, customers: int, rate: float, seconds: float, *, first: int = 0, kill: object = None
) -> Load:
    """`rate` is offered in total; client ids carry it, so runs at several rates on one server never clash."""
    """All customers warm up, then send together; with `kill` (a process), SIGKILL it mid-stream."""
    load = Load()
    ready = asyncio.Barrier(customers + 1)
    interval = customers / rate
    tasks = [
        asyncio.create_task(_customer(first + i, port, interval, seconds, ready, load, f"r{rate:g}"))
        for i in range(customers)
    ]
    await ready.wait()
    if isinstance(kill, subprocess.Popen):
        await asyncio.sleep(seconds / 2)
        os.kill(kill.pid, signal.SIGKILL)
    await asyncio.gather(*tasks)
    return load


def _missing(database: Path, message_ids: list[int]) -> int:
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TEMP TABLE acked(id INTEGER PRIMARY KEY)")
        connection.executemany("INSERT OR IGNORE INTO acked VALUES (?)", [(i,) for i in message_ids])
        query = "SELECT COUNT(*) FROM acked WHERE id NOT IN (SELECT id FROM messages)"
        return connection.execute(query).fetchone()[0]


def raw_sqlite(path: Path, rows: int) -> tuple[float, float]:
    """(single-row transactions/s, rows/s in batches of 1,000), WAL and synchronous=NORMAL like kefu."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(
        "CREATE TABLE m (id INTEGER PRIMARY KEY, conversation_id INT, external_id TEXT UNIQUE, "
        "body TEXT, created_at TEXT)"
    )
    started = time.perf_counter()
    for i in range(rows):
        connection.execute("BEGIN")
        connection.execute(
            "INSERT INTO m VALUES (NULL, ?, ?, ?, ?)", (i % 1000, f"s{i}", f"消息 {i}", "2026")
        )
        connection.execute("COMMIT")
    single = rows / (time.perf_counter() - started)
    started = time.perf_counter()
    for first in range(0, rows * 5, 1000):
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO m VALUES (NULL, ?, ?, ?, ?)",
            [(i % 1000, f"b{i}", f"消息 {i}", "2026") for i in range(first, first + 1000)],
        )
        connection.execute("COMMIT")
    batched = rows * 5 / (time.perf_counter() - started)
    connection.close()
    return single, batched


def run(quick: bool) -> list[Row]:
    customers, rate, seconds = (50, 500.0, 3.0) if quick else (1000, 5000.0, 15.0)
    customers = int(os.environ.get("KEFU_BENCH_CUSTOMERS", customers))
    rate = float(os.environ.get("KEFU_BENCH_RATE", rate))
    with tempfile.TemporaryDirectory() as tmp:
        single, batched = raw_sqlite(Path(tmp) / "raw.db", 2_000 if quick else 20_000)
        data_dir = Path(tmp) / "data"
        with kefu_process(data_dir) as (port, process):
            # The target load, then a fifth of it: what the latency is when the server keeps up.
            loads = [asyncio.run(_run_load(port, customers, level, seconds)) for level in (rate, rate / 5)]
            killed = asyncio.run(_run_load(port, customers // 5, rate / 5, 4.0, first=100_000, kill=process))
        lost = _missing(data_dir / "kefu.db", [i for load in [*loads, killed] for i in load.acked])
    rows = []
    for level, load in zip((rate, rate / 5), loads, strict=True):
        rows += _rows(load, customers, level, seconds, single, batched, target=level == rate)
    checked = sum(len(load.acked) for load in [*loads, killed])
    rows.append(
        Row(
            "acknowledged messages lost after SIGKILL mid-stream",
            float(lost),
            "messages",
            target="0",
            notes=f"{len(killed.acked)} acked in the kill run; all {checked} acks of the run checked",
        )
    )
    return rows


def _rows(
    load: Load, customers: int, rate: float, seconds: float, single: float, batched: float, *, target: bool
) -> list[Row]:
    quantiles = statistics.quantiles(load.latencies, n=100) if len(load.latencies) > 1 else [0.0] * 99
    offered = f"{customers} customers offering {rate:,.0f} msg/s"
    note = f"{offered} for {seconds:.0f} s; {load.errors} connection errors"
    return [
        Row(
            f"chat messages persisted + acked ({offered})",
            load.throughput,
            "msg/s",
            reference=f"raw SQLite {single:,.0f} single-row tx/s",
            ratio=load.throughput / single,
            target="≥ 5,000 msg/s" if target else "",
            notes=note,
        ),
        Row(
            "same, against raw SQLite batches of 1,000",
            load.throughput,
            "msg/s",
            reference=f"raw SQLite {batched:,.0f} rows/s",
            ratio=load.throughput / batched,
        ),
        Row("ack latency p50", quantiles[49] * 1000, "ms", notes="send → ack; acks follow the commit"),
        Row("ack latency p99", quantiles[98] * 1000, "ms", target="< 50 ms" if target else ""),
    ]

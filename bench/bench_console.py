"""Console: server time of the inbox and the conversation page over the demo centre, against a real server.

One client sends requests one after another (no concurrency), so each latency is the server's time plus
loopback. The reference, measured the same way in the same run, is GET /healthz (no auth, no database,
no template), so the ratio shows what signing in, scoped queries and rendering cost on top.

Latency on a shared machine includes waiting for a core; the server's CPU time per request (from
/proc/<pid>/stat over the whole loop) is reported beside it as the figure that load does not inflate.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import func, select

from bench.report import Row
from bench.server import kefu_server
from kefu.access.models import User
from kefu.channels.models import Conversation
from kefu.core.config import Settings
from kefu.core.runtime import open_runtime

PASSWORD = "kefu-demo"


def _demo(data_dir: Path) -> tuple[str, list[str]]:
    """Generate the demo; return the busiest agent and the public ids of their conversations."""
    subprocess.run(
        [sys.executable, "-m", "kefu.cli", "demo", "--data-dir", str(data_dir), "--no-serve"],
        check=True,
        capture_output=True,
    )
    runtime = open_runtime(Settings(data_dir=data_dir), run_migrations=False)
    with runtime.sessions() as session:
        count = func.count(Conversation.id)
        username = session.execute(
            select(User.username)
            .join(Conversation, Conversation.agent_id == User.id)
            .group_by(User.username)
            .order_by(count.desc())
            .limit(1)
        ).scalar_one()
        ids = session.scalars(
            select(Conversation.public_id)
            .join(User, User.id == Conversation.agent_id)
            .where(User.username == username)
        ).all()
    runtime.close()
    return username, list(ids)


def _sign_in(client: httpx.Client, username: str) -> None:
    response = client.post("/sign-in", data={"username": username, "password": PASSWORD})
    if "kefu_session" not in client.cookies:
        raise RuntimeError(f"sign-in as {username} failed: {response.status_code}")


@dataclass
class Measured:
    latencies: list[float]
    cpu_ms_per_request: float


def _server_pid() -> int:
    """The `kefu serve` child of this process (bench.server starts exactly one)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and b"serve" in cmdline:
            return int(stat.parent.name)
    raise RuntimeError("kefu serve process not found")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _measure(client: httpx.Client, paths: list[str], count: int, pid: int) -> Measured:
    client.get(paths[0])  # warm-up: templates compiled, catalog loaded, connection open
    out = []
    cpu = _cpu_seconds(pid)
    for i in range(count):
        started = time.perf_counter()
        response = client.get(paths[i % len(paths)])
        if response.status_code != 200:
            raise RuntimeError(f"{paths[i % len(paths)]}: {response.status_code}")
        out.append(time.perf_counter() - started)
    return Measured(out, (_cpu_seconds(pid) - cpu) / count * 1000)


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000


def _row(figure: str, measured: Measured, health: Measured, target: str = "< 50 ms p95") -> Row:
    p95 = _p(measured.latencies, 0.95)
    return Row(
        figure,
        p95,
        "ms p95",
        reference="GET /healthz p95, same client",
        ratio=p95 / _p(health.latencies, 0.95),
        target=target,
        notes=(
            f"p50 {statistics.median(measured.latencies) * 1000:.1f} ms; server CPU "
            f"{measured.cpu_ms_per_request:.1f} ms/request (healthz {health.cpu_ms_per_request:.1f}); "
            f"{len(measured.latencies)} requests"
        ),
    )


def run(quick: bool) -> list[Row]:
    count = 40 if quick else 400
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "demo"
        username, conversations = _demo(data_dir)
        with kefu_server(data_dir) as base:
            pid = _server_pid()
            with httpx.Client(base_url=base, timeout=30) as anonymous:
                health = _measure(anonymous, ["/healthz"], count, pid)
            with httpx.Client(base_url=base, timeout=30) as agent:
                _sign_in(agent, username)
                inbox = _measure(agent, ["/console"], count, pid)
                pages = [f"/console/conversations/{c}" for c in conversations]
                conversation = _measure(agent, pages, count, pid)
            with httpx.Client(base_url=base, timeout=30) as supervisor:
                _sign_in(supervisor, "supervisor")
                centre_inbox = _measure(supervisor, ["/console"], count, pid)
                wallboard = _measure(supervisor, ["/console/wallboard/panel"], count, pid)
    return [
        _row(f"inbox GET /console, agent ({len(conversations)} conversations)", inbox, health),
        _row("conversation page GET /console/conversations/{id}, agent", conversation, health),
        _row("inbox GET /console, supervisor (whole centre in scope)", centre_inbox, health),
        _row(
            "wallboard panel GET /console/wallboard/panel (with routing's EWT)", wallboard, health, target=""
        ),
        Row(
            "GET /healthz",
            _p(health.latencies, 0.95),
            "ms p95",
            notes=f"p50 {statistics.median(health.latencies) * 1000:.2f} ms",
        ),
    ]

"""Console: server time of the inbox and the conversation page over the demo centre, against a real server;
and how long a customer's web chat message takes to appear in an agent's browser.

One client sends requests one after another (no concurrency), so each latency is the server's time plus
loopback. The reference, measured the same way in the same run, is GET /healthz (no auth, no database,
no template), so the ratio shows what signing in, scoped queries and rendering cost on top.

Latency on a shared machine includes waiting for a core; the server's CPU time per request (from
/proc/<pid>/stat over the whole loop) is reported beside it as the figure that load does not inflate.

Live delivery: headless Chromium (Debian's /usr/bin/chromium) shows a conversation page; a visitor sends
messages over the widget's WebSocket (`/ws/webchat`), one at a time; a MutationObserver in the page stamps
the moment each message's element is in the DOM. The figure is that stamp minus the moment the visitor's
frame was sent (both the machine's wall clock). The path: group commit, event, `/ws/console` notice, the
page's GET of the newer messages, DOM insert. The reference is the visitor's own ack (the commit) in the
same run. Skipped when Chromium is not installed.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import websockets.sync.client
from sqlalchemy import func, select

from bench.report import Row
from bench.server import kefu_server
from kefu.access.models import User
from kefu.channels.models import Conversation
from kefu.core.config import Settings
from kefu.core.runtime import open_runtime

PASSWORD = "kefu-demo"
CHROMIUM = Path("/usr/bin/chromium")
# Stamps each message element when it enters the page (wall-clock milliseconds), by its text.
OBSERVE = """() => {
  window.__seen = {};
  new MutationObserver(() => {
    const now = performance.timeOrigin + performance.now();
    document.querySelectorAll('#messages [data-message-id] .body').forEach((el) => {
      if (!(el.textContent in window.__seen)) window.__seen[el.textContent] = now;
    });
  }).observe(document.getElementById('messages'), {childList: true, subtree: true});
}"""


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


@dataclass
class Live:
    shown: list[float]  # send → element in the agent's DOM, seconds
    acked: list[float]  # send → the visitor's ack (stored and committed), seconds


def _live(base: str, count: int) -> Live | None:
    """A visitor writes `count` messages; a supervisor's browser shows the conversation page."""
    if not CHROMIUM.exists():
        return None
    from playwright.sync_api import sync_playwright

    ws_url = base.replace("http", "ws", 1) + "/ws/webchat?site=bench&visitor=bench-visitor-0001"
    shown, acked = [], []
    with websockets.sync.client.connect(ws_url) as socket, sync_playwright() as playwright:
        public_id = _say(socket, "first")[1]
        chromium = playwright.chromium
        browser = chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_context().new_page()
            page.goto(f"{base}/sign-in")
            page.fill("input[name=username]", "supervisor")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit].primary")
            page.wait_for_url("**/console")
            page.goto(f"{base}/console/conversations/{public_id}")
            page.wait_for_function("() => document.querySelector('#messages [data-message-id]') !== null")
            page.wait_for_timeout(1500)  # the page's socket is open and its first fragments loaded
            page.evaluate(OBSERVE)
            for i in range(count):
                body = f"bench message {i}"
                sent_ms = time.time() * 1000
                acked.append(_say(socket, body)[0])
                page.wait_for_function(f"() => window.__seen[{body!r}] !== undefined", timeout=10_000)
                shown.append((page.evaluate(f"() => window.__seen[{body!r}]") - sent_ms) / 1000)
                time.sleep(0.2)  # a customer types; each message is measured on its own
        finally:
            browser.close()
    return Live(shown, acked)


def _say(socket: websockets.sync.client.ClientConnection, body: str) -> tuple[float, str]:
    """Send one message as the visitor; (seconds until its ack, the conversation's public id)."""
    client_id = f"c{time.monotonic_ns()}"
    started = time.perf_counter()
    socket.send(json.dumps({"type": "message", "client_id": client_id, "body": body}))
    while True:
        frame = json.loads(socket.recv(timeout=10))
        if frame.get("type") == "ack" and frame.get("client_id") == client_id:
            return time.perf_counter() - started, frame["conversation_id"]


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
            live = _live(base, 20 if quick else 100)
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
        *_live_rows(live),
    ]


def _live_rows(live: Live | None) -> list[Row]:
    if live is None:
        return []  # no Chromium here: the row is left out rather than guessed
    p95 = _p(live.shown, 0.95)
    return [
        Row(
            "customer message (widget WebSocket) → shown in the agent's browser",
            p95,
            "ms p95",
            reference="the visitor's ack (message committed) p95, same run",
            ratio=p95 / _p(live.acked, 0.95),
            target="< 200 ms p95",
            notes=(
                f"p50 {statistics.median(live.shown) * 1000:.1f} ms, max {max(live.shown) * 1000:.1f} ms; "
                f"ack p50 {statistics.median(live.acked) * 1000:.1f} ms; {len(live.shown)} messages, "
                "headless Chromium on the conversation page"
            ),
        )
    ]

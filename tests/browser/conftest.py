"""One real `kefu serve` over a fresh demo centre, and one headless Debian Chromium, for the whole session.

Playwright cannot download its own browser here, so the tests drive /usr/bin/chromium. Without it they
skip, unless KEFU_TEST_REQUIRE_BROWSER=1 (CI), when a missing browser fails the run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from kefu.access.models import User
from kefu.channels.models import Conversation, Message
from kefu.core import clock
from kefu.core.config import Settings
from kefu.core.ids import public_id
from kefu.core.runtime import Runtime, open_runtime
from kefu.customers.models import Customer
from kefu.routing.models import Queue

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # The widget test's shop page is served by Playwright (no address), so Chromium would treat it as a
    # public site reaching the loopback server and block the widget script; a real shop is not loopback.
    "--disable-features=LocalNetworkAccessChecks",
]
XSS = "<img src=x onerror=alert(1)>"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@dataclass
class Centre:
    url: str
    runtime: Runtime  # the same database the server uses, for arranging what the browser should see
    xss_conversation: str  # public id of agent01's conversation whose customer sent XSS
    queue_id: int
    queue_code: str

    def new_conversation(self) -> int:
        """A customer's conversation waiting for an agent (the test then queues it through the API)."""
        with self.runtime.write_sessions() as session, session.begin():
            customer = Customer(name="New Customer", created_at=clock.now())
            session.add(customer)
            session.flush()
            conversation = _conversation(customer.id, self.queue_id, status="queued", agent_id=None)
            session.add(conversation)
            session.flush()
            return conversation.id


def _conversation(customer_id: int, queue_id: int, *, status: str, agent_id: int | None) -> Conversation:
    now = clock.now()
    return Conversation(
        public_id=public_id(),
        customer_id=customer_id,
        channel="webchat",
        status=status,
        subject=XSS,
        queue_id=queue_id,
        agent_id=agent_id,
        started_at=now - timedelta(minutes=2),
        queued_at=now - timedelta(minutes=2),
        answered_at=now - timedelta(minutes=1) if agent_id else None,
    )


def _arrange(runtime: Runtime) -> tuple[str, int, str]:
    """agent01 is handling a conversation whose customer's name and message are markup."""
    with runtime.write_sessions() as session, session.begin():
        agent = session.scalar(select(User).where(User.username == "agent01"))
        queue = session.scalar(select(Queue).where(Queue.channel == "webchat").order_by(Queue.id))
        assert agent is not None and queue is not None
        customer = Customer(name=XSS, created_at=clock.now())
        session.add(customer)
        session.flush()
        conversation = _conversation(customer.id, queue.id, status="active", agent_id=agent.id)
        session.add(conversation)
        session.flush()
        session.add(
            Message(
                conversation_id=conversation.id,
                channel="webchat",
                sender="customer",
                body=XSS,
                created_at=clock.now(),
            )
        )
        return conversation.public_id, queue.id, queue.code


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(url: str, server: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"kefu serve exited with {server.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("kefu serve did not become ready in time")


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Centre]:
    data_dir = tmp_path_factory.mktemp("browser-demo")
    env = {**os.environ, "KEFU_DATA_DIR": str(data_dir), "KEFU_LOG_LEVEL": "WARNING"}
    env.pop("KEFU_DATABASE_URL", None)
    cli = [sys.executable, "-m", "kefu.cli"]
    subprocess.run(
        [*cli, "demo", "--data-dir", str(data_dir), "--no-serve"], env=env, check=True, capture_output=True
    )
    runtime = open_runtime(Settings(data_dir=data_dir), run_migrations=False)
    xss_conversation, queue_id, queue_code = _arrange(runtime)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([*cli, "serve", "--data-dir", str(data_dir), "--port", str(port)], env=env)
    try:
        _wait_ready(url, server, time.monotonic() + 240)  # a shared, loaded CI machine starts slowly
        yield Centre(url, runtime, xss_conversation, queue_id, queue_code)
    finally:
        server.terminate()
        server.wait(timeout=20)
        runtime.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("KEFU_TEST_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing and KEFU_TEST_REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """docs/screenshots when KEFU_SCREENSHOTS=1 (to refresh the committed ones), else a temporary folder."""
    return SCREENSHOTS if os.environ.get("KEFU_SCREENSHOTS") == "1" else tmp_path

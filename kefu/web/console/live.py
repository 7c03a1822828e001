"""`/ws/console`: tells open console pages that something they show may have changed.

Each message is only an event's type (`{"type": "routing.queued"}`), never its payload: the page then
refreshes its fragments over ordinary, scoped, authenticated GETs, so the socket can reveal nothing the
reader could not already see. Recipients are respected (an event for one agent reaches only that agent's
pages). Polling stays in place as the fallback when the socket is down.

The handshake is authenticated like a page (session cookie) and its Origin must be this site: browsers
send cookies with cross-site WebSocket handshakes, so without the check any website could listen in.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from kefu.access.actions import SESSIONS_ENDED
from kefu.access.authn import actor_for_session
from kefu.access.sessions import SESSION_COOKIE, decode_session
from kefu.core import clock
from kefu.core.errors import Unauthenticated
from kefu.core.events import Event
from kefu.core.runtime import Runtime
from kefu.routing.actions import do_auto_away

router = APIRouter(include_in_schema=False)
POLICY_VIOLATION = 1008  # WebSocket close code: the handshake broke a rule (origin, authentication)
BACKLOG = 100  # per socket; past it events are dropped, the page's polling catches up


class LiveHub:
    """Fans bus events out to the sockets of this process. Runs on the event loop; the bus may call
    `handle` from any thread (the committing request's, or Redis's listener)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._sockets: dict[asyncio.Queue[str], int] = {}

    def handle(self, event: Event) -> None:
        self._loop.call_soon_threadsafe(self._fan_out, event)

    def _fan_out(self, event: Event) -> None:
        for queue, user_id in self._sockets.items():
            if (event.recipients is None or user_id in event.recipients) and not queue.full():
                queue.put_nowait(event.type)

    def join(self, user_id: int) -> asyncio.Queue[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(BACKLOG)
        self._sockets[queue] = user_id
        return queue

    def leave(self, queue: asyncio.Queue[str]) -> bool:
        """Forget the socket; True when its user has no other console open in this process."""
        user_id = self._sockets.pop(queue, None)
        return user_id is not None and user_id not in self._sockets.values()


def hub_for(app: FastAPI) -> LiveHub:
    """The app's hub, subscribed to its bus on first use (on the loop thread, so created once)."""
    hub = getattr(app.state, "console_hub", None)
    if hub is None:
        hub = app.state.console_hub = LiveHub(asyncio.get_running_loop())
        app.state.runtime.bus.subscribe(hub.handle)
    return hub


def origin_allowed(origin: str | None, host: str | None, public_url: str) -> bool:
    """Same site only: the Host the browser connected to, or the configured public URL (behind a proxy)."""
    if not origin:
        return False
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    return parts.netloc == host or f"{parts.scheme}://{parts.netloc}" == public_url.rstrip("/")


def _user_id(runtime: Runtime, raw: str | None, address: str | None) -> int | None:
    data = decode_session(runtime.settings.signing_key, raw) if raw else None
    if data is None:
        return None
    with runtime.sessions() as session:
        try:
            return actor_for_session(session, data, address).user_id
        except Unauthenticated:
            return None


@router.websocket("/ws/console")
async def console_socket(websocket: WebSocket) -> None:
    runtime: Runtime = websocket.app.state.runtime
    if not origin_allowed(
        websocket.headers.get("origin"), websocket.headers.get("host"), runtime.settings.public_url
    ):
        await websocket.close(code=POLICY_VIOLATION)
        return
    address = websocket.client.host if websocket.client else None
    user_id = await run_in_threadpool(_user_id, runtime, websocket.cookies.get(SESSION_COOKIE), address)
    if user_id is None:
        await websocket.close(code=POLICY_VIOLATION)
        return
    await websocket.accept()
    hub = hub_for(websocket.app)
    queue = hub.join(user_id)
    sender = asyncio.create_task(_send(websocket, queue))
    try:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass  # the page sends nothing that matters; this only waits for it to go away
    except WebSocketDisconnect:
        pass  # closed from our side (sessions ended)
    finally:
        sender.cancel()
        if hub.leave(queue):
            await run_in_threadpool(_auto_away, runtime, user_id)


def _auto_away(runtime: Runtime, user_id: int) -> None:
    with runtime.write_sessions() as session, session.begin():
        do_auto_away(session, user_id, clock.now())


async def _send(websocket: WebSocket, queue: asyncio.Queue[str]) -> None:
    while True:
        kind = await queue.get()
        if kind == SESSIONS_ENDED:
            # Signed out, password changed or disabled: this connection's authorisation is gone now.
            await websocket.close(code=POLICY_VIOLATION)
            return
        await websocket.send_json({"type": kind})

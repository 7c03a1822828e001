"""Web chat over WebSockets: `/ws/webchat?site=…&visitor=…[&customer=…&sig=…]`.

Frames are JSON. The client sends `{"type": "message", "client_id", "body"}` and gets
`{"type": "ack", "client_id", "message_id", "conversation_id"}` only after the message is committed;
sending the same client_id again (after a reconnect) is acknowledged with the stored message, never stored
twice. `{"type": "resume", "after": <message id>}` replays what the visitor missed; agents' replies are
pushed as `{"type": "message", …}` frames, and a solved conversation's CSAT request as
`{"type": "survey", "token"}` (the widget shows a rating card and posts the answer to the survey's form
endpoint). A greeting frame is sent on connect. `{"type": "typing"}` goes both ways as a notice. The
widget script is served at `/webchat.js`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import Callable, Coroutine
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from fastapi import APIRouter, Response, WebSocket
from starlette.routing import WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from kefu.channels.actions import Inbound
from kefu.channels.append_actions import Appended
from kefu.channels.assignment import CONTACT_KIND
from kefu.channels.intake_writer import IntakeWriter
from kefu.channels.kinds import Channel, Sender
from kefu.channels.settings import ChannelSettings, get_channel_settings
from kefu.channels.signing import BadSignature, verify_value
from kefu.channels.webchat_access import visitor_conversation_id, visitor_messages_after
from kefu.core import clock
from kefu.core.errors import InvalidInput, KefuError
from kefu.core.events import Event
from kefu.core.runtime import Runtime
from kefu.customers.identity import Identity, normalise_external, normalise_visitor
from kefu.customers.settings import get_tier_rules
from kefu.customers.tiers import IdentityKind, TierRules
from kefu.routing.access import Position, positions_of
from kefu.surveys.links import survey_token

router = APIRouter()
T = TypeVar("T")
MAX_CLIENT_ID = 64
CLOSE_BAD_REQUEST, CLOSE_UNAUTHENTICATED = 4400, 4401
Frame = dict[str, Any] | str  # a frame, or one already encoded (acks)
# Typing notices are not stored: published straight to the bus by either side. An agent console publishes
# {"conversation_id", "sender": "agent"} with this type to show "typing…" in the visitor's widget.
TYPING_EVENT = "conversation.typing"
WIDGET = Path(__file__).parent / "static" / "webchat.js"
# Routing events that can move a visitor's place in line.
QUEUE_EVENTS = frozenset(
    {
        "routing.queued",
        "routing.offered",
        "routing.assigned",
        "routing.abandoned",
        "routing.transferred",
        "routing.released",
        "routing.presence",
    }
)
POSITION_REFRESH_SECONDS = 1.0


class Outbox:
    """Frames waiting for one socket, in order; its sender task takes all that are waiting at once.

    A list and a wake-up future, owned by the loop: cheaper per ack than an asyncio.Queue.
    """

    def __init__(self) -> None:
        self._frames: list[Frame] = []
        self._wake: asyncio.Future[None] | None = None

    def put(self, frame: Frame) -> None:
        self._frames.append(frame)
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    async def take(self) -> list[Frame]:
        while not self._frames:
            self._wake = asyncio.get_running_loop().create_future()
            await self._wake
        frames, self._frames = self._frames, []
        return frames


def visitor_identities(settings: ChannelSettings, params: dict[str, str]) -> tuple[Identity, ...]:
    """The visitor id kept in the browser, plus the site's signed customer id when the page gives one."""
    visitor = Identity(IdentityKind.visitor, normalise_visitor(params.get("visitor", "")))
    customer, signature = params.get("customer"), params.get("sig")
    if not customer:
        return (visitor,)
    site = params.get("site", "")
    secret = settings.webchat_sites.get(site)
    if secret is None:
        raise InvalidInput(f"site: {site!r} is not configured for signed customers", field="site")
    verify_value(secret, customer, signature or "")
    value, namespace = normalise_external(customer, site)
    return (visitor, Identity(IdentityKind.external, value, namespace))


class WebchatHub:
    """One per app: the group-commit writer, and open sockets by conversation, fed by the event bus."""

    def __init__(self, runtime: Runtime, rules: TierRules) -> None:
        self.runtime = runtime
        self.writer = IntakeWriter(runtime.write_sessions, rules)
        self._loop = asyncio.get_running_loop()
        self._outboxes: dict[int, set[Outbox]] = defaultdict(set)
        self._watching: dict[Outbox, set[int]] = defaultdict(set)  # the reverse, so leaving is O(own)
        self._refreshing = self._refresh_again = False
        runtime.bus.subscribe(self._on_event)

    def watch(self, conversation_id: int, outbox: Outbox) -> None:
        if outbox in self._outboxes.get(conversation_id, ()):
            return  # every ack of a busy visitor lands here: keep it to one set lookup
        self._outboxes[conversation_id].add(outbox)
        self._watching[outbox].add(conversation_id)
        self.refresh_positions()

    @property
    def sockets(self) -> int:
        """How many sockets watch a conversation."""
        return len(self._watching)

    def forget(self, outbox: Outbox) -> None:
        for conversation_id in self._watching.pop(outbox, ()):
            self._outboxes[conversation_id].discard(outbox)
            if not self._outboxes[conversation_id]:
                del self._outboxes[conversation_id]

    def _on_event(self, event: Event) -> None:
        # Called on the publishing thread (a request's, the writer's, or the Redis listener's).
        if event.type in QUEUE_EVENTS:
            self._loop.call_soon_threadsafe(self.refresh_positions)
            return
        payload = event.payload
        if payload.get("sender") == Sender.customer.value or payload.get("internal"):
            return  # the visitor's own words come back as acks; internal notes never reach the customer
        if event.type == TYPING_EVENT:
            self._push(
                payload.get("conversation_id", -1), {"type": "typing", "sender": payload.get("sender")}
            )
        elif event.type == "message.created":
            self._push(payload["conversation_id"], _message_frame(payload))
        elif event.type == "survey.created" and payload.get("channel") == Channel.webchat.value:
            # The CSAT card: the widget answers with the survey's one-time token (kefu.surveys.links).
            token = survey_token(self.runtime.settings.signing_key, payload["survey"])
            self._push(payload.get("conversation") or -1, {"type": "survey", "token": token})

    def refresh_positions(self) -> None:
        """Tell waiting visitors their place in line and estimated wait (on the loop; coalesced)."""
        if not self._outboxes:
            return
        if self._refreshing:
            self._refresh_again = True
            return
        self._refreshing = True
        task = asyncio.ensure_future(self._refresh_positions())
        task.add_done_callback(lambda _: setattr(self, "_refreshing", False))

    async def _refresh_positions(self) -> None:
        while True:
            self._refresh_again = False
            positions = await asyncio.to_thread(self._positions, list(self._outboxes))
            for conversation_id, place in positions.items():
                ewt = None if place.ewt_seconds is None else round(place.ewt_seconds)
                self._push(conversation_id, {"type": "queue", "position": place.position, "ewt_seconds": ewt})
            if not self._refresh_again:
                return
            await asyncio.sleep(POSITION_REFRESH_SECONDS)  # a busy queue updates visitors at most this often

    def _positions(self, conversation_ids: list[int]) -> dict[int, Position]:
        with self.runtime.sessions() as session:
            return positions_of(session, CONTACT_KIND, conversation_ids, clock.now())

    def _push(self, conversation_id: int, frame: dict[str, Any]) -> None:
        for outbox in list(self._outboxes.get(conversation_id, ())):
            self._loop.call_soon_threadsafe(outbox.put, frame)


def _message_frame(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "message_id": payload["message_id"],
        "sender": payload["sender"],
        "body": payload.get("body", ""),
        "created_at": payload.get("created_at"),
    }


def _hub(websocket: WebSocket) -> WebchatHub:
    state = websocket.app.state
    if not hasattr(state, "webchat_hub"):
        state.webchat_hub = WebchatHub(state.runtime, get_tier_rules(websocket))
    return state.webchat_hub


@router.get("/webchat.js", include_in_schema=False)
def widget_script() -> Response:
    """The embeddable widget: one script tag, plain JavaScript, no build step."""
    return Response(
        WIDGET.read_bytes(),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


async def webchat(scope: Scope, receive: Receive, send: Send) -> None:
    """The widget's socket as a bare ASGI app: each frame and ack passes straight between uvicorn and the
    chat session, without Starlette's WebSocket wrapper (measured: a visible share of the CPU per message
    at thousands of messages a second). Starlette's WebSocket still does the handshake."""
    websocket = WebSocket(scope, receive, send)
    settings = get_channel_settings(websocket)
    try:
        identities = visitor_identities(settings, dict(websocket.query_params))
    except KefuError as exc:
        code = CLOSE_UNAUTHENTICATED if isinstance(exc, BadSignature) else CLOSE_BAD_REQUEST
        await websocket.close(code=code, reason=exc.message[:120])
        return
    hub = _hub(websocket)
    await websocket.accept()
    outbox = Outbox()
    sender = asyncio.create_task(_send_frames(send, outbox))
    outbox.put({"type": "greeting", "text": settings.webchat_greeting})
    session = ChatSession(hub, outbox, identities)
    try:
        await session.start()
        await asyncio.create_task(_read_frames(receive, session))
    finally:
        session.closed = True
        hub.forget(outbox)
        sender.cancel()


class _App:
    """An ASGI function that Starlette routes to as an app (a plain function would get a WebSocket)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


router.routes.append(WebSocketRoute("/ws/webchat", _App(webchat), name="webchat"))


async def _read_frames(receive: Receive, session: ChatSession) -> None:
    """The receiving loop, in a task of its own: each frame then resumes this short stack instead of the
    two dozen frames of middleware below the route (measured: the largest single cost per message)."""
    while True:
        message = await receive()
        if message["type"] != "websocket.receive":
            return  # websocket.disconnect
        session.handle(message.get("text") or "")


async def _send_frames(send: Send, outbox: Outbox) -> None:
    """The only task that writes to the socket, so frames never interleave."""
    # uvicorn raises OSError (ClientDisconnected) once the visitor has gone, RuntimeError after a close.
    with contextlib.suppress(OSError, RuntimeError):
        while True:
            for frame in await outbox.take():
                text = frame if isinstance(frame, str) else json.dumps(frame, ensure_ascii=False)
                await send({"type": "websocket.send", "text": text})


class ChatSession:
    """One connected visitor: turns frames into submissions, acks and replays."""

    def __init__(self, hub: WebchatHub, outbox: Outbox, identities: tuple[Identity, ...]) -> None:
        self.hub, self.outbox, self.identities = hub, outbox, identities
        self.visitor = identities[0].value
        self.conversation_id: int | None = None  # where this visitor's last message went
        self.tasks: set[asyncio.Task[None]] = set()
        self.closed = False

    async def start(self) -> None:
        conversation_id = await asyncio.to_thread(self._read, visitor_conversation_id)
        if conversation_id is not None:
            self.conversation_id = conversation_id
            self.hub.watch(conversation_id, self.outbox)

    def _read(self, query: Callable[..., T], *args: Any) -> T:
        """Run a read for this visitor in its own short session (called in a worker thread)."""
        with self.hub.runtime.sessions() as session:
            return query(session, self.identities, *args)

    def handle(self, text: str) -> None:
        try:
            frame = json.loads(text)
            kind = frame.get("type") if isinstance(frame, dict) else None
        except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
            kind, frame = None, {}
        if kind == "message":
            self._message(frame)
        elif kind == "resume":
            self._spawn(self._resume(frame))
        elif kind == "typing":
            self._typing()
        else:
            self.outbox.put(_error(None, "invalid_input", "type: expected message, resume or typing"))

    def _typing(self) -> None:
        """Tell the agent console; not stored, so it goes straight to the bus (no transaction to wait for)."""
        if self.conversation_id is not None:
            self.hub.runtime.bus.publish(
                Event(
                    TYPING_EVENT, {"conversation_id": self.conversation_id, "sender": Sender.customer.value}
                )
            )

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        # Each submission waits for its batch's commit on its own, so a busy visitor is not serialised.
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _message(self, frame: dict[str, Any]) -> None:
        client_id, body = frame.get("client_id"), frame.get("body")
        if (
            not isinstance(client_id, str)
            or not 0 < len(client_id) <= MAX_CLIENT_ID
            or not isinstance(body, str)
        ):
            self.outbox.put(_error(client_id, "invalid_input", "client_id and body: text required"))
            return
        inbound = Inbound(
            channel=Channel.webchat,
            external_id=f"{self.visitor}:{client_id}",
            identities=self.identities,
            body=body,
        )
        # A callback, not a task or a future per message: at thousands of messages a second, they add up.
        self.hub.writer.enqueue(inbound, self.conversation_id, partial(self._acknowledge, client_id))

    def _acknowledge(self, client_id: str, receipt: Appended | Exception) -> None:
        if self.closed:
            return  # the visitor left before the commit: watching again would keep a dead socket forever
        if isinstance(receipt, Exception):
            code, message = (
                (receipt.code, receipt.message) if isinstance(receipt, KefuError) else ("not_stored", "")
            )
            self.outbox.put(_error(client_id, code, message or "not stored; send it again"))
            return
        self.conversation_id = receipt.conversation_id
        self.hub.watch(receipt.conversation_id, self.outbox)
        self.outbox.put(_ack_text(client_id, receipt))

    async def _resume(self, frame: dict[str, Any]) -> None:
        after = frame.get("after", 0)
        if not isinstance(after, int) or after < 0:
            self.outbox.put(_error(None, "invalid_input", "after: a message id (integer ≥ 0)"))
            return
        messages = await asyncio.to_thread(self._read, visitor_messages_after, after)
        self.outbox.put({"type": "history", "messages": messages})


def _ack_text(client_id: str, receipt: Appended) -> str:
    """The ack frame, encoded by hand: one per message, and the general encoder was a visible share of the
    server's CPU. Only the client's id needs escaping (the public id is URL-safe base64)."""
    duplicate = "true" if receipt.duplicate else "false"
    return (
        f'{{"type":"ack","client_id":{json.dumps(client_id, ensure_ascii=False)},'
        f'"message_id":{receipt.message_id:d},"conversation_id":"{receipt.conversation_public_id}",'
        f'"duplicate":{duplicate}}}'
    )


def _error(client_id: object, code: str, message: str) -> dict[str, Any]:
    return {
        "type": "error",
        "client_id": client_id if isinstance(client_id, str) else None,
        "code": code,
        "message": message,
    }

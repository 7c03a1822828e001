"""The live bot in a server process: reacts to committed customer messages, outside message intake.

Intake publishes `message.created` after its commit; this worker's bus handler only notes the
conversation id (a set lookup, so intake never waits for the bot), and one thread takes the bot's turn
a moment later (`reply_delay`: the widget has had its acknowledgement and watches the conversation, and
a burst of messages is read together). Every process runs one; the compare-and-set in `do_bot_turns`
keeps several from answering the same message. Idle bot conversations are ended periodically.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from kefu.bot.actions import (
    BOT_CHANNELS,
    bot_conversation_ids,
    bot_turn_due,
    do_bot_turns,
    do_end_idle_conversations,
)
from kefu.channels.delivery import webhook_policy
from kefu.channels.kinds import Sender
from kefu.channels.settings import ChannelSettings
from kefu.channels.webhooks import deliver_due_webhooks
from kefu.core.config import KefuSettings
from kefu.core.events import Event
from kefu.core.runtime import Runtime

log = logging.getLogger(__name__)
_CHANNELS = frozenset(c.value for c in BOT_CHANNELS)
NOT_BOT_MEMORY = 100_000  # conversations known not to be the bot's (a handoff is never undone)


class BotSettings(KefuSettings):
    bot_worker: bool = True  # KEFU_BOT_WORKER=false: this process never answers as the bot
    bot_reply_delay_seconds: float = 0.15
    bot_idle_minutes: float = 30.0  # a bot conversation without a customer message this long is ended
    bot_idle_check_seconds: float = 60.0


class BotWorker:
    def __init__(
        self,
        runtime: Runtime,
        channel_settings: Callable[[], ChannelSettings],
        settings: BotSettings | None = None,
    ) -> None:
        self.runtime = runtime
        self.settings = settings or BotSettings()
        self._channel_settings = channel_settings
        self._due: queue.Queue[tuple[float, int]] = queue.Queue()
        self._not_bot: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kefu-bot", daemon=True)

    def start(self) -> BotWorker:
        self.runtime.bus.subscribe(self.on_event)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._due.put((0.0, -1))
        self._thread.join(timeout=5)

    def on_event(self, event: Event) -> None:
        """On the publishing thread: note the conversation, nothing more (a customer's message is the
        bot's cue; an agent's message in a bot conversation makes the bot step back)."""
        if event.type != "message.created" or self._stop.is_set():
            return
        payload = event.payload
        if (
            payload.get("sender") not in (Sender.customer.value, Sender.agent.value)
            or payload.get("channel") not in _CHANNELS
            or payload.get("internal")
            or payload.get("conversation_id") in self._not_bot
        ):
            return
        self._due.put((time.monotonic() + self.settings.bot_reply_delay_seconds, payload["conversation_id"]))

    def _run(self) -> None:
        try:
            with self.runtime.sessions() as session:
                for conversation_id in bot_conversation_ids(session):
                    self._due.put((0.0, conversation_id))
        except Exception:  # noqa: BLE001 - logged; live messages still reach the bot
            log.exception("bot: could not list the conversations it holds")
        next_idle_check = time.monotonic() + self.settings.bot_idle_check_seconds
        while not self._stop.is_set():
            try:
                due, conversation_id = self._due.get(timeout=1.0)
            except queue.Empty:
                due, conversation_id = 0.0, None
            if conversation_id is not None and conversation_id >= 0:
                wait = due - time.monotonic()
                if wait > 0 and self._stop.wait(wait):
                    return
                self._turn(conversation_id)
            if time.monotonic() >= next_idle_check:
                next_idle_check = time.monotonic() + self.settings.bot_idle_check_seconds
                self._end_idle()

    def _turn(self, conversation_id: int) -> None:
        settings = self._channel_settings()
        try:
            # Read first: most messages are not the bot's, and a write transaction would take SQLite's
            # single write lock away from intake for nothing.
            with self.runtime.sessions() as session:
                due = bot_turn_due(session, conversation_id)
            if due is None:
                self._forget(conversation_id)
                return
            if not due:
                return
            with self.runtime.write_sessions() as session, session.begin():
                result = do_bot_turns(session, conversation_id, settings.webhook_targets)
        except Exception:  # noqa: BLE001 - one conversation's failure must not stop the bot
            log.exception("bot: turn in conversation %s failed", conversation_id)
            return
        if not result.taken:
            self._forget(conversation_id)
        if result.webhooks:
            try:
                deliver_due_webhooks(self.runtime.write_sessions, webhook_policy(self.runtime, settings))
            except Exception:  # noqa: BLE001 - the channels' retry worker tries again
                log.exception("bot: webhook delivery failed")

    def _forget(self, conversation_id: int) -> None:
        """Not the bot's conversation, now or ever again (a handoff is never undone)."""
        if len(self._not_bot) >= NOT_BOT_MEMORY:
            self._not_bot.clear()
        self._not_bot.add(conversation_id)

    def _end_idle(self) -> None:
        try:
            with self.runtime.write_sessions() as session, session.begin():
                do_end_idle_conversations(session, timedelta(minutes=self.settings.bot_idle_minutes))
        except Exception:  # noqa: BLE001 - tried again at the next check
            log.exception("bot: ending idle conversations failed")


def start_bot_worker(
    runtime: Runtime, channel_settings: Callable[[], ChannelSettings]
) -> Callable[[], None] | None:
    """Start this process's bot worker unless KEFU_BOT_WORKER=false; returns its stop function."""
    settings = BotSettings()
    if not settings.bot_worker:
        return None
    return BotWorker(runtime, channel_settings, settings).start().stop

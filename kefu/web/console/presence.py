"""The presence an agent chose in the console, validated by the routing state machine.

Routing has no presence table yet, so the console keeps each agent's chosen state in this process (per
app). It is the console's view only: a restart forgets it, and with several `kefu serve` processes each
keeps its own. When routing persists presence, `PresenceBoard` is the one place to replace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from threading import Lock

from kefu.routing.presence import TRANSITIONS
from kefu.routing.state import Presence

# What an agent may pick in the switch (busy and after-contact work follow from contacts, not a choice).
CHOICES = (Presence.AVAILABLE, Presence.BREAK, Presence.TRAINING, Presence.OFFLINE)
BREAK_REASONS = ("rest", "meal", "meeting", "other")


@dataclass(frozen=True, slots=True)
class PresenceEntry:
    state: Presence
    since: datetime
    reason: str | None = None


class PresenceBoard:
    def __init__(self) -> None:
        self._entries: dict[int, PresenceEntry] = {}
        self._lock = Lock()

    def get(self, user_id: int, now: datetime) -> PresenceEntry:
        with self._lock:
            return self._entries.get(user_id) or PresenceEntry(Presence.OFFLINE, now)

    def set(self, user_id: int, state: str, reason: str | None, now: datetime) -> PresenceEntry:
        """Move an agent to `state` if the routing state machine allows it; a break needs a reason."""
        if state not in {c.value for c in CHOICES}:
            raise ValueError(f"state: {state!r} is not one of {', '.join(c.value for c in CHOICES)}")
        target = Presence(state)
        if target is Presence.BREAK and reason not in BREAK_REASONS:
            raise ValueError(f"reason: a break needs one of {', '.join(BREAK_REASONS)}")
        with self._lock:
            current = self._entries.get(user_id) or PresenceEntry(Presence.OFFLINE, now)
            if target is current.state and reason == current.reason:
                return current
            if target is not current.state and target not in TRANSITIONS[current.state]:
                raise ValueError(f"state: cannot go from {current.state.value} to {target.value}")
            entry = PresenceEntry(target, now, reason if target is Presence.BREAK else None)
            self._entries[user_id] = entry
            return entry

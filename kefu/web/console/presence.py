"""The presence switch: what an agent may pick, and the words for why routing refused a change.

The state itself belongs to routing (`agent_presence`, changed only by `check_set_presence`, which applies
the presence state machine); the console shows it and asks for changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from kefu.core.clock import as_utc
from kefu.routing.access import presence_row
from kefu.routing.errors import CapacityError, InvalidFieldError, TransitionError
from kefu.routing.models import AgentPresence
from kefu.routing.state import Presence
from kefu.web.console.labels import N_

BREAK_REASONS = ("rest", "meal", "meeting", "other")
# What an agent may pick, one select: a break is picked with its reason ("break:meal"). Busy and
# after-contact work follow from contacts, not from a choice.
CHOICES = ("available", *(f"break:{reason}" for reason in BREAK_REASONS), "training", "offline")


@dataclass(frozen=True, slots=True)
class PresenceView:
    state: Presence
    since: datetime | None
    reason: str | None = None

    @property
    def choice(self) -> str:
        return f"break:{self.reason}" if self.state is Presence.BREAK else self.state.value


OFFLINE = PresenceView(Presence.OFFLINE, None)


def view_of(row: AgentPresence | None) -> PresenceView:
    return OFFLINE if row is None else PresenceView(Presence(row.state), as_utc(row.since), row.break_reason)


def presence_of(session: Session, user_id: int) -> PresenceView:
    """The agent's presence as routing recorded it (offline when routing has never seen them)."""
    return view_of(presence_row(session, user_id))


def parse_choice(choice: str) -> tuple[str, str | None]:
    """("break", "meal") from "break:meal"; ValueError naming the field for anything not offered."""
    if choice not in CHOICES:
        raise ValueError(f"choice: {choice!r} is not one of {', '.join(CHOICES)}")
    state, _, reason = choice.partition(":")
    return state, reason or None


def refusal(error: Exception) -> str:
    """The catalog msgid explaining a refused change (the template translates it)."""
    if isinstance(error, CapacityError):
        return N_("Not possible now: you hold open contacts, or have no capacity on any channel.")
    if isinstance(error, TransitionError):
        return N_("Not possible from your current state; for another break, come back from this one first.")
    if isinstance(error, InvalidFieldError) and error.field == "presence.reason":
        return N_("A break needs a reason.")
    return N_("You have no routing profile yet; ask a supervisor to create one.")

"""The ticket status machine (pure).

new → open → pending (waiting on the customer) / on_hold (waiting on a department) → solved → closed,
and reopen (solved or closed → open). Anything else is refused with an error that lists the allowed
targets, which the API turns into a 409.
"""

from __future__ import annotations

from enum import StrEnum


class TicketStatus(StrEnum):
    new = "new"
    open = "open"
    pending = "pending"
    on_hold = "on_hold"
    solved = "solved"
    closed = "closed"


S = TicketStatus
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    # a new ticket can be answered with a question (pending) or solved at once
    S.new: frozenset({S.open, S.pending, S.on_hold, S.solved}),
    S.open: frozenset({S.pending, S.on_hold, S.solved}),
    S.pending: frozenset({S.open, S.on_hold, S.solved}),
    S.on_hold: frozenset({S.open, S.pending, S.solved}),
    S.solved: frozenset({S.open, S.closed}),
    S.closed: frozenset({S.open}),
}
REOPENED_FROM = frozenset({S.solved, S.closed})
# Statuses in which SLA clocks do not run: waiting on the customer, or no work left to do. on_hold is
# *not* here: while a department works on it, the customer-facing owner stays accountable.
SLA_PAUSED = frozenset({S.pending, S.solved, S.closed})
# Statuses with work still to do: the tickets the SLA sweep loads (no clock runs when solved or closed).
ACTIVE = frozenset({S.new, S.open, S.pending, S.on_hold})


class InvalidTransition(ValueError):
    """A status change the machine does not allow; `allowed` lists where `current` may go."""

    def __init__(self, current: TicketStatus, target: TicketStatus) -> None:
        self.current, self.target = current, target
        self.allowed = sorted(TRANSITIONS[current])
        names = ", ".join(self.allowed) or "none"
        super().__init__(f"status: cannot go from {current} to {target}; allowed from {current}: {names}")


def parse_status(value: str, field: str = "status") -> TicketStatus:
    try:
        return TicketStatus(value)
    except ValueError as exc:
        raise ValueError(f"{field}: {value!r} is not a status ({', '.join(TicketStatus)})") from exc


def allowed_transitions(current: TicketStatus | str) -> frozenset[TicketStatus]:
    return TRANSITIONS[parse_status(current, "current")]


def check_transition(current: TicketStatus | str, target: TicketStatus | str) -> TicketStatus:
    """Validate a status change and return the target; raises `InvalidTransition` if not allowed."""
    source, goal = parse_status(current, "current"), parse_status(target, "target")
    if goal not in TRANSITIONS[source]:
        raise InvalidTransition(source, goal)
    return goal


def is_reopen(current: TicketStatus | str, target: TicketStatus | str) -> bool:
    """A move back to open from solved or closed: recorded as a reopen (it counts against FCR)."""
    return parse_status(current, "current") in REOPENED_FROM and parse_status(target, "target") is S.open

"""Errors raised by the pure routing modules.

All are `ValueError`s so bad input never passes silently. Each carries the HTTP status the API layer
should answer with (`status`) and a stable machine `code`, so the mapping lives next to the cause.
"""

from __future__ import annotations


class RoutingError(ValueError):
    status = 422
    code = "invalid_routing_input"


class InvalidFieldError(RoutingError):
    """A value is malformed: names the field and the reason."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class UnknownNameError(RoutingError):
    """A reference to a queue, agent, skill or contact the engine does not know."""

    status = 404
    kind = "name"

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown {self.kind}: {name!r}")
        self.name = name
        self.code = f"unknown_{self.kind}"


class UnknownQueueError(UnknownNameError):
    kind = "queue"


class UnknownAgentError(UnknownNameError):
    kind = "agent"


class UnknownSkillError(UnknownNameError):
    # A skill name is part of the request body rather than the path, hence 422.
    status = 422
    kind = "skill"


class UnknownContactError(UnknownNameError):
    kind = "contact"


class ConflictError(RoutingError):
    """The request is well formed but clashes with the agent's current state (HTTP 409)."""

    status = 409
    code = "conflict"

    def __init__(self, agent: str, reason: str) -> None:
        super().__init__(f"agent {agent!r}: {reason}")
        self.agent = agent
        self.reason = reason


class CapacityError(ConflictError):
    code = "capacity_exceeded"


class TransitionError(ConflictError):
    code = "presence_transition_not_allowed"

"""Agent presence: the state machine, capacity rules and after-contact-work expiry.

Every function takes an `AgentState` and returns a new one (or raises); `now` is always a parameter.
`available` and `busy` are the two routable states and are derived from the load: an agent holding
at least one contact is `busy`, otherwise `available`. Break and training stop new routing but let the
agent finish what they hold; logging off with open contacts would orphan them and is refused.
"""

from __future__ import annotations

import math
from dataclasses import replace

from kefu.routing.errors import CapacityError, TransitionError
from kefu.routing.state import AgentState, Presence, evolve, require

P = Presence
ROUTABLE = frozenset({P.AVAILABLE, P.BUSY})
_LOGGED_IN = frozenset(set(P) - {P.OFFLINE})

# Targets an agent (or the console) may request from each state. After-contact work is entered only
# through `release`, and `busy` only through `assign`, so neither is a requestable target.
TRANSITIONS: dict[Presence, frozenset[Presence]] = {
    P.OFFLINE: frozenset({P.AVAILABLE, P.BREAK, P.TRAINING}),
    P.AVAILABLE: frozenset({P.OFFLINE, P.BREAK, P.TRAINING}),
    P.BUSY: frozenset({P.OFFLINE, P.BREAK, P.TRAINING, P.AVAILABLE}),
    P.AFTER_CONTACT_WORK: frozenset({P.AVAILABLE, P.OFFLINE, P.BREAK, P.TRAINING}),
    P.BREAK: frozenset({P.AVAILABLE, P.OFFLINE, P.TRAINING}),
    P.TRAINING: frozenset({P.AVAILABLE, P.OFFLINE, P.BREAK}),
}
AUTO_AWAY_REASON = "console_disconnected"


def _working(agent: AgentState) -> Presence:
    return P.BUSY if agent.total_load else P.AVAILABLE


def is_routable(agent: AgentState, now: float, surge: bool = False) -> bool:
    """Whether the engine may offer this agent new contacts at `now` (capacity aside)."""
    if agent.is_reserve and not surge:
        return False
    if agent.presence is P.AFTER_CONTACT_WORK:
        return agent.acw_until is not None and agent.acw_until <= now
    return agent.presence in ROUTABLE


def has_room(agent: AgentState, channel: str) -> bool:
    """Whether one more contact on `channel` fits both the channel capacity and the combined limit."""
    return agent.load.get(channel, 0) < agent.capacity.get(channel, 0) and agent.total_load < agent.max_total


def change_presence(
    agent: AgentState, target: Presence | str, now: float, reason: str | None = None
) -> AgentState:
    """Apply a requested presence change, or raise `TransitionError`/`CapacityError` saying why not."""
    target = Presence(target)
    current = expire_after_contact_work(agent, now)
    if target not in TRANSITIONS[current.presence]:
        raise TransitionError(agent.id, f"cannot go from {current.presence} to {target}")
    if target is P.OFFLINE and current.total_load:
        raise CapacityError(
            agent.id, f"holds {current.total_load} open contacts; close or transfer them first"
        )
    if target is P.AVAILABLE and not any(current.capacity.values()):
        raise CapacityError(agent.id, "has no capacity on any channel, so cannot be available")
    require(target is not P.BREAK or bool(reason), "presence.reason", "a break needs a reason")
    presence = _working(current) if target is P.AVAILABLE else target
    idle_since = now if presence is P.AVAILABLE and current.presence not in ROUTABLE else current.idle_since
    return replace(
        current,
        presence=presence,
        break_reason=reason if target is P.BREAK else None,
        acw_until=None,
        idle_since=idle_since,
    )


def auto_away(agent: AgentState, now: float) -> AgentState:
    """The console disconnected: stop routing to the agent, keeping what they hold."""
    if agent.presence in (P.OFFLINE, P.BREAK):
        return agent
    return change_presence(agent, P.BREAK, now, AUTO_AWAY_REASON)


def assign(agent: AgentState, channel: str, now: float, surge: bool = False) -> AgentState:
    """Give the agent one more contact on `channel`; refuses anything over capacity."""
    current = expire_after_contact_work(agent, now)
    if not is_routable(current, now, surge):
        raise CapacityError(agent.id, f"is {current.presence}, not taking contacts")
    if not has_room(current, channel):
        raise CapacityError(agent.id, f"no free capacity on {channel}")
    load = dict(current.load)
    load[channel] = load.get(channel, 0) + 1
    return evolve(current, load, presence=P.BUSY, idle_since=now)


def release(agent: AgentState, channel: str, now: float, acw_seconds: float = 0.0) -> AgentState:
    """A contact on `channel` ended; the agent enters after-contact work when `acw_seconds` > 0."""
    require(math.isfinite(acw_seconds) and acw_seconds >= 0, "release.acw_seconds", "must be finite and >= 0")
    if agent.load.get(channel, 0) < 1:
        raise CapacityError(agent.id, f"holds no contact on {channel}")
    load = dict(agent.load)
    load[channel] -= 1
    idle_since = now if not sum(load.values()) else agent.idle_since
    if agent.presence not in ROUTABLE and agent.presence is not P.AFTER_CONTACT_WORK:
        return evolve(agent, load, idle_since=idle_since)  # on break or training: stays there
    # A running after-contact-work timer is never cut short by a later release.
    until = max(agent.acw_until or now, now + acw_seconds)
    if until > now:
        return evolve(agent, load, presence=P.AFTER_CONTACT_WORK, acw_until=until, idle_since=idle_since)
    working = P.BUSY if sum(load.values()) else P.AVAILABLE
    return evolve(agent, load, presence=working, acw_until=None, idle_since=idle_since)


def expire_after_contact_work(agent: AgentState, now: float) -> AgentState:
    """End after-contact work whose timer ran out; the agent counts as idle from the timer's end."""
    if agent.presence is not P.AFTER_CONTACT_WORK or agent.acw_until is None or agent.acw_until > now:
        return agent
    idle_since = max(agent.idle_since, agent.acw_until) if not agent.total_load else agent.idle_since
    return evolve(agent, presence=_working(agent), acw_until=None, idle_since=idle_since)


def set_capacity(agent: AgentState, capacity: dict[str, int], max_total: int) -> AgentState:
    """Change the agent's limits; lowering them below what the agent already holds is refused."""
    for channel, n in agent.load.items():
        if n > capacity.get(channel, 0):
            raise CapacityError(agent.id, f"holds {n} contacts on {channel}, more than the new capacity")
    if agent.total_load > max_total:
        raise CapacityError(agent.id, f"holds {agent.total_load} contacts, more than the new max_total")
    return replace(agent, capacity=capacity, max_total=max_total)

"""Agents indexed by (channel, skill), so installing a queue looks only at agents who could qualify.

A queue's widest requirement (its last overflow step) still names every skill it cannot do without;
its candidates are the agents holding the rarest of those skills on the queue's channel, or every agent
with capacity on the channel when no skill remains required.
"""

from __future__ import annotations

from kefu.routing.pool import Requirement
from kefu.routing.state import AgentState


class SkillIndex:
    __slots__ = ("_by_channel", "_by_skill")

    def __init__(self) -> None:
        self._by_channel: dict[str, set[str]] = {}
        self._by_skill: dict[tuple[str, str], set[str]] = {}

    def add(self, agent: AgentState) -> None:
        for channel, capacity in agent.capacity.items():
            if capacity > 0:
                self._by_channel.setdefault(channel, set()).add(agent.id)
                for skill in agent.skills:
                    self._by_skill.setdefault((channel, skill), set()).add(agent.id)

    def remove(self, agent: AgentState) -> None:
        for ids in (*self._by_channel.values(), *self._by_skill.values()):
            ids.discard(agent.id)

    def candidates(self, channel: str, widest: Requirement) -> list[str]:
        """Agent ids that might meet `widest` on `channel`, sorted; the caller checks them fully."""
        pools = [self._by_skill.get((channel, skill), set()) for skill in widest.min_levels]
        pool = min(pools, key=len) if pools else self._by_channel.get(channel, set())
        return sorted(pool)

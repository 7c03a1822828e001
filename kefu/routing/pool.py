"""The agents able to serve one queue, ranked by the queue's strategy, in one lazily cleaned heap.

A queue's requirement is a ladder: step 0 is the queue's own skills/teams/language, and each overflow
step widens it (lower minimum levels, more teams). Widening accumulates, so an agent qualifying at step
k also qualifies at every later step; each member is stored with the first step it qualifies at.

Heap entries start with that step, so agents who meet the stricter requirement always come first and
a contact at step s simply stops at the first entry whose step exceeds s. Entries are never updated in
place: any change to an agent bumps its version and pushes a fresh entry; outdated entries (old version,
agent full or not routable) are dropped when they surface. This keeps every operation O(log n).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass

from kefu.routing.presence import has_room
from kefu.routing.state import AgentState, QueueConfig

NEUTRAL_QUALITY = 50.0  # unknown quality ranks as an average agent: neither rewarded nor punished

# (first qualifying step, k1, k2, k3, agent id, version); k1..k3 depend on the strategy.
Entry = tuple[int, float, float, float, str, int]


@dataclass(frozen=True, slots=True)
class Requirement:
    min_levels: Mapping[str, int]  # skills with a minimum of 0 are omitted
    teams: frozenset[str] | None  # None: any team
    language: str | None

    def admits(self, agent: AgentState) -> bool:
        if self.teams is not None and agent.team not in self.teams:
            return False
        if self.language is not None and self.language not in agent.languages:
            return False
        skills = agent.skills
        return all(skills.get(skill, 0) >= level for skill, level in self.min_levels.items())


def ladder(queue: QueueConfig) -> tuple[Requirement, ...]:
    """Step 0 is the queue's own requirement; step k adds overflow steps 1..k cumulatively."""
    levels = dict(queue.skills)
    teams: frozenset[str] | None = queue.teams or None
    steps = [Requirement(dict(levels), teams, queue.language)]
    for step in queue.overflow:
        if step.min_level is not None:
            levels = {skill: min(level, step.min_level) for skill, level in levels.items()}
        if teams is not None and step.teams:
            teams = teams | step.teams
        steps.append(Requirement({s: lv for s, lv in levels.items() if lv > 0}, teams, queue.language))
    return tuple(steps)


def qualifying_step(agent: AgentState, steps: tuple[Requirement, ...], channel: str) -> int | None:
    """The first step at which the agent may serve the queue, or None if never."""
    if agent.capacity.get(channel, 0) < 1 or agent.max_total < 1:
        return None
    for k, requirement in enumerate(steps):
        if requirement.admits(agent):
            return k
    return None


def skill_match(agent: AgentState, queue: QueueConfig) -> float:
    """Mean level over the queue's required skills (a missing skill counts 0); 0 when none required."""
    if not queue.skills:
        return 0.0
    return sum(agent.skills.get(skill, 0) for skill in queue.skills) / len(queue.skills)


class QueuePool:
    """Members of one queue (agent id → (qualifying step, skill match)) and their ranking heap."""

    __slots__ = ("queue", "steps", "afters", "members", "heap")

    def __init__(self, queue: QueueConfig) -> None:
        self.queue = queue
        self.steps = ladder(queue)
        self.afters = tuple(step.after_seconds for step in queue.overflow)
        self.members: dict[str, tuple[int, float]] = {}
        self.heap: list[Entry] = []

    def entry(self, agent: AgentState, version: int) -> Entry:
        step, level = self.members[agent.id]
        if self.queue.strategy == "skill_first":
            quality = NEUTRAL_QUALITY if agent.quality is None else agent.quality
            return (step, -level, -quality, agent.idle_since, agent.id, version)
        return (step, agent.total_load / agent.max_total, agent.idle_since, 0.0, agent.id, version)

    def push(self, agent: AgentState, version: int) -> None:
        heapq.heappush(self.heap, self.entry(agent, version))

    def rebuild(self, entries: list[Entry]) -> None:
        """Replace the heap by exactly one current entry per offerable member (drops the outdated ones)."""
        heapq.heapify(entries)
        self.heap = entries

    def take(
        self,
        step: int,
        want: int,
        agents: Mapping[str, AgentState],
        versions: Mapping[str, int],
        routable: set[str],
    ) -> list[Entry]:
        """Pop up to `want` best current entries that qualify at `step`; the caller pushes back the unused."""
        heap, channel, out = self.heap, self.queue.channel, []
        while heap and len(out) < want:
            top = heap[0]
            agent_id = top[4]
            if (
                top[5] != versions[agent_id]
                or agent_id not in routable
                or not has_room(agents[agent_id], channel)
            ):
                heapq.heappop(heap)
            elif top[0] > step:
                break
            else:
                out.append(heapq.heappop(heap))
        return out

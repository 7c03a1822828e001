"""The agents able to serve one queue, ranked by the queue's strategy, in one lazily cleaned heap.

A queue's requirement is a ladder: step 0 is the queue's own skills/teams/language, and each overflow
step widens it (lower minimum levels, more teams). Widening accumulates, so an agent qualifying at step
k also qualifies at every later step; each member is stored with the first step it qualifies at.

Heap entries start with that step, so agents who meet the stricter requirement always come first and
a contact at step s simply stops at the first entry whose step exceeds s. Entries are never updated in
place: any change to an agent bumps its version; an agent whose rank may have improved gets a fresh
entry, one who only got worse is re-keyed when its entry surfaces, and entries of agents that are full
or not routable are dropped when they surface. Every operation stays O(log n).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from kefu.routing.state import AgentState, QueueConfig

NEUTRAL_QUALITY = 50.0  # unknown quality ranks as an average agent: neither rewarded nor punished

# (first qualifying step, k1, k2, k3, agent id, version); k1..k3 depend on the strategy.
Entry = tuple[int, float, float, float, str, int]


class Candidate(NamedTuple):
    """An agent as the strategy saw them when deciding: what a supervisor needs to see why.

    A named tuple rather than a frozen dataclass: as immutable, and four are built per decision.
    """

    agent: str
    score: float  # skill_first: skill match + quality/1000; idle_first: free share of the combined limit
    skill_match: float
    quality: float | None
    load: int
    idle_seconds: float
    overflow_step: int  # first step of the queue's ladder at which this agent qualifies


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
        for skill, level in self.min_levels.items():
            if skills.get(skill, 0) < level:
                return False
        return True


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
    if agent.capacity.get(channel, 0) < 1 or agent.max_total < 1 or not steps[-1].admits(agent):
        return None
    low, high = 0, len(steps) - 1  # steps are nested, so admission is monotone: bisect for the first
    while low < high:
        middle = (low + high) // 2
        if steps[middle].admits(agent):
            high = middle
        else:
            low = middle + 1
    return low


def skill_match(agent: AgentState, queue: QueueConfig) -> float:
    """Mean level over the queue's required skills (a missing skill counts 0); 0 when none required."""
    if not queue.skills:
        return 0.0
    return sum(agent.skills.get(skill, 0) for skill in queue.skills) / len(queue.skills)


class QueuePool:
    """Members of one queue (agent id → (qualifying step, skill match)) and their ranking heap.

    `live` maps each agent to the version of its one valid heap entry. An entry whose version differs
    from `live` is dead (superseded) and is dropped when it surfaces. A live entry older than the agent's
    current version belongs to an agent whose key only got worse (it took a contact), so it surfaces no
    later than it should and is re-keyed then: taking a contact costs no heap pushes.
    """

    __slots__ = ("queue", "steps", "afters", "members", "heap", "live")

    def __init__(self, queue: QueueConfig) -> None:
        self.queue = queue
        self.steps = ladder(queue)
        self.afters = tuple(step.after_seconds for step in queue.overflow)
        self.members: dict[str, tuple[int, float]] = {}
        self.heap: list[Entry] = []
        self.live: dict[str, int] = {}

    def entry(self, agent: AgentState, version: int) -> Entry:
        step, level = self.members[agent.id]
        if self.queue.strategy == "skill_first":
            quality = NEUTRAL_QUALITY if agent.quality is None else agent.quality
            return (step, -level, -quality, agent.idle_since, agent.id, version)
        return (step, agent.total_load / agent.max_total, agent.idle_since, 0.0, agent.id, version)

    def candidate(self, agent: AgentState, now: float, member: tuple[int, float] | None = None) -> Candidate:
        """The agent as this queue's strategy sees it; `member` overrides for a non-member (transfers)."""
        step, match = member or self.members[agent.id]
        if self.queue.strategy == "idle_first":
            score = 1.0 - agent.total_load / agent.max_total if agent.max_total else 0.0
        else:
            score = match + (NEUTRAL_QUALITY if agent.quality is None else agent.quality) / 1000
        idle = now - agent.idle_since
        return Candidate(
            agent.id, score, match, agent.quality, agent.total_load, idle if idle > 0 else 0.0, step
        )

    def push(self, entry: Entry) -> None:
        """Make `entry` its agent's live entry; any older one becomes dead."""
        heapq.heappush(self.heap, entry)
        self.live[entry[4]] = entry[5]
        if len(self.heap) > 2 * len(self.live) + 64:  # mostly dead entries: rebuild, amortised O(1)
            self.heap = [e for e in self.heap if self.live.get(e[4]) == e[5]]
            heapq.heapify(self.heap)

    def forget(self, agent_id: str) -> None:
        """The agent left the pool: its entries die."""
        self.members.pop(agent_id, None)
        self.live.pop(agent_id, None)

    def take(
        self,
        step: int,
        want: int,
        agents: Mapping[str, AgentState],
        versions: Mapping[str, int],
        open_ids: set[str],
    ) -> list[Entry]:
        """Pop up to `want` best offerable entries qualifying at `step`, best first.

        Outdated entries met on the way are dropped for good and stale ones re-keyed, which keeps the
        top of the heap clean; the caller pushes back the entries it does not use.
        """
        heap, live, out = self.heap, self.live, []
        pop = heapq.heappop
        while heap and len(out) < want:
            top = heap[0]
            agent_id = top[4]
            if live.get(agent_id) != top[5]:
                pop(heap)
            elif agent_id not in open_ids:
                pop(heap)
                del live[agent_id]
            elif top[5] != versions[agent_id]:
                fresh = self.entry(agents[agent_id], versions[agent_id])
                heapq.heapreplace(heap, fresh)
                live[agent_id] = fresh[5]
            elif top[0] > step:
                break
            else:
                out.append(pop(heap))
                del live[agent_id]
        return out

"""The routing engine (ACD): a snapshot of agents, queues and waiting contacts in, decisions out.

Pure and deterministic: no I/O, no clock (every call takes `now`), every tie broken by id, so a standby
rebuilding a `Router` from the database reaches the same decisions as the leader it replaces.

Two ways in:
- `route(snapshot, now)` — one full round: waiting contacts in priority order, each given the best agent
  its queue's strategy finds among those with free capacity, until capacity or contacts run out.
- a long-lived `Router` for the service's events: `offer` (a contact arrived), `release` (an agent
  finished one), `set_presence`, `upsert_agent`, `upsert_queue`, `withdraw`, `transfer_to_agent`, and a
  periodic `route(now)` for what only time changes (overflow steps, sticky holds running out).
  After every call no waiting contact can be given to any free agent, so an event only has to look at
  the contact or the agent it concerns.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from kefu.routing import presence
from kefu.routing.errors import (
    InvalidFieldError,
    UnknownAgentError,
    UnknownContactError,
    UnknownQueueError,
    UnknownSkillError,
)
from kefu.routing.ewt import QueueLoad, estimate_wait
from kefu.routing.index import SkillIndex
from kefu.routing.line import Key, WaitingLine
from kefu.routing.pool import Candidate, QueuePool, qualifying_step, skill_match
from kefu.routing.priority import DEFAULT_POLICY, PriorityPolicy, order_key, priority
from kefu.routing.state import CHANNELS, AgentState, Presence, QueueConfig, WaitingContact

RUNNERS_UP = 3
_HOLD = ("", "")  # sentinel: keep the contact waiting for its sticky agent
_STICKY_PRESENCE = frozenset({Presence.AVAILABLE, Presence.BUSY, Presence.AFTER_CONTACT_WORK})


@dataclass(frozen=True, slots=True)
class Snapshot:
    agents: tuple[AgentState, ...]
    queues: tuple[QueueConfig, ...]
    contacts: tuple[WaitingContact, ...] = ()
    surge: bool = False  # reserve agents are routed to only in surge mode
    skills: frozenset[str] | None = None  # the skill catalogue; None skips the check
    priority: PriorityPolicy = DEFAULT_POLICY


class Decision(NamedTuple):
    """One assignment and why (immutable; a named tuple because one is built per decision)."""

    contact: str
    agent: str
    queue: str
    channel: str
    strategy: str  # skill_first / idle_first / sticky / transfer
    reason: str  # skill_first, idle_first, overflow_step_<k>, sticky_last_agent, sticky_dedicated_agent, ...
    score: float
    chosen: Candidate
    runners_up: tuple[Candidate, ...]
    overflow_step: int  # the contact's step when decided
    priority: float
    waited: float
    decided_at: float


class Router:
    """In-memory routing state rebuilt from a snapshot: no I/O, no clock, deterministic."""

    def __init__(self, snapshot: Snapshot, now: float) -> None:
        self._skills = snapshot.skills
        self._check_skills(*(a.skills for a in snapshot.agents), *(q.skills for q in snapshot.queues))
        self._policy = snapshot.priority
        self._surge = snapshot.surge
        self._agents: dict[str, AgentState] = {}
        self._versions: dict[str, int] = {}
        self._routable: set[str] = set()
        # channel -> agents that may be offered one more contact there now (routable, with room)
        self._open: dict[str, set[str]] = {channel: set() for channel in CHANNELS}
        self._memberships: dict[str, set[str]] = {}
        self._acw: list[tuple[float, str]] = []
        self._queues: dict[str, QueueConfig] = {}
        self._index = SkillIndex()
        self._pools: dict[str, QueuePool] = {}
        self._waiting: dict[str, tuple[Key, WaitingContact]] = {}
        self._lines: dict[str, WaitingLine] = {}
        self._now = float("-inf")
        for agent in snapshot.agents:
            if agent.id in self._agents:
                raise InvalidFieldError("agents", f"duplicate agent id {agent.id!r}")
            self._agents[agent.id] = agent
            self._versions[agent.id] = 0
            self._memberships[agent.id] = set()
            self._index.add(agent)
        for queue in snapshot.queues:
            if queue.id in self._queues:
                raise InvalidFieldError("queues", f"duplicate queue id {queue.id!r}")
            self._install_queue(queue)
        self._tick(now)
        for agent in snapshot.agents:
            self._store(agent, now)
        for contact in snapshot.contacts:
            self._enqueue(contact)

    # ----- reading -----------------------------------------------------------------------------------

    def agent(self, agent_id: str) -> AgentState:
        try:
            return self._agents[agent_id]
        except KeyError:
            raise UnknownAgentError(agent_id) from None

    def queue(self, queue_id: str) -> QueueConfig:
        try:
            return self._queues[queue_id]
        except KeyError:
            raise UnknownQueueError(queue_id) from None

    def waiting(self, queue_id: str) -> list[WaitingContact]:
        """The queue's waiting contacts in service order (position 1 first)."""
        self.queue(queue_id)
        return [self._waiting[key[2]][1] for key in self._lines[queue_id].levels[0]]

    def position(self, contact_id: str) -> int:
        """1-based position of a waiting contact within its queue."""
        key, contact = self._entry(contact_id)
        return self._lines[contact.queue].position(key)

    def queue_load(self, queue_id: str) -> QueueLoad:
        """Slots serving the queue now, an agent's slots on the channel shared equally among its queues."""
        queue = self.queue(queue_id)
        slots = busy = 0.0
        for agent_id in self._pools[queue_id].members:
            agent = self._agents[agent_id]
            if agent_id not in self._routable:
                continue
            sharing = sum(1 for q in self._memberships[agent_id] if self._queues[q].channel == queue.channel)
            slots += min(agent.capacity[queue.channel], agent.max_total) / sharing
            busy += agent.load.get(queue.channel, 0) / sharing
        return QueueLoad(waiting=len(self._lines[queue_id]), slots=slots, busy=min(busy, slots))

    def estimated_wait(self, contact_id: str, aht_seconds: float) -> float | None:
        """EWT for a waiting contact from its position and its queue's load (see `ewt`)."""
        _, contact = self._entry(contact_id)
        return estimate_wait(self.position(contact_id), self.queue_load(contact.queue), aht_seconds)

    # ----- events ------------------------------------------------------------------------------------

    def route(self, now: float) -> list[Decision]:
        """One full round over every waiting contact, highest priority first."""
        self._tick(now)
        decisions = self._advance(now)
        # Within a round agents only lose room, so once a queue had no agent for step s, no later
        # contact of that queue at step <= s can find one: skip them without touching the heap.
        exhausted: dict[str, int] = {}
        for _, contact in sorted(self._waiting.values()):
            decision = self._route_contact(contact, now, exhausted)
            if decision is not None:
                decisions.append(decision)
        return decisions

    def offer(self, contact: WaitingContact, now: float) -> list[Decision]:
        """A contact joined a queue (new, or transferred with its original `enqueued_at`)."""
        if contact.id in self._waiting:
            raise InvalidFieldError("contact.id", f"{contact.id!r} is already waiting")
        self._tick(now)
        self._enqueue(contact)
        decisions = self._advance(now)
        if contact.id in self._waiting:
            decision = self._route_contact(contact, now, {})
            if decision is not None:
                decisions.append(decision)
        return decisions

    def withdraw(self, contact_id: str) -> WaitingContact:
        """The contact left the queue (abandoned, or served elsewhere)."""
        key, contact = self._entry(contact_id)
        self._dequeue(key, contact)
        return contact

    def release(self, agent_id: str, channel: str, now: float, acw_seconds: float = 0.0) -> list[Decision]:
        """The agent finished a contact on `channel`, optionally entering after-contact work."""
        self._tick(now)
        self._store(presence.release(self.agent(agent_id), channel, now, acw_seconds), now)
        return self._advance(now) + self._fill(agent_id, now)

    def set_presence(
        self, agent_id: str, target: Presence | str, now: float, reason: str | None = None
    ) -> list[Decision]:
        """The agent (or a supervisor) changed presence; refusals raise `TransitionError`/`CapacityError`."""
        self._tick(now)
        self._store(presence.change_presence(self.agent(agent_id), target, now, reason), now)
        return self._advance(now) + self._fill(agent_id, now)

    def auto_away(self, agent_id: str, now: float) -> None:
        """The agent's console disconnected: no new contacts until they come back."""
        self._tick(now)
        self._store(presence.auto_away(self.agent(agent_id), now), now)

    def set_surge(self, surge: bool, now: float) -> list[Decision]:
        """Surge mode on or off: reserve agents become routable or stop receiving contacts."""
        self._tick(now)
        self._surge = surge
        reserves = sorted(a for a, agent in self._agents.items() if agent.is_reserve)
        for agent_id in reserves:
            self._store(self._agents[agent_id], now)
        decisions = self._advance(now)
        for agent_id in reserves:
            decisions += self._fill(agent_id, now)
        return decisions

    def upsert_agent(self, agent: AgentState, now: float) -> list[Decision]:
        """An agent logged in or changed skills, languages, team or limits."""
        self._check_skills(agent.skills)
        self._tick(now)
        for open_ids in self._open.values():  # channels it no longer serves must forget it
            open_ids.discard(agent.id)
        for queue_id in self._memberships.get(agent.id, ()):
            self._pools[queue_id].forget(agent.id)
        if agent.id in self._agents:
            self._index.remove(self._agents[agent.id])
        self._index.add(agent)
        self._memberships[agent.id] = set()
        self._versions.setdefault(agent.id, 0)
        for queue in self._queues.values():
            self._admit(self._pools[queue.id], agent)
        self._store(agent, now)
        return self._advance(now) + self._fill(agent.id, now)

    def upsert_queue(self, queue: QueueConfig) -> None:
        """Add a queue or change one (strategy, skills, overflow, sticky) at run time.

        Takes effect on the next `route(now)`, which the caller runs right after.
        """
        self._check_skills(queue.skills)
        old = self._queues.get(queue.id)
        if old is not None and old.channel != queue.channel and self._lines[queue.id]:
            raise InvalidFieldError("queue.channel", "cannot change while contacts are waiting")
        if old is not None:
            for agent_id in self._pools[queue.id].members:
                self._memberships[agent_id].discard(queue.id)
        self._install_queue(queue)

    def transfer_to_agent(self, contact: WaitingContact, agent_id: str, now: float) -> Decision:
        """A person hands the contact to a named agent: capacity is checked, skills are not (their call).

        The contact may be waiting (it leaves its queue) or held by another agent, whom the caller
        releases; the decision records reason `transfer_to_agent`.
        """
        queue = self.queue(contact.queue)
        agent = self.agent(agent_id)
        self._tick(now)
        member = self._pools[queue.id].members.get(agent_id, (0, skill_match(agent, queue)))
        chosen = self._pools[queue.id].candidate(agent, now, member)
        return self._commit(contact, agent_id, ("transfer", "transfer_to_agent"), chosen, (), now, 0)

    # ----- internals ---------------------------------------------------------------------------------

    def _check_skills(self, *named: Iterable[str]) -> None:
        """Every skill an agent or a queue names must be in the catalogue, when the snapshot gave one."""
        if self._skills is None:
            return
        for skills in named:
            for skill in sorted(set(skills) - self._skills):
                raise UnknownSkillError(skill)

    def _tick(self, now: float) -> None:
        """Time only moves forward: overflow levels promoted at `now` cannot be taken back."""
        if not math.isfinite(now) or now < self._now:
            raise InvalidFieldError("now", f"{now} is not finite or earlier than the last call ({self._now})")
        self._now = now

    def _entry(self, contact_id: str) -> tuple[Key, WaitingContact]:
        try:
            return self._waiting[contact_id]
        except KeyError:
            raise UnknownContactError(contact_id) from None

    def _install_queue(self, queue: QueueConfig) -> None:
        pool = QueuePool(queue)
        self._queues[queue.id] = queue
        self._pools[queue.id] = pool
        old = self._lines.get(queue.id)
        self._lines[queue.id] = WaitingLine(pool.afters, old.levels[0] if old else None)
        for agent_id in self._index.candidates(queue.channel, pool.steps[-1]):
            agent = self._agents[agent_id]
            if self._admit(pool, agent) and agent_id in self._open[queue.channel]:
                pool.push(pool.entry(agent, self._versions[agent_id]))

    def _admit(self, pool: QueuePool, agent: AgentState) -> bool:
        step = qualifying_step(agent, pool.steps, pool.queue.channel)
        if step is None:
            return False
        pool.members[agent.id] = (step, skill_match(agent, pool.queue))
        self._memberships[agent.id].add(pool.queue.id)
        return True

    def _enqueue(self, contact: WaitingContact) -> None:
        queue = self.queue(contact.queue)
        if contact.channel != queue.channel:
            raise InvalidFieldError(
                "contact.channel", f"{contact.channel!r} does not match queue {queue.id!r}"
            )
        if contact.id in self._waiting:
            raise InvalidFieldError("contacts", f"duplicate contact id {contact.id!r}")
        key = order_key(contact, self._policy)
        self._waiting[contact.id] = (key, contact)
        self._lines[contact.queue].add(key)

    def _dequeue(self, key: Key, contact: WaitingContact) -> None:
        del self._waiting[contact.id]
        self._lines[contact.queue].remove(key)

    def _store(self, agent: AgentState, now: float, worse: bool = False) -> None:
        """Record a new state of the agent and offer it to its queues.

        `worse` says the change can only lower the agent's rank (it took a contact): every pool still
        holding a live entry re-keys it lazily (see `QueuePool`), so nothing is pushed here. That needs
        the agent to have been routable already (a transfer may hand work to one just out of wrap-up).
        """
        worse = worse and agent.id in self._routable
        self._agents[agent.id] = agent
        self._versions[agent.id] += 1
        if agent.presence is Presence.AFTER_CONTACT_WORK and agent.acw_until is not None:
            heapq.heappush(self._acw, (agent.acw_until, agent.id))
        acw = agent.presence is Presence.AFTER_CONTACT_WORK
        routable = not acw and presence.is_routable(agent, now, self._surge)
        for channel in agent.capacity:
            if routable and presence.has_room(agent, channel):
                self._open[channel].add(agent.id)
            else:
                self._open[channel].discard(agent.id)
        if not routable:
            self._routable.discard(agent.id)
            return
        self._routable.add(agent.id)
        if worse:
            return
        version = self._versions[agent.id]
        for queue_id in self._memberships[agent.id]:  # one push per pool: the order cannot matter
            pool = self._pools[queue_id]
            if agent.id in self._open[pool.queue.channel]:
                pool.push(pool.entry(agent, version))

    def _advance(self, now: float) -> list[Decision]:
        """End after-contact work whose timer ran out, and give those agents work."""
        decisions: list[Decision] = []
        while self._acw and self._acw[0][0] <= now:
            until, agent_id = heapq.heappop(self._acw)
            agent = self._agents.get(agent_id)
            if agent is None or agent.presence is not Presence.AFTER_CONTACT_WORK or agent.acw_until != until:
                continue  # the timer was replaced or the agent moved on
            self._store(presence.expire_after_contact_work(agent, now), now)
            decisions += self._fill(agent_id, now)
        return decisions

    def _sticky(
        self, contact: WaitingContact, pool: QueuePool, step: int, waited: float
    ) -> tuple[str, str] | None:
        """(agent, reason) to assign to the sticky agent, `_HOLD` to keep waiting for them, or None."""
        sticky = pool.queue.sticky
        targets = (
            (contact.dedicated_agent, sticky.dedicated_agent_wait, "sticky_dedicated_agent"),
            (contact.last_agent, sticky.last_agent_wait, "sticky_last_agent"),
        )
        active = [(a, wait, reason) for a, wait, reason in targets if a is not None and wait is not None]
        for agent_id, _, reason in active:
            member = pool.members.get(agent_id)
            if member is not None and member[0] <= step and self._offerable(agent_id, pool.queue.channel):
                return agent_id, reason
        for agent_id, wait, _ in active:
            if waited < wait and agent_id in pool.members and self._may_come_back(self._agents[agent_id]):
                return _HOLD
        return None

    def _may_come_back(self, agent: AgentState) -> bool:
        """Worth holding a contact for: logged in and, if a reserve, in surge mode."""
        return agent.presence in _STICKY_PRESENCE and (self._surge or not agent.is_reserve)

    def _offerable(self, agent_id: str, channel: str) -> bool:
        return agent_id in self._open[channel]

    def _route_contact(
        self, contact: WaitingContact, now: float, exhausted: dict[str, int]
    ) -> Decision | None:
        """Route one waiting contact: its sticky agent if due, else the best agent of its queue."""
        pool = self._pools[contact.queue]
        waited = now - contact.enqueued_at
        step = bisect_right(pool.afters, waited)
        if exhausted.get(contact.queue, -1) >= step:  # no open member qualifies, sticky agents included
            return None
        if contact.last_agent is not None or contact.dedicated_agent is not None:
            sticky = self._sticky(contact, pool, step, waited)
            if sticky is _HOLD:
                return None
            if sticky is not None:
                agent_id, reason = sticky
                chosen = pool.candidate(self._agents[agent_id], now)
                return self._commit(contact, agent_id, ("sticky", reason), chosen, (), now, step)
        decision = self._assign_best(contact, pool, step, now)
        if decision is None:
            exhausted[contact.queue] = step
        return decision

    def _assign_best(
        self, contact: WaitingContact, pool: QueuePool, step: int, now: float
    ) -> Decision | None:
        open_ids = self._open[pool.queue.channel]
        taken = pool.take(step, 1 + RUNNERS_UP, self._agents, self._versions, open_ids)
        if not taken:
            return None
        for entry in taken[1:]:
            pool.push(entry)
        chosen, *others = [pool.candidate(self._agents[entry[4]], now) for entry in taken]
        why = (pool.queue.strategy, f"overflow_step_{chosen.overflow_step}" if chosen.overflow_step else "")
        decision = self._commit(contact, chosen.agent, why, chosen, tuple(others), now, step)
        if chosen.agent in open_ids:  # its entry here was popped, not left to re-key: put it back
            pool.push(pool.entry(self._agents[chosen.agent], self._versions[chosen.agent]))
        return decision

    def _fill(self, agent_id: str, now: float) -> list[Decision]:
        """Give a newly free agent the best waiting contacts it may serve, while it has room."""
        decisions: list[Decision] = []
        while agent_id in self._routable:
            found = self._best_contact_for(agent_id, now)
            if found is None:
                break
            contact, pool, why = found
            chosen = pool.candidate(self._agents[agent_id], now)
            step = bisect_right(pool.afters, now - contact.enqueued_at)
            decisions.append(self._commit(contact, agent_id, why, chosen, (), now, step))
        return decisions

    def _best_contact_for(
        self, agent_id: str, now: float
    ) -> tuple[WaitingContact, QueuePool, tuple[str, str]] | None:
        agent = self._agents[agent_id]
        best: tuple[Key, WaitingContact, QueuePool, tuple[str, str]] | None = None
        for queue_id in self._memberships[agent_id]:  # keys are unique, so the order cannot matter
            pool = self._pools[queue_id]
            if not presence.has_room(agent, pool.queue.channel):
                continue
            qualifying = pool.members[agent_id][0]
            for key in self._lines[queue_id].at_step(qualifying, now):
                if best is not None and key >= best[0]:
                    break
                contact = self._waiting[key[2]][1]
                why = self._why_for(contact, pool, agent_id, qualifying, now)
                if why is not None:
                    best = (key, contact, pool, why)
                    break
        return None if best is None else best[1:]

    def _why_for(
        self, contact: WaitingContact, pool: QueuePool, agent_id: str, qualifying: int, now: float
    ) -> tuple[str, str] | None:
        """(strategy, reason) if this agent may take the contact now; None if it is held for someone else."""
        if contact.last_agent is not None or contact.dedicated_agent is not None:
            waited = now - contact.enqueued_at
            sticky = self._sticky(contact, pool, bisect_right(pool.afters, waited), waited)
            if sticky is _HOLD or (sticky is not None and sticky[0] != agent_id):
                return None
            if sticky is not None:
                return ("sticky", sticky[1])
        return (pool.queue.strategy, f"overflow_step_{qualifying}" if qualifying else "")

    def _commit(
        self,
        contact: WaitingContact,
        agent_id: str,
        why: tuple[str, str],
        chosen: Candidate,
        runners_up: tuple[Candidate, ...],
        now: float,
        step: int,
    ) -> Decision:
        self._store(
            presence.assign(self._agents[agent_id], contact.channel, now, self._surge), now, worse=True
        )
        if contact.id in self._waiting:
            self._dequeue(*self._waiting[contact.id])
        strategy, reason = why
        return Decision(
            contact=contact.id,
            agent=agent_id,
            queue=contact.queue,
            channel=contact.channel,
            strategy=strategy,
            reason=reason or strategy,
            score=chosen.score,
            chosen=chosen,
            runners_up=runners_up,
            overflow_step=step,
            priority=priority(contact, now, self._policy),
            waited=max(0.0, now - contact.enqueued_at),
            decided_at=now,
        )


def route(snapshot: Snapshot, now: float) -> list[Decision]:
    """Decide one full round for a snapshot: as many contacts as capacity allows, highest priority first."""
    return Router(snapshot, now).route(now)

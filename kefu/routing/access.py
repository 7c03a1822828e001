"""Routing reads: queue status with estimated wait time, a waiting contact's position, decision history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.models import User
from kefu.core.errors import NotFound
from kefu.routing.engine import Router
from kefu.routing.ewt import estimate_wait, recent_aht
from kefu.routing.models import (
    AgentPresence,
    AgentProfile,
    AgentSkill,
    Queue,
    QueueEntry,
    RoutingDecision,
    Skill,
)
from kefu.routing.pool import ladder
from kefu.routing.snapshot import HELD, agent_states, load_snapshot, queue_config, seconds

DEFAULT_AHT_SECONDS = {"voice": 300.0, "email": 900.0}  # until the queue has its own history
CHAT_AHT_SECONDS = 480.0


@dataclass(frozen=True)
class QueueStatus:
    code: str
    name: str
    channel: str
    strategy: str
    waiting: int
    longest_wait_seconds: float
    serving_slots: float
    ewt_seconds: float | None  # for a contact joining now; None when nobody serves the queue


@dataclass(frozen=True)
class Position:
    entry_id: int
    queue: str
    position: int
    ewt_seconds: float | None


def _aht(session: Session, queue: Queue, now: datetime) -> float:
    rows = session.execute(
        select(QueueEntry.decided_at, QueueEntry.ended_at)
        .where(
            QueueEntry.queue_id == queue.id,
            QueueEntry.status == "released",
            QueueEntry.ended_at > now - timedelta(days=1),
        )
        .order_by(QueueEntry.ended_at.desc())
        .limit(50)
    ).all()
    durations = [max((end - start).total_seconds(), 1.0) for start, end in reversed(rows) if start and end]
    if durations:
        return recent_aht(durations)
    return DEFAULT_AHT_SECONDS.get(queue.channel, CHAT_AHT_SECONDS)


def queue_statuses(session: Session, now: datetime) -> list[QueueStatus]:
    router = Router(load_snapshot(session), seconds(now))
    statuses = []
    for queue in session.scalars(select(Queue).order_by(Queue.code)):
        waiting = router.waiting(queue.code)
        load = router.queue_load(queue.code)
        statuses.append(
            QueueStatus(
                code=queue.code,
                name=queue.name,
                channel=queue.channel,
                strategy=queue.strategy,
                waiting=len(waiting),
                longest_wait_seconds=max((seconds(now) - c.enqueued_at for c in waiting), default=0.0),
                serving_slots=load.slots,
                ewt_seconds=estimate_wait(len(waiting) + 1, load, _aht(session, queue, now)),
            )
        )
    return statuses


def entry_position(session: Session, entry_id: int, now: datetime) -> Position:
    entry = session.get(QueueEntry, entry_id)
    found = positions_of(session, entry.contact_kind, [entry.contact_id], now) if entry else {}
    if entry is None or entry.contact_id not in found:
        raise NotFound(f"waiting contact {entry_id} not found")
    return found[entry.contact_id]


def decisions_for_contact(session: Session, contact_kind: str, contact_id: int) -> Sequence[RoutingDecision]:
    return session.scalars(
        select(RoutingDecision)
        .join(QueueEntry, QueueEntry.id == RoutingDecision.entry_id)
        .where(QueueEntry.contact_kind == contact_kind, QueueEntry.contact_id == contact_id)
        .order_by(RoutingDecision.id)
    ).all()


def agent_team(session: Session, agent_id: int) -> int | None:
    return session.scalar(select(User.team_id).where(User.id == agent_id))


def assigned_entry_in_scope(session: Session, actor: Actor, entry_id: int) -> QueueEntry:
    """The contact's current agent, their team lead, or a supervisor may transfer it; others see 404."""
    entry = session.get(QueueEntry, entry_id)
    visible = (
        entry is not None
        and entry.status == "assigned"
        and (
            actor.role in ("supervisor", "admin")
            or entry.agent_id == actor.user_id
            or (actor.role == "team_lead" and agent_team(session, entry.agent_id or 0) == actor.team_id)
        )
    )
    if not visible:
        raise NotFound(f"assigned contact {entry_id} not found")
    return entry


def positions_of(
    session: Session, contact_kind: str, contact_ids: Sequence[int], now: datetime
) -> dict[int, Position]:
    """Position and EWT of each of these contacts that is waiting, from one snapshot (for pushing updates)."""
    entries = session.scalars(
        select(QueueEntry).where(
            QueueEntry.contact_kind == contact_kind,
            QueueEntry.contact_id.in_(contact_ids),
            QueueEntry.status == "waiting",
        )
    ).all()
    if not entries:
        return {}
    router = Router(load_snapshot(session), seconds(now))
    queues = {
        q.id: q for q in session.scalars(select(Queue).where(Queue.id.in_({e.queue_id for e in entries})))
    }
    aht = {queue_id: _aht(session, queue, now) for queue_id, queue in queues.items()}
    found = {}
    for entry in entries:
        queue = queues[entry.queue_id]
        position = router.position(str(entry.id))
        ewt = estimate_wait(position, router.queue_load(queue.code), aht[entry.queue_id])
        found[entry.contact_id] = Position(entry.id, queue.code, position, ewt)
    return found


def queues_served_by(session: Session, agent_id: int) -> list[int]:
    """The queues whose own requirement (skills, language, team; before any overflow) the agent meets."""
    agent = agent_states(session, [agent_id]).get(agent_id)
    if agent is None:
        return []
    queues = session.scalars(select(Queue).order_by(Queue.id)).all()
    return [q.id for q in queues if ladder(queue_config(q))[0].admits(agent)]


# Reads for the agent console (kefu.web.console): presence, waiting counts, offers, transfer targets.


def presence_row(session: Session, user_id: int) -> AgentPresence | None:
    """The agent's presence as routing recorded it (None when routing has never seen them)."""
    return session.get(AgentPresence, user_id)


def count_waiting(session: Session, queue_ids: list[int] | None) -> int:
    """Contacts (conversations and tickets) waiting in routing's queues now (None: in every queue)."""
    query = select(func.count()).where(QueueEntry.status == "waiting")
    if queue_ids is not None:
        query = query.where(QueueEntry.queue_id.in_(queue_ids))
    return session.scalar(query) or 0


def open_entry_for_contact(session: Session, contact_kind: str, contact_id: int) -> QueueEntry | None:
    """The contact's current stay in a queue: waiting, offered or assigned (None once it ended)."""
    return session.scalar(
        select(QueueEntry)
        .where(
            QueueEntry.contact_kind == contact_kind,
            QueueEntry.contact_id == contact_id,
            QueueEntry.status.in_(("waiting", "offered", "assigned")),
        )
        .order_by(QueueEntry.id.desc())
        .limit(1)
    )


def offers_for_agent(session: Session, agent_id: int, *, limit: int = 20) -> Sequence[QueueEntry]:
    """Contacts offered to the agent and not yet accepted or declined, oldest offer first."""
    return session.scalars(
        select(QueueEntry)
        .where(QueueEntry.agent_id == agent_id, QueueEntry.status == "offered")
        .order_by(QueueEntry.decided_at, QueueEntry.id)
        .limit(limit)
    ).all()


@dataclass(frozen=True)
class TransferAgent:
    user_id: int
    name: str


def transfer_agents(session: Session, *, exclude: int | None = None) -> list[TransferAgent]:
    """Active agents routing can assign to (those with a routing profile), by name."""
    rows = session.execute(
        select(User.id, User.display_name)
        .join(AgentProfile, AgentProfile.user_id == User.id)
        .where(User.is_active, User.id != (exclude or 0))
        .order_by(User.display_name)
    )
    return [TransferAgent(user_id, name) for user_id, name in rows]


def list_queues(session: Session) -> Sequence[Queue]:
    return session.scalars(select(Queue).order_by(Queue.name)).all()


def queue_name(session: Session, queue_id: int | None) -> str | None:
    """A queue's display name (None for no queue)."""
    return None if queue_id is None else session.scalar(select(Queue.name).where(Queue.id == queue_id))


def list_skills(session: Session) -> Sequence[Skill]:
    return session.scalars(select(Skill).order_by(Skill.kind, Skill.code)).all()


def skill_holders(session: Session) -> dict[int, list[tuple[int, int]]]:
    """Per skill id: (user id, level) of the agents holding it, highest level first."""
    held: dict[int, list[tuple[int, int]]] = {}
    query = select(AgentSkill.skill_id, AgentSkill.user_id, AgentSkill.level)
    query = query.order_by(AgentSkill.level.desc())
    for skill_id, user_id, level in session.execute(query):
        held.setdefault(skill_id, []).append((user_id, level))
    return held


@dataclass(frozen=True)
class AgentOnBoard:
    user_id: int
    name: str
    presence: AgentPresence | None  # None: routing has never seen the agent (offline)
    contacts: int  # offered or assigned to the agent now


def agents_on_board(session: Session, actor: Actor) -> list[AgentOnBoard]:
    """The active agents routing knows (those with a routing profile) in the actor's reach (a team lead:
    the team), with their recorded presence and the contacts they hold now."""
    query = (
        select(User.id, User.display_name, AgentPresence)
        .join(AgentProfile, AgentProfile.user_id == User.id)
        .outerjoin(AgentPresence, AgentPresence.user_id == User.id)
        .where(User.is_active)
    )
    if actor.role == "team_lead":
        query = query.where(User.team_id == actor.team_id)
    held = {
        agent_id: count
        for agent_id, count in session.execute(
            select(QueueEntry.agent_id, func.count())
            .where(QueueEntry.status.in_(HELD), QueueEntry.agent_id.is_not(None))
            .group_by(QueueEntry.agent_id)
        )
    }
    return [
        AgentOnBoard(user_id, name, row, held.get(user_id, 0))
        for user_id, name, row in session.execute(query)
    ]


@dataclass(frozen=True)
class RoutingProfile:
    """What routing knows of an agent, as an admin edits it (None where the agent has no profile yet)."""

    skills: dict[str, int]  # skill code -> level
    channel_capacity: dict[str, int]
    max_concurrent: int
    languages: list[str]


def routing_profiles(session: Session, user_ids: Sequence[int]) -> dict[int, RoutingProfile]:
    """The routing profiles of these users (those without one are left out)."""
    held: dict[int, dict[str, int]] = {}
    skills = select(AgentSkill.user_id, Skill.code, AgentSkill.level)
    skills = skills.join(Skill, Skill.id == AgentSkill.skill_id)
    for user_id, code, level in session.execute(skills.where(AgentSkill.user_id.in_(user_ids))):
        held.setdefault(user_id, {})[code] = level
    profiles = session.scalars(select(AgentProfile).where(AgentProfile.user_id.in_(user_ids)))
    return {
        p.user_id: RoutingProfile(
            held.get(p.user_id, {}), dict(p.channel_capacity), p.max_concurrent, list(p.languages)
        )
        for p in profiles
    }

"""Build the engine's snapshot from the database, so any process (a standby too) can rebuild routing state.

Engine ids are strings: agents are user ids, queues are queue codes, contacts are queue-entry ids.
Times cross the boundary as POSIX seconds.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kefu.access.models import User
from kefu.access.roles import Role
from kefu.routing.engine import Snapshot
from kefu.routing.models import AgentPresence, AgentProfile, AgentSkill, Queue, QueueEntry, Skill
from kefu.routing.state import AgentState, OverflowStep, Presence, QueueConfig, StickyPolicy, WaitingContact

HELD = ("offered", "assigned")  # entries that occupy an agent's capacity


def seconds(value: datetime) -> float:
    return value.timestamp()


def queue_config(queue: Queue) -> QueueConfig:
    sticky = queue.sticky or {}
    return QueueConfig(
        id=queue.code,
        channel=queue.channel,
        skills={r["skill"]: r["min_level"] for r in queue.required_skills},
        language=queue.language,
        strategy=queue.strategy,
        teams=frozenset({str(queue.team_id)}) if queue.team_id else frozenset(),
        sticky=StickyPolicy(sticky.get("dedicated_agent_wait"), sticky.get("last_agent_wait")),
        overflow=tuple(
            OverflowStep(
                s["after_seconds"], s.get("min_level"), frozenset(str(t) for t in s.get("teams", []))
            )
            for s in queue.overflow_steps
        ),
    )


def agent_states(session: Session, user_ids: list[int] | None = None) -> dict[int, AgentState]:
    """Agents with a routing profile, their skills, presence and current load."""
    query = (
        select(User, AgentProfile, AgentPresence)
        .join(AgentProfile, AgentProfile.user_id == User.id)
        .outerjoin(AgentPresence, AgentPresence.user_id == User.id)
        .where(User.is_active, User.role.in_([Role.agent.value, Role.team_lead.value]))
    )
    if user_ids is not None:
        query = query.where(User.id.in_(user_ids))
    rows = session.execute(query).all()
    ids = [user.id for user, _, _ in rows]
    skills: dict[int, dict[str, int]] = defaultdict(dict)
    for user_id, code, level in session.execute(
        select(AgentSkill.user_id, Skill.code, AgentSkill.level)
        .join(Skill, Skill.id == AgentSkill.skill_id)
        .where(AgentSkill.user_id.in_(ids))
    ):
        skills[user_id][code] = level
    load: dict[int, dict[str, int]] = defaultdict(dict)
    for agent_id, channel, count in session.execute(
        select(QueueEntry.agent_id, QueueEntry.channel, func.count())
        .where(QueueEntry.status.in_(HELD), QueueEntry.agent_id.in_(ids))
        .group_by(QueueEntry.agent_id, QueueEntry.channel)
    ):
        load[agent_id][channel] = count
    return {
        user.id: _agent_state(user, profile, presence, skills[user.id], load[user.id])
        for user, profile, presence in rows
    }


def _agent_state(
    user: User,
    profile: AgentProfile,
    presence: AgentPresence | None,
    skills: dict[str, int],
    load: dict[str, int],
) -> AgentState:
    state = Presence(presence.state) if presence else Presence.OFFLINE
    capacity = dict(profile.channel_capacity)
    # Load the agent holds beyond a since-lowered capacity still counts; routing simply adds no more.
    for channel, n in load.items():
        capacity[channel] = max(capacity.get(channel, 0), n)
    return AgentState(
        id=str(user.id),
        team=str(user.team_id or ""),
        skills=skills,
        presence=state,
        capacity=capacity,
        max_total=max(profile.max_concurrent, sum(load.values())),
        load=load,
        languages=frozenset(profile.languages),
        idle_since=seconds(presence.idle_since) if presence else 0.0,
        quality=profile.quality_score,
        is_reserve=profile.is_reserve,
        break_reason=presence.break_reason if presence else None,
        acw_until=seconds(presence.acw_until) if presence and presence.acw_until else None,
    )


def waiting_contact(entry: QueueEntry, queue_code: str) -> WaitingContact:
    return WaitingContact(
        id=str(entry.id),
        queue=queue_code,
        channel=entry.channel,
        enqueued_at=seconds(entry.enqueued_at),
        tier=entry.tier,
        ticket_type=entry.ticket_type,
        severity=entry.severity,
        urgency=entry.urgency,
        last_agent=str(entry.last_agent_id) if entry.last_agent_id else None,
        dedicated_agent=str(entry.dedicated_agent_id) if entry.dedicated_agent_id else None,
    )


def load_snapshot(session: Session, surge: bool = False) -> Snapshot:
    queues = session.scalars(select(Queue).order_by(Queue.code)).all()
    codes = {q.id: q.code for q in queues}
    entries = session.scalars(
        select(QueueEntry).where(QueueEntry.status == "waiting").order_by(QueueEntry.id)
    ).all()
    return Snapshot(
        agents=tuple(agent_states(session).values()),
        queues=tuple(queue_config(q) for q in queues),
        contacts=tuple(waiting_contact(e, codes[e.queue_id]) for e in entries),
        surge=surge,
        skills=frozenset(session.scalars(select(Skill.code))),
    )

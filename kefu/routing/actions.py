"""Routing writers: queue contacts, run routing rounds, offers, releases, transfers, presence, strategy.

The engine decides (pure); these functions load its snapshot, claim rows and record every decision with
its reason, then publish events after commit. State lives only in the database, so a standby rebuilds it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from kefu.access.models import User
from kefu.access.roles import Role
from kefu.core import i18n
from kefu.core.errors import Conflict, InvalidInput, NotFound
from kefu.core.events import Event, send_event_on_commit
from kefu.routing import presence as presence_rules
from kefu.routing.engine import Decision, Router
from kefu.routing.errors import UnknownSkillError
from kefu.routing.models import (
    AgentPresence,
    AgentProfile,
    AgentSkill,
    Queue,
    QueueEntry,
    RoutingDecision,
    Skill,
)
from kefu.routing.pool import Candidate
from kefu.routing.snapshot import agent_states, load_snapshot, queue_config, seconds
from kefu.routing.state import STRATEGIES, AgentState, Presence, check_routing_profile

WALLBOARD = None  # events for everyone watching queues (wallboards, queue counters)

# What the owning domain does, in the same transaction, when routing gives it an agent:
# (session, contact id, agent id, now). Domains register here, so routing never imports them.
ContactAssigned = Callable[[Session, int, int, datetime], None]
_assignment_hooks: dict[str, ContactAssigned] = {}


def on_contact_assigned(contact_kind: str, hook: ContactAssigned) -> None:
    """Register the domain that owns `contact_kind` (e.g. channels for "conversation")."""
    _assignment_hooks[contact_kind] = hook


def _assigned(session: Session, entry: QueueEntry, now: datetime) -> None:
    hook = _assignment_hooks.get(entry.contact_kind)
    if hook is not None and entry.agent_id is not None:
        hook(session, entry.contact_id, entry.agent_id, now)


def queue_by_code(session: Session, code: str) -> Queue:
    queue = session.scalar(select(Queue).where(Queue.code == code))
    if queue is None:
        raise NotFound(f"unknown queue {code!r}", code="unknown_queue")
    return queue


def do_enqueue(
    session: Session,
    *,
    contact_kind: str,
    contact_id: int,
    queue_code: str,
    now: datetime,
    customer_id: int | None = None,
    tier: str = "active",
    ticket_type: str | None = None,
    severity: str = "normal",
    urgency: int = 0,
    last_agent_id: int | None = None,
    dedicated_agent_id: int | None = None,
) -> QueueEntry:
    queue = queue_by_code(session, queue_code)
    open_entry = session.scalar(
        select(QueueEntry.id).where(
            QueueEntry.contact_kind == contact_kind,
            QueueEntry.contact_id == contact_id,
            QueueEntry.status.in_(("waiting", "offered", "assigned")),
        )
    )
    if open_entry is not None:
        raise Conflict(f"{contact_kind} {contact_id} is already queued or assigned", code="already_queued")
    entry = QueueEntry(
        contact_kind=contact_kind,
        contact_id=contact_id,
        queue_id=queue.id,
        channel=queue.channel,
        customer_id=customer_id,
        tier=tier,
        ticket_type=ticket_type,
        severity=severity,
        urgency=urgency,
        last_agent_id=last_agent_id,
        dedicated_agent_id=dedicated_agent_id,
        status="waiting",
        enqueued_at=now,
    )
    session.add(entry)
    session.flush()
    send_event_on_commit(
        session, Event("routing.queued", {"entry": entry.id, "queue": queue.code}, WALLBOARD)
    )
    return entry


def _candidate_json(candidate: Candidate) -> dict[str, Any]:
    return {"agent": int(candidate.agent), "score": round(candidate.score, 4)}


def _record(
    session: Session, entry_id: int, decision: Decision, now: datetime, kind: str = "assignment"
) -> None:
    session.add(
        RoutingDecision(
            entry_id=entry_id,
            kind=kind,
            agent_id=int(decision.agent),
            strategy=decision.strategy,
            reason=decision.reason,
            score=decision.score,
            runners_up=[_candidate_json(c) for c in decision.runners_up],
            detail={
                "priority": decision.priority,
                "waited_seconds": round(decision.waited, 3),
                "overflow_step": decision.overflow_step,
            },
            decided_at=now,
        )
    )


def _save_presence(session: Session, agent: AgentState, now: datetime) -> None:
    row = session.get(AgentPresence, int(agent.id))
    values = {
        "state": agent.presence.value,
        "break_reason": agent.break_reason,
        "idle_since": datetime.fromtimestamp(agent.idle_since, now.tzinfo),
        "acw_until": datetime.fromtimestamp(agent.acw_until, now.tzinfo) if agent.acw_until else None,
    }
    if row is None:
        session.add(AgentPresence(user_id=int(agent.id), since=now, **values))
        return
    if row.state != values["state"]:
        row.since = now
    for key, value in values.items():
        setattr(row, key, value)


def round_has_work(session: Session, now: datetime, surge: bool = False) -> bool:
    """Whether a routing round would change anything: a contact to give to an agent, or an after-contact-work
    timer run out. It only reads, so the leader can ask in a read transaction and take the write lock (on
    SQLite, the one lock every chat message's commit needs too) only for rounds that write."""
    snapshot = load_snapshot(session, surge)
    if Router(snapshot, seconds(now)).route(seconds(now)):
        return True
    return any(
        agent.presence is Presence.AFTER_CONTACT_WORK
        and presence_rules.expire_after_contact_work(agent, seconds(now)).presence
        is not Presence.AFTER_CONTACT_WORK
        for agent in snapshot.agents
    )


def route_waiting(session: Session, now: datetime, surge: bool = False) -> list[QueueEntry]:
    """One routing round: give waiting contacts to free agents, recording why; returns the entries claimed."""
    snapshot = load_snapshot(session, surge)
    router = Router(snapshot, seconds(now))
    requires_acceptance = {
        code: flag for code, flag in session.execute(select(Queue.code, Queue.requires_acceptance))
    }
    claimed: list[QueueEntry] = []
    for decision in router.route(seconds(now)):
        status = "offered" if requires_acceptance.get(decision.queue) else "assigned"
        won = session.execute(
            update(QueueEntry)
            .where(QueueEntry.id == int(decision.contact), QueueEntry.status == "waiting")
            .values(status=status, agent_id=int(decision.agent), decided_at=now)
        ).rowcount
        if not won:
            continue  # withdrawn or abandoned since the snapshot was read
        _record(session, int(decision.contact), decision, now)
        _save_presence(session, router.agent(decision.agent), now)
        entry = session.get(QueueEntry, int(decision.contact))
        claimed.append(entry)
        if status == "assigned":
            _assigned(session, entry, now)
        send_event_on_commit(
            session,
            Event(
                f"routing.{status}",
                {
                    "entry": entry.id,
                    "contact_kind": entry.contact_kind,
                    "contact_id": entry.contact_id,
                    "queue": decision.queue,
                    "agent": int(decision.agent),
                    "reason": decision.reason,
                },
                recipients=(int(decision.agent),),
            ),
        )
    _end_expired_after_contact_work(session, snapshot.agents, {int(e.agent_id) for e in claimed}, now)
    return claimed


def _end_expired_after_contact_work(
    session: Session, agents: tuple[AgentState, ...], skip: set[int], now: datetime
) -> None:
    """Show agents whose after-contact-work timer ran out as available again (the engine already routes
    to them); agents given a contact in this round were saved with their new state already."""
    for agent in agents:
        if agent.presence is Presence.AFTER_CONTACT_WORK and int(agent.id) not in skip:
            expired = presence_rules.expire_after_contact_work(agent, seconds(now))
            if expired.presence is not Presence.AFTER_CONTACT_WORK:
                _save_presence(session, expired, now)


def _entry_for_agent(session: Session, entry_id: int, agent_id: int, status: str) -> QueueEntry:
    entry = session.get(QueueEntry, entry_id)
    if entry is None or entry.agent_id != agent_id:
        raise NotFound(f"offer {entry_id} not found", code="unknown_offer")
    if entry.status != status:
        raise Conflict(f"offer {entry_id} is {entry.status}, not {status}", code="offer_not_open")
    return entry


def _answer_offer(session: Session, entry_id: int, agent_id: int, values: dict[str, Any]) -> QueueEntry:
    """Exactly one answer wins: the row changes only while it is still an open offer to this agent."""
    entry = _entry_for_agent(session, entry_id, agent_id, "offered")
    won = session.execute(
        update(QueueEntry)
        .where(QueueEntry.id == entry_id, QueueEntry.status == "offered", QueueEntry.agent_id == agent_id)
        .values(**values)
    ).rowcount
    if not won:
        raise Conflict(f"offer {entry_id} was already answered", code="offer_not_open")
    session.refresh(entry)
    return entry


def do_accept_offer(session: Session, entry_id: int, agent_id: int, now: datetime) -> QueueEntry:
    entry = _answer_offer(session, entry_id, agent_id, {"status": "assigned"})
    _assigned(session, entry, now)
    payload = {
        "entry": entry.id,
        "contact_kind": entry.contact_kind,
        "contact_id": entry.contact_id,
        "agent": agent_id,
    }
    send_event_on_commit(session, Event("routing.assigned", payload, recipients=(agent_id,)))
    return entry


def do_decline_offer(session: Session, entry_id: int, agent_id: int, now: datetime) -> QueueEntry:
    """The contact goes back to waiting, keeping its place (its enqueue time is unchanged)."""
    entry = _answer_offer(
        session, entry_id, agent_id, {"status": "waiting", "agent_id": None, "decided_at": None}
    )
    session.add(
        RoutingDecision(
            entry_id=entry_id,
            kind="declined",
            agent_id=agent_id,
            strategy="offer",
            reason="declined_by_agent",
            decided_by_id=agent_id,
            decided_at=now,
        )
    )
    send_event_on_commit(session, Event("routing.queued", {"entry": entry.id}, WALLBOARD))
    return entry


def do_release(session: Session, entry_id: int, now: datetime, acw_seconds: float = 0.0) -> QueueEntry:
    """The contact ended: free the agent's capacity; after-contact work starts when `acw_seconds` > 0."""
    entry = session.get(QueueEntry, entry_id)
    if entry is None:
        raise NotFound(f"queue entry {entry_id} not found")
    if entry.status != "assigned" or entry.agent_id is None:
        raise Conflict(f"queue entry {entry_id} is {entry.status}, not assigned", code="not_assigned")
    agent = agent_states(session, [entry.agent_id])[entry.agent_id]
    _save_presence(session, presence_rules.release(agent, entry.channel, seconds(now), acw_seconds), now)
    entry.status, entry.ended_at = "released", now
    send_event_on_commit(
        session,
        Event("routing.released", {"entry": entry.id, "agent": entry.agent_id}, recipients=(entry.agent_id,)),
    )
    return entry


def do_abandon(session: Session, entry_id: int, now: datetime) -> QueueEntry:
    entry = session.get(QueueEntry, entry_id)
    if entry is None:
        raise NotFound(f"queue entry {entry_id} not found")
    if entry.status != "waiting":
        raise Conflict(f"queue entry {entry_id} is {entry.status}; only waiting contacts abandon")
    entry.status, entry.ended_at = "abandoned", now
    send_event_on_commit(session, Event("routing.abandoned", {"entry": entry.id}, WALLBOARD))
    return entry


def check_set_presence(
    session: Session, user_id: int, state: str, reason: str | None, now: datetime
) -> AgentState:
    if state not in Presence._value2member_map_:
        raise InvalidInput(f"unknown state; one of {', '.join(p.value for p in Presence)}", field="state")
    agents = agent_states(session, [user_id])
    if user_id not in agents:
        raise NotFound(f"agent {user_id} not found", code="unknown_agent")
    # The engine raises TransitionError / CapacityError (409) with the reason when the change is not allowed.
    changed = presence_rules.change_presence(agents[user_id], state, seconds(now), reason)
    _save_presence(session, changed, now)
    send_event_on_commit(
        session, Event("routing.presence", {"agent": user_id, "state": changed.presence.value}, WALLBOARD)
    )
    return changed


def check_set_strategy(session: Session, queue_code: str, strategy: str) -> Queue:
    if strategy not in STRATEGIES:
        raise InvalidInput(f"unknown strategy; one of {', '.join(STRATEGIES)}", field="strategy")
    queue = queue_by_code(session, queue_code)
    queue.strategy = strategy
    send_event_on_commit(session, Event("routing.queue_changed", {"queue": queue_code}, WALLBOARD))
    return queue


def check_transfer(
    session: Session,
    entry_id: int,
    *,
    actor_id: int,
    now: datetime,
    reason: str,
    to_agent: int | None = None,
    to_queue: str | None = None,
    to_department: int | None = None,
) -> QueueEntry:
    """Move an assigned contact to an agent, a queue or a department; the contact keeps its whole context."""
    if sum(x is not None for x in (to_agent, to_queue, to_department)) != 1:
        raise InvalidInput("give exactly one of to_agent, to_queue, to_department", field="to_agent")
    entry = session.get(QueueEntry, entry_id)
    if entry is None or entry.status != "assigned":
        raise NotFound(f"assigned contact {entry_id} not found")
    if to_agent is not None:
        return _transfer_to_agent(session, entry, to_agent, actor_id, now, reason)
    entry.status, entry.ended_at = "transferred", now
    detail: dict[str, Any] = {"from_agent": entry.agent_id}
    if to_department is not None:
        detail["department"] = to_department
        target: QueueEntry = entry
    else:
        target = do_enqueue(
            session,
            contact_kind=entry.contact_kind,
            contact_id=entry.contact_id,
            queue_code=to_queue or "",
            now=now,
            customer_id=entry.customer_id,
            tier=entry.tier,
            ticket_type=entry.ticket_type,
            severity=entry.severity,
            urgency=entry.urgency,
            last_agent_id=entry.agent_id,
            dedicated_agent_id=entry.dedicated_agent_id,
        )
        detail["queue"] = to_queue
    session.add(
        RoutingDecision(
            entry_id=entry.id,
            kind="transfer",
            agent_id=None,
            strategy="transfer",
            reason=reason[:60],
            detail=detail,
            decided_by_id=actor_id,
            decided_at=now,
        )
    )
    send_event_on_commit(
        session,
        Event(
            "routing.transferred",
            {"entry": entry.id, **detail},
            recipients=(entry.agent_id,) if entry.agent_id else None,
        ),
    )
    return target


def _transfer_to_agent(
    session: Session, entry: QueueEntry, to_agent: int, actor_id: int, now: datetime, reason: str
) -> QueueEntry:
    agents = agent_states(session, [to_agent])
    if to_agent not in agents:
        raise NotFound(f"agent {to_agent} not found", code="unknown_agent")
    taken = presence_rules.assign(agents[to_agent], entry.channel, seconds(now))  # 409 when no room
    previous = entry.agent_id
    entry.agent_id = to_agent
    _save_presence(session, taken, now)
    _assigned(session, entry, now)
    session.add(
        RoutingDecision(
            entry_id=entry.id,
            kind="transfer",
            agent_id=to_agent,
            strategy="transfer",
            reason=reason[:60],
            detail={"from_agent": previous},
            decided_by_id=actor_id,
            decided_at=now,
        )
    )
    send_event_on_commit(
        session,
        Event(
            "routing.transferred",
            {"entry": entry.id, "agent": to_agent, "from_agent": previous},
            recipients=tuple(a for a in (to_agent, previous) if a),
        ),
    )
    return entry


def _check_skills(session: Session, codes: set[str]) -> dict[str, int]:
    known = {code: skill_id for code, skill_id in session.execute(select(Skill.code, Skill.id))}
    for code in sorted(codes - set(known)):
        raise UnknownSkillError(code)
    return known


def check_create_queue(
    session: Session,
    *,
    code: str,
    name: str,
    channel: str,
    strategy: str,
    required_skills: dict[str, int],
    language: str | None = None,
    overflow_steps: list[dict[str, Any]] | None = None,
    sticky: dict[str, Any] | None = None,
    requires_acceptance: bool = False,
    team_id: int | None = None,
) -> Queue:
    if not CODE.match(code):
        raise InvalidInput("use 2–60 lower-case letters, digits or _", field="code")
    if not 1 <= len(name.strip()) <= 120:
        raise InvalidInput("give a name of 1–120 characters", field="name")
    _check_skills(session, set(required_skills))
    queue = Queue(
        code=code,
        name=name.strip(),
        channel=channel,
        language=language,
        strategy=strategy,
        required_skills=[{"skill": s, "min_level": lvl} for s, lvl in sorted(required_skills.items())],
        overflow_steps=overflow_steps or [],
        sticky=sticky or {},
        requires_acceptance=requires_acceptance,
        team_id=team_id,
    )
    queue_config(queue)  # the engine's own validation: names the field and the reason (422)
    if session.scalar(select(Queue.id).where(Queue.code == code)) is not None:
        raise Conflict(f"queue {code!r} exists", code="queue_exists", field="code")
    session.add(queue)
    session.flush()
    send_event_on_commit(session, Event("routing.queue_changed", {"queue": code}, WALLBOARD))
    return queue


def check_set_routing_profile(
    session: Session,
    user_id: int,
    *,
    skills: dict[str, int],
    channel_capacity: dict[str, int],
    max_concurrent: int,
    languages: list[str],
    now: datetime,
) -> AgentState:
    """Replace an agent's skills and capacity; capacity below what the agent holds now is refused (409).
    The first profile of an active agent or team lead makes them routable (until then routing has never
    heard of them)."""
    check_routing_profile(skills, channel_capacity, max_concurrent)
    for language in languages:
        if i18n.supported(language) != language:
            raise InvalidInput(i18n.unsupported_message(language), field="languages")
    known = _check_skills(session, set(skills))
    if session.get(AgentProfile, user_id) is None:
        _new_profile(session, user_id)
    agents = agent_states(session, [user_id])
    if user_id not in agents:
        raise NotFound(f"agent {user_id} not found", code="unknown_agent")
    changed = presence_rules.set_capacity(agents[user_id], channel_capacity, max_concurrent)
    profile = session.get(AgentProfile, user_id)
    profile.channel_capacity, profile.max_concurrent, profile.languages = (
        channel_capacity,
        max_concurrent,
        languages,
    )
    session.execute(delete(AgentSkill).where(AgentSkill.user_id == user_id))
    session.add_all(
        AgentSkill(user_id=user_id, skill_id=known[code], level=level) for code, level in skills.items()
    )
    send_event_on_commit(session, Event("routing.presence", {"agent": user_id}, WALLBOARD))
    return changed


def _new_profile(session: Session, user_id: int) -> None:
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.role not in CONTACT_ROLES:
        raise NotFound(f"agent {user_id} not found", code="unknown_agent")
    session.add(AgentProfile(user_id=user_id, languages=[], channel_capacity={}, max_concurrent=0))
    session.flush()


def queue_for_channel(session: Session, channel: str, language: str | None = None) -> Queue | None:
    """The queue a new contact on `channel` enters when nothing more specific chose one:
    the first queue of that channel in the customer's language, else the first of that channel."""
    queues = session.scalars(select(Queue).where(Queue.channel == channel).order_by(Queue.id)).all()
    return next((q for q in queues if q.language == language), queues[0] if queues else None)


def do_auto_away(session: Session, user_id: int, now: datetime) -> AgentState | None:
    """The agent's console went away: stop routing to them (break, reason `console_disconnected`),
    keeping what they hold. Non-agents and agents already offline or on a break are left as they are."""
    agents = agent_states(session, [user_id])
    if user_id not in agents:
        return None
    away = presence_rules.auto_away(agents[user_id], seconds(now))
    if away.presence is not agents[user_id].presence:
        _save_presence(session, away, now)
        send_event_on_commit(
            session, Event("routing.presence", {"agent": user_id, "state": away.presence.value}, WALLBOARD)
        )
    return away


CODE = re.compile(r"^[a-z0-9_]{2,60}$")  # the stable name of a skill or queue in rules
SKILL_KINDS = ("product", "language", "channel")
# Who takes contacts, and so may get a routing profile.
CONTACT_ROLES = frozenset({Role.agent.value, Role.team_lead.value})


def check_create_skill(session: Session, *, code: str, name: str, kind: str) -> Skill:
    """A new skill agents can hold and queues can require; the code is its stable name in rules."""
    if not CODE.match(code):
        raise InvalidInput("use 2–60 lower-case letters, digits or _", field="code")
    if not 1 <= len(name.strip()) <= 120:
        raise InvalidInput("give a name of 1–120 characters", field="name")
    if kind not in SKILL_KINDS:
        raise InvalidInput(f"one of {', '.join(SKILL_KINDS)}", field="kind")
    if session.scalar(select(Skill.id).where(Skill.code == code)) is not None:
        raise Conflict(f"skill {code!r} exists", code="skill_exists", field="code")
    skill = Skill(code=code, name=name.strip(), kind=kind)
    session.add(skill)
    session.flush()
    return skill

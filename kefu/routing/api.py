"""Routing over the REST API: queues and EWT, presence, offers, transfers, decisions with reasons."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from kefu.access.actor import Actor
from kefu.access.permissions import Permission, allows
from kefu.core import clock
from kefu.core.errors import NotFound
from kefu.routing import access, actions
from kefu.web.deps import CurrentActor, SessionDep, require, signed_in

router = APIRouter(tags=["routing"])
ContactKind = Literal["conversation", "ticket"]


class QueueStatusOut(BaseModel):
    code: str
    name: str
    channel: str
    strategy: str
    waiting: int
    longest_wait_seconds: float
    serving_slots: float
    ewt_seconds: float | None


class StrategyIn(BaseModel):
    strategy: str = Field(description="skill_first or idle_first")


class PresenceIn(BaseModel):
    state: str = Field(description="offline, available, break, training, after_contact_work")
    reason: str | None = Field(default=None, max_length=80, description="required for a break")


class PresenceOut(BaseModel):
    agent_id: int
    state: str
    break_reason: str | None


class EnqueueIn(BaseModel):
    contact_kind: ContactKind
    contact_id: int = Field(ge=1)
    queue: str
    customer_id: int | None = Field(default=None, ge=1)
    tier: Literal["new", "active", "high_value", "vip"] = "active"
    ticket_type: Literal["inquiry", "complaint", "suggestion", "repair", "refund"] | None = None
    severity: Literal["normal", "major"] = "normal"
    urgency: int = Field(default=0, ge=0, le=3)
    last_agent_id: int | None = None
    dedicated_agent_id: int | None = None


class EntryOut(BaseModel):
    id: int
    contact_kind: str
    contact_id: int
    channel: str
    status: str
    agent_id: int | None
    enqueued_at: datetime
    decided_at: datetime | None


class PositionOut(BaseModel):
    entry_id: int
    queue: str
    position: int
    ewt_seconds: float | None


class TransferIn(BaseModel):
    to_agent: int | None = Field(default=None, ge=1)
    to_queue: str | None = None
    to_department: int | None = Field(default=None, ge=1)
    reason: str = Field(min_length=1, max_length=60)


class DecisionOut(BaseModel):
    entry_id: int
    kind: str
    agent_id: int | None
    strategy: str
    reason: str
    score: float | None
    runners_up: list[dict]
    detail: dict
    decided_at: datetime


def _entry(entry: object) -> EntryOut:
    return EntryOut.model_validate(entry, from_attributes=True)


@router.get(
    "/queues", response_model=list[QueueStatusOut], dependencies=[require(Permission.conversations_read)]
)
def list_queues(session: SessionDep) -> list[QueueStatusOut]:
    return [QueueStatusOut(**vars(s)) for s in access.queue_statuses(session, clock.now())]


@router.patch(
    "/queues/{code}", response_model=QueueStatusOut, dependencies=[require(Permission.routing_manage)]
)
def set_strategy(code: str, body: StrategyIn, session: SessionDep) -> QueueStatusOut:
    """Switch the queue's strategy; the next routing round uses it, no restart needed."""
    actions.check_set_strategy(session, code, body.strategy)
    session.flush()
    return next(
        QueueStatusOut(**vars(s)) for s in access.queue_statuses(session, clock.now()) if s.code == code
    )


def _may_set_presence(actor: Actor, agent_team: int | None, agent_id: int) -> bool:
    if actor.user_id == agent_id:
        return True
    if not allows(actor, Permission.routing_manage):
        return False
    return actor.role != "team_lead" or (agent_team is not None and agent_team == actor.team_id)


@router.put("/agents/{agent_id}/presence", response_model=PresenceOut, dependencies=[signed_in()])
def set_presence(agent_id: int, body: PresenceIn, session: SessionDep, actor: CurrentActor) -> PresenceOut:
    """Agents change their own presence; team leads their team's, supervisors anyone's."""
    team = access.agent_team(session, agent_id)
    if not _may_set_presence(actor, team, agent_id):
        raise NotFound(f"agent {agent_id} not found", code="unknown_agent")
    state = actions.check_set_presence(session, agent_id, body.state, body.reason, clock.now())
    return PresenceOut(agent_id=agent_id, state=state.presence.value, break_reason=state.break_reason)


@router.post(
    "/queue-entries",
    response_model=EntryOut,
    status_code=201,
    dependencies=[require(Permission.conversations_write)],
)
def enqueue(body: EnqueueIn, session: SessionDep) -> EntryOut:
    values = body.model_dump()
    queue = values.pop("queue")
    return _entry(actions.do_enqueue(session, queue_code=queue, now=clock.now(), **values))


@router.get(
    "/queue-entries/{entry_id}/position",
    response_model=PositionOut,
    dependencies=[require(Permission.conversations_read)],
)
def position(entry_id: int, session: SessionDep) -> PositionOut:
    return PositionOut(**vars(access.entry_position(session, entry_id, clock.now())))


@router.post(
    "/routing/round", response_model=list[EntryOut], dependencies=[require(Permission.routing_manage)]
)
def routing_round(session: SessionDep) -> list[EntryOut]:
    """Run one routing round now (the routing leader also runs them continuously)."""
    return [_entry(e) for e in actions.route_waiting(session, clock.now())]


@router.post(
    "/offers/{entry_id}/accept",
    response_model=EntryOut,
    dependencies=[require(Permission.conversations_write)],
)
def accept_offer(entry_id: int, session: SessionDep, actor: CurrentActor) -> EntryOut:
    return _entry(actions.do_accept_offer(session, entry_id, actor.user_id, clock.now()))


@router.post(
    "/offers/{entry_id}/decline",
    response_model=EntryOut,
    dependencies=[require(Permission.conversations_write)],
)
def decline_offer(entry_id: int, session: SessionDep, actor: CurrentActor) -> EntryOut:
    return _entry(actions.do_decline_offer(session, entry_id, actor.user_id, clock.now()))


@router.post(
    "/queue-entries/{entry_id}/transfer",
    response_model=EntryOut,
    dependencies=[require(Permission.conversations_write)],
)
def transfer(entry_id: int, body: TransferIn, session: SessionDep, actor: CurrentActor) -> EntryOut:
    access.assigned_entry_in_scope(session, actor, entry_id)
    return _entry(
        actions.check_transfer(
            session,
            entry_id,
            actor_id=actor.user_id,
            now=clock.now(),
            reason=body.reason,
            to_agent=body.to_agent,
            to_queue=body.to_queue,
            to_department=body.to_department,
        )
    )


@router.get(
    "/routing/decisions", response_model=list[DecisionOut], dependencies=[require(Permission.reports_read)]
)
def decisions(
    session: SessionDep,
    contact_kind: Annotated[ContactKind, Query()],
    contact_id: Annotated[int, Query(ge=1)],
) -> list[DecisionOut]:
    """Every assignment and transfer of a contact, with strategy, score and runners-up."""
    return [
        DecisionOut.model_validate(d, from_attributes=True)
        for d in access.decisions_for_contact(session, contact_kind, contact_id)
    ]


class QueueIn(BaseModel):
    code: str = Field(pattern=r"^[a-z0-9_]{2,60}$")
    name: str = Field(min_length=1, max_length=120)
    channel: Literal["webchat", "email", "voice", "app", "social", "api", "ticket"]
    strategy: Literal["skill_first", "idle_first"] = "skill_first"
    required_skills: dict[str, int] = Field(
        default_factory=dict, description="skill code -> minimum level 1-5"
    )
    language: str | None = None
    overflow_steps: list[dict] = Field(default_factory=list)
    sticky: dict = Field(default_factory=dict)
    requires_acceptance: bool = False
    team_id: int | None = None


class RoutingProfileIn(BaseModel):
    skills: dict[str, int] = Field(description="skill code -> level 1-5")
    channel_capacity: dict[str, int] = Field(
        description="concurrent contacts per channel, e.g. voice 1, webchat 3"
    )
    max_concurrent: int = Field(ge=0, le=50)
    languages: list[str] = Field(default_factory=list)


class RoutingProfileOut(BaseModel):
    agent_id: int
    skills: dict[str, int]
    channel_capacity: dict[str, int]
    max_concurrent: int


@router.post(
    "/queues",
    response_model=QueueStatusOut,
    status_code=201,
    dependencies=[require(Permission.routing_manage)],
)
def create_queue(body: QueueIn, session: SessionDep) -> QueueStatusOut:
    actions.check_create_queue(session, **body.model_dump())
    return next(
        QueueStatusOut(**vars(s)) for s in access.queue_statuses(session, clock.now()) if s.code == body.code
    )


@router.put(
    "/agents/{agent_id}/routing-profile",
    response_model=RoutingProfileOut,
    dependencies=[require(Permission.routing_manage)],
)
def set_routing_profile(
    agent_id: int, body: RoutingProfileIn, session: SessionDep, actor: CurrentActor
) -> RoutingProfileOut:
    """Skills and capacity of an agent; lowering capacity below what the agent holds now is a 409."""
    if (
        not _may_set_presence(actor, access.agent_team(session, agent_id), agent_id)
        or actor.user_id == agent_id
    ):
        raise NotFound(f"agent {agent_id} not found", code="unknown_agent")
    state = actions.check_set_routing_profile(session, agent_id, now=clock.now(), **body.model_dump())
    return RoutingProfileOut(
        agent_id=agent_id,
        skills=dict(body.skills),
        channel_capacity=dict(state.capacity),
        max_concurrent=state.max_total,
    )

"""SLA configuration over the REST API (`config:manage`): business calendars and policies."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from kefu.access.permissions import Permission
from kefu.core import clock
from kefu.tickets import sla_actions
from kefu.tickets.policies import stored_config, stored_escalation
from kefu.web.deps import SessionDep, require

router = APIRouter(prefix="/sla", tags=["sla"], dependencies=[require(Permission.config_manage)])
Name = Annotated[str, Path(pattern=r"^[a-z0-9_]{1,60}$", description="lower-case letters, digits and _")]


class CalendarIn(BaseModel):
    timezone: str = Field(default="Asia/Shanghai", max_length=60)
    hours: dict[str, list[str]] = Field(
        default_factory=dict, description='{"mon-fri": ["09:00-18:00"]}; empty: 24×7', max_length=7
    )
    holidays: Literal["china", "none"] = "china"
    extra_holidays: list[str] = Field(default_factory=list, max_length=400, description="YYYY-MM-DD")
    extra_workdays: list[str] = Field(default_factory=list, max_length=400, description="make-up days")
    makeup_weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"


class TargetIn(BaseModel):
    metric: Literal["first_response", "next_response", "resolution"]
    seconds: float = Field(gt=0, description="business seconds")
    warn_before: float = Field(default=0, ge=0)


class ConditionsIn(BaseModel):
    channels: list[str] = Field(default_factory=list)
    types: list[str] = Field(default_factory=list)
    priorities: list[str] = Field(default_factory=list)
    tiers: list[str] = Field(default_factory=list)


class PolicyIn(BaseModel):
    calendar: str = Field(max_length=60)
    targets: list[TargetIn] = Field(min_length=1, max_length=3)
    conditions: ConditionsIn | None = Field(default=None, description="null: chosen only as the default")
    position: int = Field(default=0, ge=0, le=1000, description="rules are tried in this order")
    is_default: bool = False


class StepIn(BaseModel):
    level: Literal["team_lead", "supervisor"]
    on: Literal["at_risk", "breach"] = Field(description="an SLA clock's warning instant, or its deadline")
    after_seconds: float = Field(default=0, ge=0, description="business seconds after that instant")


class EscalationIn(BaseModel):
    chain: list[Literal["agent", "team_lead", "supervisor"]] = Field(min_length=2, max_length=3)
    steps: list[StepIn] = Field(max_length=6)
    major_complaint_level: Literal["agent", "team_lead", "supervisor"] = "supervisor"


class ConfigOut(BaseModel):
    calendars: list[dict[str, Any]]
    policies: list[dict[str, Any]]
    escalation: dict[str, Any]


@router.get("")
def get_config(session: SessionDep) -> ConfigOut:
    """The calendars and policies in force (the defaults while none are stored)."""
    calendars, policies = stored_config(session)
    return ConfigOut(calendars=calendars, policies=policies, escalation=stored_escalation(session))


@router.put("/calendars/{name}")
def put_calendar(name: Name, body: CalendarIn, session: SessionDep) -> dict[str, Any]:
    values = {"name": name, **body.model_dump()}
    sla_actions.do_put_calendar(session, values=values, now=clock.now())
    return values


@router.put("/policies/{name}")
def put_policy(name: Name, body: PolicyIn, session: SessionDep) -> dict[str, Any]:
    values = {"name": name, **body.model_dump()}
    sla_actions.do_put_policy(session, values=values, now=clock.now())
    return values


@router.put("/escalation")
def put_escalation(body: EscalationIn, session: SessionDep) -> dict[str, Any]:
    """The chain (lowest first, from agent) and the steps that climb it; e.g. agent → supervisor."""
    values = body.model_dump()
    sla_actions.do_put_escalation(session, values=values, now=clock.now())
    return values

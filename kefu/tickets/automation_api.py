"""Ticket configuration over the REST API, under /tickets: automation rules and the record of the rules
that fired (`config:manage`), and the custom field schema of each ticket type (read by anyone who reads
tickets, changed with `config:manage`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from kefu.access.permissions import Permission
from kefu.core import clock
from kefu.tickets import automations, fields
from kefu.web.deps import SessionDep, require

router = APIRouter(tags=["tickets"])
TypeName = Annotated[
    Literal["inquiry", "complaint", "suggestion", "repair", "refund"], Path(description="the ticket type")
]
Scalar = str | int | float | bool | None


class ConditionIn(BaseModel):
    field: str = Field(min_length=1, max_length=60, description="a ticket field, or custom.<name>")
    op: Literal["eq", "ne", "in", "not_in", "contains", "not_contains", "gt", "lt", "changed", "changed_to"]
    value: Scalar | list[Scalar] = None


class ActionIn(BaseModel):
    kind: Literal[
        "set_field", "add_tag", "remove_tag", "assign_queue", "send_script", "notify", "create_follow_up"
    ]
    params: dict[Annotated[str, Field(max_length=40)], Scalar | list[Scalar]] = Field(
        default_factory=dict, max_length=10
    )


class RuleIn(BaseModel):
    name: str = Field(min_length=1, max_length=60)
    events: list[str] = Field(min_length=1, max_length=20, description="ticket events it fires on")
    conditions: list[ConditionIn] = Field(default_factory=list, max_length=30, description="all must hold")
    any_conditions: list[ConditionIn] = Field(
        default_factory=list, max_length=30, description="if given, one must hold"
    )
    actions: list[ActionIn] = Field(min_length=1, max_length=20, description="run in this order")
    position: int = Field(default=0, ge=-100000, le=100000, description="lower runs first")
    active: bool = True


class RuleOut(RuleIn):
    id: int
    created_at: datetime
    updated_at: datetime


class RunOut(BaseModel):
    id: int
    ticket_id: int
    rule_id: int | None
    rule_name: str
    event: str
    depth: int
    results: list[dict[str, Any]]
    created_at: datetime


class FieldDefIn(BaseModel):
    name: str = Field(min_length=1, max_length=40)
    kind: Literal["text", "integer", "number", "boolean", "date", "choice"] = "text"
    required: bool = False
    choices: list[Annotated[str, Field(min_length=1, max_length=80)]] = Field(
        default_factory=list, max_length=100
    )
    max_length: int = Field(default=500, ge=1, le=5000)
    min: float | None = None
    max: float | None = None
    label: str = Field(default="", max_length=80)


class SchemaIn(BaseModel):
    fields: list[FieldDefIn] = Field(max_length=50)


class SchemaOut(BaseModel):
    ticket_type: str
    fields: list[dict[str, Any]]
    updated_at: datetime


def _rule_out(row: Any) -> RuleOut:
    return RuleOut.model_validate(row, from_attributes=True)


@router.get("/automation/rules", dependencies=[require(Permission.config_manage)])
def list_rules(session: SessionDep) -> list[RuleOut]:
    """In evaluation order: by position, then name."""
    return [_rule_out(r) for r in automations.list_rules(session)]


@router.post("/automation/rules", status_code=201, dependencies=[require(Permission.config_manage)])
def create_rule(body: RuleIn, session: SessionDep) -> RuleOut:
    return _rule_out(automations.do_save_rule(session, fields=body.model_dump(), now=clock.now()))


@router.get("/automation/rules/{rule_id}", dependencies=[require(Permission.config_manage)])
def get_rule(rule_id: int, session: SessionDep) -> RuleOut:
    return _rule_out(automations.rule_by_id(session, rule_id))


@router.put("/automation/rules/{rule_id}", dependencies=[require(Permission.config_manage)])
def replace_rule(rule_id: int, body: RuleIn, session: SessionDep) -> RuleOut:
    row = automations.rule_by_id(session, rule_id)
    return _rule_out(automations.do_save_rule(session, fields=body.model_dump(), now=clock.now(), row=row))


@router.delete(
    "/automation/rules/{rule_id}", status_code=204, dependencies=[require(Permission.config_manage)]
)
def delete_rule(rule_id: int, session: SessionDep) -> Response:
    automations.do_delete_rule(session, row=automations.rule_by_id(session, rule_id))
    return Response(status_code=204)


@router.get("/automation/runs", dependencies=[require(Permission.config_manage)])
def list_runs(
    session: SessionDep,
    ticket_id: int | None = Query(default=None, ge=1),
    rule_id: int | None = Query(default=None, ge=1),
    limit: int = Query(default=100, ge=1, le=500),
) -> list[RunOut]:
    """The rules that fired, newest first, with what each action did."""
    rows = automations.runs_of(session, ticket_id=ticket_id, rule_id=rule_id, limit=limit)
    return [RunOut.model_validate(r, from_attributes=True) for r in rows]


@router.get("/fields")
def list_schemas(session: SessionDep) -> list[SchemaOut]:
    """The custom field schema of each ticket type that has one (a type without one takes any values)."""
    return [SchemaOut.model_validate(s, from_attributes=True) for s in fields.all_schemas(session)]


@router.put("/fields/{ticket_type}", dependencies=[require(Permission.config_manage)])
def put_schema(ticket_type: TypeName, body: SchemaIn, session: SessionDep) -> SchemaOut:
    raw = [f.model_dump() for f in body.fields]
    row = fields.do_set_schema(session, ticket_type=ticket_type, fields=raw, now=clock.now())
    return SchemaOut.model_validate(row, from_attributes=True)


@router.delete("/fields/{ticket_type}", status_code=204, dependencies=[require(Permission.config_manage)])
def delete_schema(ticket_type: TypeName, session: SessionDep) -> Response:
    fields.do_delete_schema(session, ticket_type=ticket_type)
    return Response(status_code=204)

"""Customer profiles over the REST API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from kefu.access.actor import Actor
from kefu.access.pii import present_profile
from kefu.customers.access import access_customer_by_id, access_merge_by_id, identities_of, list_customers
from kefu.customers.actions import do_merge_customers, do_set_lifetime_value, do_undo_merge
from kefu.customers.settings import TierRulesDep
from kefu.customers.timeline import customer_timeline
from kefu.web.deps import CurrentActor, SessionDep, writes_on_read

router = APIRouter(prefix="/customers", tags=["customers"])


class IdentityOut(BaseModel):
    kind: str
    namespace: str
    value: str


class CustomerOut(BaseModel):
    id: int
    name: str
    tier: str
    language: str
    tags: list[str]
    created_at: datetime
    last_contact_at: datetime | None


class CustomerProfileOut(CustomerOut):
    identities: list[IdentityOut]


@router.get("", response_model=list[CustomerOut])
def get_customers(
    session: SessionDep,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after_id: Annotated[int, Query(ge=0)] = 0,
) -> list[CustomerOut]:
    return [
        CustomerOut.model_validate(c, from_attributes=True)
        for c in list_customers(session, actor, limit=limit, after_id=after_id)
    ]


@router.get("/{customer_id}", response_model=CustomerProfileOut)
@writes_on_read
def get_customer(customer_id: int, session: SessionDep, actor: CurrentActor) -> CustomerProfileOut:
    return _profile(session, actor, customer_id)


def _profile(session: SessionDep, actor: Actor, customer_id: int) -> CustomerProfileOut:
    customer = access_customer_by_id(session, actor, customer_id)
    identities = [
        IdentityOut.model_validate(i, from_attributes=True) for i in identities_of(session, customer.id)
    ]
    identities = present_profile(session, actor, customer.id, identities)  # audited; masked per role
    base = CustomerOut.model_validate(customer, from_attributes=True)
    return CustomerProfileOut(**base.model_dump(), identities=identities)


class MergeIn(BaseModel):
    source_id: int
    target_id: int


class MergeOut(BaseModel):
    id: int
    source_id: int
    target_id: int
    moved: dict[str, list[int]]
    merged_at: datetime
    undone_at: datetime | None


class ValueIn(BaseModel):
    lifetime_value: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


@router.post("/merges", response_model=MergeOut, status_code=201)
def post_merge(body: MergeIn, session: SessionDep, actor: CurrentActor, rules: TierRulesDep) -> MergeOut:
    """Merge source into target; both must be visible to the caller."""
    for customer_id in (body.source_id, body.target_id):
        access_customer_by_id(session, actor, customer_id)
    merge = do_merge_customers(
        session, source_id=body.source_id, target_id=body.target_id, actor_id=actor.user_id, rules=rules
    )
    return MergeOut.model_validate(merge, from_attributes=True)


@router.post("/merges/{merge_id}/undo", response_model=MergeOut)
def post_undo_merge(merge_id: int, session: SessionDep, actor: CurrentActor, rules: TierRulesDep) -> MergeOut:
    merge = access_merge_by_id(session, actor, merge_id)
    undone = do_undo_merge(session, merge_id=merge.id, rules=rules)
    return MergeOut.model_validate(undone, from_attributes=True)


@router.put("/{customer_id}/value", response_model=CustomerOut)
def put_value(
    customer_id: int, body: ValueIn, session: SessionDep, actor: CurrentActor, rules: TierRulesDep
) -> CustomerOut:
    """The CRM pushes a customer's lifetime value; the tier is recomputed at once."""
    access_customer_by_id(session, actor, customer_id)
    customer = do_set_lifetime_value(session, customer_id=customer_id, value=body.lifetime_value, rules=rules)
    return CustomerOut.model_validate(customer, from_attributes=True)


class TimelineItemOut(BaseModel):
    kind: str
    ref: str
    at: datetime
    channel: str | None
    status: str
    title: str


class Customer360Out(CustomerProfileOut):
    lifetime_value: Decimal
    merged_into_id: int | None
    timeline: list[TimelineItemOut]


@router.get("/{customer_id}/360", response_model=Customer360Out)
@writes_on_read
def get_customer_360(customer_id: int, session: SessionDep, actor: CurrentActor) -> Customer360Out:
    """Profile, identities, tier and tags, and conversations, tickets, CSAT and open follow-ups by time."""
    profile = _profile(session, actor, customer_id)
    customer = access_customer_by_id(session, actor, customer_id)
    timeline = [
        TimelineItemOut.model_validate(i, from_attributes=True)
        for i in customer_timeline(session, actor, customer_id)
    ]
    return Customer360Out(
        **profile.model_dump(),
        lifetime_value=customer.lifetime_value,
        merged_into_id=customer.merged_into_id,
        timeline=timeline,
    )

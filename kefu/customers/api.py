"""Customer profiles over the REST API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from kefu.customers.access import access_customer_by_id, identities_of, list_customers
from kefu.web.deps import CurrentActor, SessionDep

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
def get_customer(customer_id: int, session: SessionDep, actor: CurrentActor) -> CustomerProfileOut:
    customer = access_customer_by_id(session, actor, customer_id)
    identities = [
        IdentityOut.model_validate(i, from_attributes=True) for i in identities_of(session, customer.id)
    ]
    base = CustomerOut.model_validate(customer, from_attributes=True)
    return CustomerProfileOut(**base.model_dump(), identities=identities)

"""Scoped reads of customers: fetch and check permission in one call; missing and forbidden look alike."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.scopes import customer_scope, one_in_scope
from kefu.core.errors import NotFound
from kefu.customers.models import Customer, CustomerIdentity, CustomerMerge


def access_customer_by_id(session: Session, actor: Actor, customer_id: int) -> Customer:
    query = select(Customer).where(Customer.id == customer_id, customer_scope(actor))
    return one_in_scope(session, query, f"customer {customer_id} not found")


def list_customers(session: Session, actor: Actor, *, limit: int, after_id: int = 0) -> Sequence[Customer]:
    query = (
        select(Customer)
        .where(customer_scope(actor), Customer.id > after_id, Customer.merged_into_id.is_(None))
        .order_by(Customer.id)
        .limit(limit)
    )
    return session.scalars(query).all()


def identities_of(session: Session, customer_id: int) -> Sequence[CustomerIdentity]:
    return session.scalars(
        select(CustomerIdentity)
        .where(CustomerIdentity.customer_id == customer_id)
        .order_by(CustomerIdentity.id)
    ).all()


def access_merge_by_id(session: Session, actor: Actor, merge_id: int) -> CustomerMerge:
    """A merge is visible to whoever can see its target, which holds everything the merge moved."""
    merge = session.get(CustomerMerge, merge_id)
    try:
        if merge is None:
            raise NotFound("merge")
        access_customer_by_id(session, actor, merge.target_id)
    except NotFound:
        raise NotFound(f"merge {merge_id} not found") from None
    return merge

"""Showing customers' contact details: masked unless the role needs them in full, and always audited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, Self, TypeVar

from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.audit import audit_by
from kefu.access.masking import mask_identity
from kefu.access.permissions import Permission, allows


class IdentityView(Protocol):
    kind: str
    value: str

    def model_copy(self, *, update: dict[str, str]) -> Self: ...


V = TypeVar("V", bound=IdentityView)


def present_profile(session: Session, actor: Actor, customer_id: int, identities: Sequence[V]) -> list[V]:
    """Record the view of a customer's full profile and mask what the actor's role may not see in full."""
    full = allows(actor, Permission.customers_pii)
    audit_by(
        session,
        actor,
        "customer.view_profile",
        object_type="customer",
        object_id=customer_id,
        details={"masked": not full},
    )
    if full:
        return list(identities)
    return [i.model_copy(update={"value": mask_identity(i.kind, i.value)}) for i in identities]

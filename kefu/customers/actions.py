"""The only writers of customers: identity resolution, merge and its undo, tiers and CRM value."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from kefu.channels.models import Conversation
from kefu.core import clock
from kefu.core.errors import Conflict, InvalidInput, NotFound
from kefu.core.events import Event, send_event_on_commit
from kefu.core.prepared import Prepared, in_list, in_values
from kefu.customers.identity import Identity
from kefu.customers.models import Customer, CustomerIdentity, CustomerMerge
from kefu.customers.tiers import Tier, TierRules, tier_for
from kefu.tickets.models import Ticket

DEFAULT_RULES = TierRules()
MAX_MERGE_CHAIN = 50  # merged_into links are followed at most this far (a cycle would be a bug)
# What a merge moves from source to target (and its undo moves back), keyed as recorded in `moved`.
MOVED_WITH_CUSTOMER: tuple[tuple[type, str], ...] = (
    (CustomerIdentity, "identities"),
    (Conversation, "conversations"),
    (Ticket, "tickets"),
)


def resolve_customer(session: Session, identities: Sequence[Identity], *, name: str = "") -> Customer:
    """The customer any of these identities belongs to (after merges), else a new one; attach the rest.

    The first identity that matches wins; identities already owned by another customer stay there,
    since moving them silently would merge two people without anyone deciding it.
    """
    if not identities:
        raise InvalidInput(
            "identities: at least one identity is needed to recognise a customer", field="identities"
        )
    known = _known_identities(session, identities)
    owner = _live(session, session.get(Customer, known[0].customer_id)) if known else None
    now = clock.now()
    if owner is None:
        owner = Customer(
            name=(name or identities[0].value)[:200],
            tier=Tier.new.value,
            lifetime_value=Decimal(0),
            tags=[],
            language="zh_CN",
            created_at=now,
        )
        session.add(owner)
        session.flush()
        send_event_on_commit(session, Event("customer.created", {"customer_id": owner.id}))
    taken = {(i.kind, i.namespace, i.value) for i in known}
    for identity in identities:
        if (identity.kind.value, identity.namespace, identity.value) not in taken:
            session.add(
                CustomerIdentity(
                    customer_id=owner.id,
                    kind=identity.kind.value,
                    namespace=identity.namespace,
                    value=identity.value,
                    created_at=now,
                )
            )
    session.flush()
    return owner


def _known_identities(session: Session, identities: Sequence[Identity]) -> list[CustomerIdentity]:
    rows = []
    for identity in identities:
        row = session.scalar(
            select(CustomerIdentity).where(
                CustomerIdentity.kind == identity.kind.value,
                CustomerIdentity.namespace == identity.namespace,
                CustomerIdentity.value == identity.value,
            )
        )
        if row is not None:
            rows.append(row)
    return rows


def _live(session: Session, customer: Customer | None) -> Customer | None:
    """Follow merged_into links to the profile that is still in use."""
    for _ in range(MAX_MERGE_CHAIN):
        if customer is None or customer.merged_into_id is None:
            return customer
        customer = session.get(Customer, customer.merged_into_id)
    raise RuntimeError(f"customer merge chain longer than {MAX_MERGE_CHAIN}: a cycle in merged_into")


def do_merge_customers(
    session: Session,
    *,
    source_id: int,
    target_id: int,
    actor_id: int | None,
    rules: TierRules = DEFAULT_RULES,
) -> CustomerMerge:
    """Move source's identities, conversations and tickets to target; source stays, pointing at target."""
    if source_id == target_id:
        raise InvalidInput("target_id: a customer cannot be merged into itself", field="target_id")
    source, target = _get(session, source_id), _get(session, target_id)
    for customer, field in ((source, "source_id"), (target, "target_id")):
        if customer.merged_into_id is not None:
            raise Conflict(
                f"{field}: customer {customer.id} is already merged into {customer.merged_into_id}"
            )
    moved = {key: _ids(session, model, source_id) for model, key in MOVED_WITH_CUSTOMER}
    for model, key in MOVED_WITH_CUSTOMER:
        _repoint(session, model, moved[key], target_id)
    source.merged_into_id = target.id
    target.lifetime_value = Decimal(target.lifetime_value) + Decimal(source.lifetime_value)
    target.tags = sorted(set(target.tags) | set(source.tags))
    merge = CustomerMerge(
        source_id=source_id, target_id=target_id, actor_id=actor_id, moved=moved, merged_at=clock.now()
    )
    session.add(merge)
    session.flush()
    do_recompute_tier(session, customer=target, rules=rules)  # the target now has both histories
    send_event_on_commit(
        session,
        Event("customer.merged", {"merge_id": merge.id, "source_id": source_id, "target_id": target_id}),
    )
    return merge


def do_undo_merge(session: Session, *, merge_id: int, rules: TierRules = DEFAULT_RULES) -> CustomerMerge:
    """Put back exactly what the merge moved; contacts that arrived after the merge stay with the target."""
    merge = session.get(CustomerMerge, merge_id)
    if merge is None:
        raise NotFound(f"merge {merge_id} not found")
    if merge.undone_at is not None:
        raise Conflict(f"merge {merge_id} was already undone")
    source, target = _get(session, merge.source_id), _get(session, merge.target_id)
    if source.merged_into_id != target.id:
        raise Conflict(f"merge {merge_id}: customer {source.id} is no longer merged into {target.id}")
    for model, key in MOVED_WITH_CUSTOMER:
        _repoint(session, model, merge.moved.get(key, []), source.id)
    source.merged_into_id = None
    target.lifetime_value = max(Decimal(0), Decimal(target.lifetime_value) - Decimal(source.lifetime_value))
    merge.undone_at = clock.now()
    for customer in (source, target):
        do_recompute_tier(session, customer=customer, rules=rules)
    send_event_on_commit(
        session,
        Event(
            "customer.merge_undone", {"merge_id": merge.id, "source_id": source.id, "target_id": target.id}
        ),
    )
    return merge


def _get(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    return customer


def _ids(session: Session, model: type, customer_id: int) -> list[int]:
    return list(session.scalars(select(model.id).where(model.customer_id == customer_id).order_by(model.id)))


def _repoint(session: Session, model: type, ids: list[int], customer_id: int) -> None:
    # Tickets belong to another domain, but a merge must move them in the same transaction to be undoable.
    if ids:
        session.execute(
            update(model).where(model.id.in_(ids)).values(customer_id=customer_id),
            execution_options={"synchronize_session": "fetch"},
        )


def do_set_lifetime_value(
    session: Session, *, customer_id: int, value: Decimal, rules: TierRules
) -> Customer:
    """The CRM pushes the customer's value; the tier follows at once."""
    if value < 0:
        raise InvalidInput("lifetime_value: must not be negative", field="lifetime_value")
    customer = _live(session, _get(session, customer_id))
    assert customer is not None
    customer.lifetime_value = value
    do_recompute_tier(session, customer=customer, rules=rules)
    return customer


def do_recompute_tier(session: Session, *, customer: Customer, rules: TierRules) -> Tier:
    """Recompute from value and contacts within the window; announce only real changes."""
    since = clock.now() - timedelta(days=rules.active_window_days)
    recent = session.scalar(
        select(func.count(Conversation.id)).where(
            Conversation.customer_id == customer.id, Conversation.started_at >= since
        )
    )
    tier = tier_for(rules, lifetime_value=Decimal(customer.lifetime_value), recent_contacts=int(recent or 0))
    if tier.value != customer.tier:
        previous, customer.tier = customer.tier, tier.value
        send_event_on_commit(
            session,
            Event("customer.tier_changed", {"customer_id": customer.id, "from": previous, "to": tier.value}),
        )
    return tier


# Built once: chat intake runs this for every batch of messages, and the ORM's bulk UPDATE path cost five
# times the statement itself (kefu.channels.intake_writer).
# Runs once per batch of chat messages: compiled once per dialect (kefu.core.prepared).
_TOUCH = Prepared(
    lambda size: (
        update(Customer.__table__)
        .where(Customer.__table__.c.id.in_(in_list("id", size)))
        .values(last_contact_at=bindparam("at"))
    )
)


def do_touch_customers(session: Session, customer_ids: set[int], at: datetime) -> None:
    """Record that these customers were just in contact (one statement for a whole batch of messages)."""
    if not customer_ids:
        return
    size, params = in_values("id", customer_ids)
    _TOUCH.execute(session.connection(), {**params, "at": at}, size=size)
    for customer in session.identity_map.values():  # customers this session already holds see it too
        if isinstance(customer, Customer) and customer.id in customer_ids:
            set_committed_value(customer, "last_contact_at", at)

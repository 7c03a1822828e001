"""Identity resolution, merge and undo, tiers and CRM value — against the real database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from kefu.access.roles import Role
from kefu.channels.actions import Inbound, do_ingest_message
from kefu.channels.kinds import Channel
from kefu.channels.models import Conversation
from kefu.core import clock
from kefu.core.errors import Conflict
from kefu.core.events import Event
from kefu.core.runtime import Runtime
from kefu.customers.actions import do_merge_customers, do_undo_merge, resolve_customer
from kefu.customers.identity import normalise_identity
from kefu.customers.models import Customer, CustomerIdentity
from kefu.customers.tiers import TierRules
from kefu.tickets.actions import do_create_ticket

RULES = TierRules(vip_value=Decimal(1000), high_value_value=Decimal(100), active_contacts=2)
EMAIL = normalise_identity("email", "li@example.com")
PHONE = normalise_identity("phone", "13800138000")


def _resolve(runtime: Runtime, *identities) -> int:
    with runtime.write_sessions() as session, session.begin():
        return resolve_customer(session, identities).id


def test_any_matching_identity_finds_the_customer_and_new_ones_attach(runtime: Runtime, frozen_clock) -> None:
    first = _resolve(runtime, EMAIL)
    assert _resolve(runtime, PHONE, EMAIL) == first
    assert _resolve(runtime, PHONE) == first
    assert _resolve(runtime, normalise_identity("email", "other@example.com")) != first
    with runtime.sessions() as session:
        kinds = session.scalars(select(CustomerIdentity.kind).where(CustomerIdentity.customer_id == first))
        assert sorted(kinds) == ["email", "phone"]


def _ingest(runtime: Runtime, identity, external_id: str, channel: Channel = Channel.app) -> int:
    with runtime.write_sessions() as session, session.begin():
        inbound = Inbound(channel=channel, external_id=external_id, identities=(identity,), body="你好")
        return do_ingest_message(session, inbound, rules=RULES).conversation.id


def test_merge_moves_history_and_undo_restores_it(runtime: Runtime, frozen_clock) -> None:
    events: list[Event] = []
    runtime.bus.subscribe(events.append)
    kept = _ingest(runtime, EMAIL, "m1")
    moved = _ingest(runtime, PHONE, "m2", Channel.voice)
    with runtime.sessions() as session:
        source = session.scalar(select(Conversation.customer_id).where(Conversation.id == moved))
        target = session.scalar(select(Conversation.customer_id).where(Conversation.id == kept))
    with runtime.write_sessions() as session, session.begin():
        merge_id = do_merge_customers(session, source_id=source, target_id=target, actor_id=None).id
    assert _resolve(runtime, PHONE) == target  # the phone now finds the merged profile
    with runtime.sessions() as session:
        assert session.get(Conversation, moved).customer_id == target
        assert session.get(Customer, source).merged_into_id == target
    with runtime.write_sessions() as session, session.begin(), pytest.raises(Conflict):
        do_merge_customers(session, source_id=source, target_id=target, actor_id=None)
    with runtime.write_sessions() as session, session.begin():
        do_undo_merge(session, merge_id=merge_id)
    with runtime.sessions() as session:
        assert session.get(Conversation, moved).customer_id == source
        assert session.get(Conversation, kept).customer_id == target
        assert session.get(Customer, source).merged_into_id is None
    assert _resolve(runtime, PHONE) == source
    assert [e.type for e in events if e.type.startswith("customer.merge")] == [
        "customer.merged",
        "customer.merge_undone",
    ]
    with runtime.write_sessions() as session, session.begin(), pytest.raises(Conflict):
        do_undo_merge(session, merge_id=merge_id)


def test_merge_and_undo_through_the_api(client, factory, runtime: Runtime, frozen_clock) -> None:
    headers = factory.auth(factory.user(Role.supervisor))
    a, b = _ingest(runtime, EMAIL, "a1"), _ingest(runtime, PHONE, "b1")
    with runtime.sessions() as session:
        source, target = (session.get(Conversation, c).customer_id for c in (b, a))
    response = client.post(
        "/api/v1/customers/merges", json={"source_id": source, "target_id": target}, headers=headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["moved"]["conversations"] == [b]
    profile = client.get(f"/api/v1/customers/{target}", headers=headers).json()
    assert {i["kind"] for i in profile["identities"]} == {"email", "phone"}
    undo = client.post(f"/api/v1/customers/merges/{response.json()['id']}/undo", headers=headers)
    assert undo.status_code == 200 and undo.json()["undone_at"]
    again = client.post(f"/api/v1/customers/merges/{response.json()['id']}/undo", headers=headers)
    assert again.status_code == 409


def test_agent_cannot_merge_customers_they_cannot_see(
    client, factory, runtime: Runtime, frozen_clock
) -> None:
    headers = factory.auth(factory.user(Role.agent))
    a, b = _resolve(runtime, EMAIL), _resolve(runtime, PHONE)
    response = client.post("/api/v1/customers/merges", json={"source_id": a, "target_id": b}, headers=headers)
    assert response.status_code == 404


def test_crm_value_push_recomputes_the_tier(client, factory, runtime: Runtime, frozen_clock) -> None:
    client.app.state.tier_rules = RULES
    headers = factory.auth(factory.user(Role.admin))
    customer = _resolve(runtime, EMAIL)
    url = f"/api/v1/customers/{customer}/value"
    assert client.put(url, json={"lifetime_value": "150.00"}, headers=headers).json()["tier"] == "high_value"
    assert client.put(url, json={"lifetime_value": 5000}, headers=headers).json()["tier"] == "vip"
    assert client.put(url, json={"lifetime_value": 0}, headers=headers).json()["tier"] == "new"
    bad = client.put(url, json={"lifetime_value": -1}, headers=headers)
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "lifetime_value"


def test_repeat_contacts_make_a_customer_active(runtime: Runtime, frozen_clock) -> None:
    first = _ingest(runtime, EMAIL, "x1", Channel.app)
    _ingest(runtime, EMAIL, "x2", Channel.social)  # a second conversation, on another channel
    with runtime.sessions() as session:
        customer = session.get(Customer, session.get(Conversation, first).customer_id)
        assert customer.tier == "active"


def test_360_view_puts_conversations_and_tickets_on_one_timeline(
    client, factory, runtime: Runtime, frozen_clock
) -> None:
    headers = factory.auth(factory.user(Role.supervisor))
    chat = _ingest(runtime, EMAIL, "t1", Channel.app)
    frozen_clock.advance(hours=1)
    _ingest(runtime, EMAIL, "t2", Channel.social)
    with runtime.sessions() as session:
        customer = session.get(Conversation, chat).customer_id
    frozen_clock.advance(hours=1)
    with runtime.write_sessions() as session, session.begin():
        fields = {"customer_id": customer, "channel": "app", "type": "refund", "subject": "退款"}
        do_create_ticket(session, fields=fields, actor_id=None, now=clock.now())
    view = client.get(f"/api/v1/customers/{customer}/360", headers=headers)
    assert view.status_code == 200, view.text
    body = view.json()
    assert [(i["kind"], i["channel"]) for i in body["timeline"]] == [
        ("ticket", "app"),
        ("conversation", "social"),
        ("conversation", "app"),
    ]
    assert body["tier"] == "active" and {i["kind"] for i in body["identities"]} == {"email"}
    agent = factory.auth(factory.user(Role.agent))
    assert client.get(f"/api/v1/customers/{customer}/360", headers=agent).status_code == 404


def test_merge_recomputes_the_tier_and_undo_restores_it(runtime: Runtime, frozen_clock) -> None:
    a, b = _ingest(runtime, EMAIL, "r1", Channel.app), _ingest(runtime, PHONE, "r2", Channel.social)
    with runtime.sessions() as session:
        target, source = (session.get(Conversation, c).customer_id for c in (a, b))
    with runtime.write_sessions() as session, session.begin():
        merge = do_merge_customers(session, source_id=source, target_id=target, actor_id=None, rules=RULES)
        assert session.get(Customer, target).tier == "active"  # two conversations now, RULES need two
    with runtime.write_sessions() as session, session.begin():
        do_undo_merge(session, merge_id=merge.id, rules=RULES)
        assert session.get(Customer, target).tier == session.get(Customer, source).tier == "new"

"""Concurrent ticket creation through the REST API (group commit): every 201 is a stored ticket, exactly
once, with its history and one `ticket.created` event; a bad request among them gets its own 422 and
changes nothing; the others still commit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select

from kefu.access.roles import Role
from kefu.core.events import Event
from kefu.customers.models import Customer
from kefu.tickets.models import Ticket, TicketEvent
from kefu.web.app import create_app


def _customer(runtime) -> int:
    with runtime.write_sessions() as session, session.begin():
        customer = Customer(name="c", tier="vip", lifetime_value=0, tags=[], language="zh_CN")
        customer.created_at = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
        session.add(customer)
        session.flush()
        return customer.id


def test_concurrent_creations_are_each_stored_once_and_a_bad_one_fails_alone(runtime, factory):
    app = create_app(runtime.settings, runtime=runtime)
    headers = factory.auth(factory.user(Role.supervisor))
    customer = _customer(runtime)
    published: list[Event] = []
    runtime.bus.subscribe(published.append)
    bodies = [
        {"type": "inquiry", "customer_id": customer, "subject": f"order {i}", "channel": "email"}
        for i in range(40)
    ]
    bodies[17] = {"type": "inquiry", "customer_id": 999_999, "subject": "nobody's"}

    async def post_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kefu") as client:
            return await asyncio.gather(
                *(client.post("/api/v1/tickets", json=b, headers=headers) for b in bodies)
            )

    responses = asyncio.run(post_all())
    assert responses[17].status_code == 422 and responses[17].json()["fields"][0]["field"] == "customer_id"
    created = [r.json() for i, r in enumerate(responses) if i != 17]
    assert all(r.status_code == 201 for i, r in enumerate(responses) if i != 17)
    assert sorted(t["subject"] for t in created) == sorted(
        b["subject"] for b in bodies if b is not bodies[17]
    )
    with runtime.sessions() as session:
        stored = dict(session.execute(select(Ticket.id, Ticket.subject)).all())
        histories = session.scalar(select(func.count(TicketEvent.id)).where(TicketEvent.kind == "created"))
    assert stored == {t["id"]: t["subject"] for t in created}  # each answer is a stored ticket, once
    assert histories == 39
    announced = [e.payload["ticket"] for e in published if e.type == "ticket.created"]
    assert sorted(announced) == sorted(stored)
    assert all(t["sla_policy"] and t["due_at"] for t in created)  # due_at written with the INSERT
    if runtime.engine.dialect.name == "sqlite":
        assert runtime.writer.batches < 40  # they shared transactions


def test_what_a_creation_answers_is_what_is_stored_and_its_history_starts_with_it(runtime, factory):
    """The lean INSERT keeps every field; a major complaint's escalation at creation is stored after it."""
    app = create_app(runtime.settings, runtime=runtime)
    headers = factory.auth(factory.user(Role.supervisor))
    body = {
        "type": "complaint", "severity": "major", "customer_id": _customer(runtime), "channel": "email",
        "subject": "broken", "description": "it broke", "category": "delivery", "priority": "high",
        "tags": ["vip", "late"], "custom_fields": {"order": "A-1"},
    }  # fmt: skip

    async def scenario() -> tuple[dict, dict, list]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kefu") as client:
            created = await client.post("/api/v1/tickets", json=body, headers=headers)
            assert created.status_code == 201
            ticket_id = created.json()["id"]
            read = await client.get(f"/api/v1/tickets/{ticket_id}", headers=headers)
            events = await client.get(f"/api/v1/tickets/{ticket_id}/events", headers=headers)
            return created.json(), read.json(), events.json()

    created, read, events = asyncio.run(scenario())
    moving = {"sla", "conversation_ids"}  # countdowns move with the clock; linked ids only on reads
    assert {k: v for k, v in created.items() if k not in moving} == {
        k: v for k, v in read.items() if k not in moving
    }
    assert created["escalation_level"] == "supervisor" and created["tags"] == ["vip", "late"]
    assert created["custom_fields"] == {"order": "A-1"} and created["status"] == "new"
    kinds = [e["kind"] for e in sorted(events, key=lambda e: e["id"])]
    assert kinds[0] == "created" and "escalated" in kinds[1:]

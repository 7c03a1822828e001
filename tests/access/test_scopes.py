"""Data scopes in the data-access layer: IDOR attempts answer 404 exactly like missing objects."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kefu.access.actor import Actor
from kefu.access.roles import Role
from kefu.core.errors import NotFound
from kefu.tickets.access import access_ticket_by_id, list_tickets
from kefu.tickets.models import Ticket


def _actor(user):
    return Actor(user.id, user.role, user.team_id)


def _tickets(session, customer_id):
    return session.scalars(select(Ticket.id).where(Ticket.customer_id == customer_id)).all()


def test_guessing_another_teams_ticket_id_finds_nothing(runtime, world):
    with runtime.sessions() as session:
        theirs = _tickets(session, world.theirs)[0]
        mine = _tickets(session, world.mine)[0]
        for role in (Role.agent, Role.team_lead, Role.qa_specialist, Role.trainer):
            actor = _actor(world.users[role])
            with pytest.raises(NotFound, match=f"ticket {theirs} not found"):
                access_ticket_by_id(session, actor, theirs)
        assert access_ticket_by_id(session, _actor(world.users[Role.agent]), mine).id == mine
        assert access_ticket_by_id(session, _actor(world.users[Role.supervisor]), theirs).id == theirs


def test_lists_contain_only_the_scope(runtime, world):
    with runtime.sessions() as session:
        visible = {
            role: {t.customer_id for t in list_tickets(session, _actor(world.users[role]), limit=200)}
            for role in Role
        }
    assert world.mine in visible[Role.agent] and world.theirs not in visible[Role.agent]
    assert world.mine in visible[Role.team_lead] and world.theirs not in visible[Role.team_lead]
    assert visible[Role.qa_specialist] == visible[Role.trainer] == set()
    assert {world.mine, world.theirs} <= visible[Role.supervisor]


def test_out_of_scope_and_missing_customers_answer_alike(client, world, as_user):
    as_user(client, world.users[Role.agent])
    hidden = client.get(f"/api/v1/customers/{world.theirs}")
    missing = client.get("/api/v1/customers/987654")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["code"] == missing.json()["code"] == "not_found"
    assert (
        client.post(f"/api/v1/customers/{world.theirs}/unmask", headers={"X-CSRF-Token": "x"}).status_code
        == 403
    )


def test_page_size_is_checked(runtime, world):
    with runtime.sessions() as session, pytest.raises(ValueError, match="limit"):
        list_tickets(session, _actor(world.users[Role.agent]), limit=0)

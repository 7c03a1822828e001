"""Department handoffs from the ticket page: handing off puts the ticket on hold with a deadline, the
department's reply or bounce-back is recorded and brings it back, and each refusal shows next to its field."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kefu.access.models import Department
from kefu.access.roles import Role
from kefu.core import clock
from kefu.customers.models import Customer
from kefu.tickets import actions
from kefu.tickets.models import Handoff, Ticket, TicketEvent

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def desk(runtime, factory):
    """An agent's open ticket and one department."""
    agent = factory.user(Role.agent)
    now = clock.now()
    with runtime.write_sessions() as session, session.begin():
        customer = Customer(name="Li Lei", created_at=now)
        department = Department(code="logistics", name="Logistics dept")
        session.add_all([customer, department])
        session.flush()
        fields = {"type": "repair", "customer_id": customer.id, "subject": "kettle", "channel": "email"}
        fields["assignee_id"] = agent.id
        ticket = actions.do_create_ticket(session, fields=fields, actor_id=None, now=now)
        actions.do_change_status(session, ticket=ticket, status="open", actor_id=agent.id, now=now)
        return agent, ticket.id, department.id


def _headers(browser):
    return {**browser.csrf(), "HX-Request": "true", "Accept-Language": "en"}


def _kinds(runtime, number):
    with runtime.sessions() as session:
        query = select(TicketEvent.kind).where(TicketEvent.ticket_id == number).order_by(TicketEvent.id)
        return list(session.scalars(query))


def test_hand_off_then_the_reply_brings_the_ticket_back(client, browser, runtime, desk):
    agent, number, department = desk
    browser.sign_in(agent)
    form = {"department_id": str(department), "task": XSS, "response_hours": "4"}
    sent = client.post(f"/console/tickets/{number}/handoffs", data=form, headers=_headers(browser))
    assert sent.status_code == 200 and "HX-Redirect" in sent.headers
    with runtime.sessions() as session:
        handoff = session.scalar(select(Handoff).where(Handoff.ticket_id == number))
        assert handoff.status == "open" and handoff.task == XSS and handoff.due_at > clock.now()
        assert session.get(Ticket, number).status == "on_hold"
    page = client.get(f"/console/tickets/{number}").text
    assert XSS not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert f'hx-post="/console/tickets/{number}/handoffs/{handoff.id}/answer"' in page
    answer = {"answer": "found it in the depot", "outcome": "replied"}
    url = f"/console/tickets/{number}/handoffs/{handoff.id}/answer"
    assert client.post(url, data=answer, headers=_headers(browser)).status_code == 200
    again = client.post(url, data=answer, headers=_headers(browser))
    assert again.status_code == 409 and 'data-field-error="handoff_closed"' in again.text
    with runtime.sessions() as session:
        assert session.get(Handoff, handoff.id).answer == "found it in the depot"
        assert session.get(Ticket, number).status == "open"
    kinds = _kinds(runtime, number)
    assert kinds.index("handoff") < kinds.index("handoff_replied")


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"department_id": "", "task": "x", "response_hours": "4"}, "department_id"),
        ({"department_id": "999", "task": "x", "response_hours": "4"}, "department_id"),
        ({"department_id": "{department}", "task": "  ", "response_hours": "4"}, "task"),
        ({"department_id": "{department}", "task": "x", "response_hours": "0"}, "response_hours"),
        ({"department_id": "{department}", "task": "x", "response_hours": "soon"}, "response_hours"),
    ],
)
def test_a_bad_handoff_is_refused_next_to_its_field(client, browser, runtime, desk, form, field):
    agent, number, department = desk
    browser.sign_in(agent)
    form = {k: v.format(department=department) for k, v in form.items()}
    refused = client.post(f"/console/tickets/{number}/handoffs", data=form, headers=_headers(browser))
    assert refused.status_code == 422 and f'data-field-error="{field}"' in refused.text
    with runtime.sessions() as session:
        assert session.scalar(select(Handoff.id).where(Handoff.ticket_id == number)) is None


def test_a_solved_ticket_is_not_handed_off_and_others_tickets_are_not_found(
    client, browser, factory, runtime, desk
):
    agent, number, department = desk
    with runtime.write_sessions() as session, session.begin():
        actions.do_change_status(
            session, ticket=session.get(Ticket, number), status="solved", actor_id=agent.id, now=clock.now()
        )
    browser.sign_in(agent)
    form = {"department_id": str(department), "task": "x", "response_hours": "4"}
    solved = client.post(f"/console/tickets/{number}/handoffs", data=form, headers=_headers(browser))
    assert solved.status_code == 409 and 'data-field-error="status"' in solved.text
    browser.sign_in(factory.user(Role.agent))
    stranger = client.post(f"/console/tickets/{number}/handoffs", data=form, headers=_headers(browser))
    assert stranger.status_code == 404

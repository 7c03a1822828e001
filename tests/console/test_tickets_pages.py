"""The ticket pages through the app: list filters and scope, the ticket page, status changes, replies."""

from __future__ import annotations

import re

import pytest

from kefu.access.models import Department
from kefu.access.roles import Role
from kefu.channels.attachments import attachments_root
from kefu.core import clock
from kefu.customers.models import Customer
from kefu.tickets import actions, handoffs
from kefu.tickets.attachments import do_attach
from kefu.tickets.lifecycle import allowed_transitions
from kefu.tickets.models import Ticket, TicketEvent
from kefu.web.console.tickets import clock_text

XSS = "<img src=x onerror=alert(1)>"


class Desk:
    def __init__(self, runtime):
        self.runtime = runtime

    def ticket(self, assignee, *, subject="refund please", type="inquiry", channel="email", **fields) -> int:
        now = clock.now()
        with self.runtime.write_sessions() as session, session.begin():
            customer = Customer(name="Li Lei", created_at=now)
            session.add(customer)
            session.flush()
            values = {"type": type, "customer_id": customer.id, "subject": subject, "channel": channel}
            values.update({k: fields.pop(k) for k in ("customer_id", "channel") if k in fields})
            values["assignee_id"] = assignee.id if assignee else None
            ticket = actions.do_create_ticket(session, fields={**values, **fields}, actor_id=None, now=now)
            return ticket.id

    def run(self, fn):
        with self.runtime.write_sessions() as session, session.begin():
            return fn(session)


@pytest.fixture
def tickets(runtime):
    return Desk(runtime)


def test_list_shows_only_the_readers_tickets_and_filters_them(client, factory, browser, tickets):
    team = factory.team()
    mine, theirs = factory.user(Role.agent, team), factory.user(Role.agent)
    own = tickets.ticket(mine, subject="my parcel")
    complaint = tickets.ticket(mine, subject="rude courier", type="complaint")
    other = tickets.ticket(theirs, subject="someone else's")
    browser.sign_in(mine)
    page = client.get("/console/tickets")
    assert page.status_code == 200
    assert f'data-ticket="{own}"' in page.text and f'data-ticket="{complaint}"' in page.text
    assert f'data-ticket="{other}"' not in page.text
    filtered = client.get("/console/tickets?type=complaint")
    assert f'data-ticket="{complaint}"' in filtered.text and f'data-ticket="{own}"' not in filtered.text
    assert f'data-ticket="{own}"' not in client.get("/console/tickets?status=solved").text
    assert f'data-ticket="{own}"' in client.get("/console/tickets?sla_state=ok").text
    assert client.get(f"/console/tickets?assignee_id={theirs.id}").text.count("data-ticket=") == 0
    # A team lead sees the team's tickets and filters by team and agent.
    lead = factory.user(Role.team_lead, team)
    client.cookies.clear()
    browser.sign_in(lead)
    led = client.get(f"/console/tickets?team_id={team.id}&assignee_id={mine.id}")
    assert f'data-ticket="{own}"' in led.text and f'data-ticket="{other}"' not in led.text


def test_a_bad_filter_is_refused_naming_the_field(client, factory, browser):
    agent = factory.user(Role.agent)
    browser.sign_in(agent)
    response = client.get("/console/tickets?status=lost")
    assert response.status_code == 422 and response.json()["fields"][0]["field"] == "status"
    assert client.get("/console/tickets?team_id=abc").status_code == 422


def test_list_pages_on_with_older_tickets(client, factory, browser, tickets, monkeypatch):
    monkeypatch.setattr("kefu.web.console.tickets.PAGE_SIZE", 2)
    agent = factory.user(Role.agent)
    ids = [tickets.ticket(agent, subject=f"t{i}") for i in range(3)]
    browser.sign_in(agent)
    first = client.get("/console/tickets")
    assert first.text.count("data-ticket=") == 2
    link = re.search(r'rel="next" href="([^"]+)"', first.text).group(1).replace("&amp;", "&")
    second = client.get(link)
    assert f'data-ticket="{ids[0]}"' in second.text and second.text.count("data-ticket=") == 1


def test_pages_refuse_roles_without_tickets_and_tickets_out_of_scope(client, factory, browser, tickets):
    agent, other = factory.user(Role.agent), factory.user(Role.agent)
    theirs = tickets.ticket(other)
    browser.sign_in(agent)
    assert client.get(f"/console/tickets/{theirs}").status_code == 404
    assert client.get("/console/tickets/999999").status_code == 404
    response = client.post(
        f"/console/tickets/{theirs}/status", data={"status": "open"}, headers=browser.csrf()
    )
    assert response.status_code == 404
    client.cookies.clear()
    trainer = factory.user(Role.trainer)
    browser.sign_in(trainer)
    assert client.get("/console/tickets").status_code == 403
    assert client.get(f"/console/tickets/{theirs}").status_code == 403
    assert 'href="/console/tickets"' not in client.get("/console/wallboard").text
    client.cookies.clear()
    assert client.get("/console/tickets", follow_redirects=False).status_code == 303


def test_ticket_page_shows_countdowns_escalation_handoffs_and_history(
    client, factory, browser, tickets, runtime
):
    supervisor = factory.user(Role.supervisor)
    agent = factory.user(Role.agent)
    number = tickets.ticket(agent, subject="broken kettle", type="repair")

    def setup(session):
        department = Department(code="logistics", name="Logistics dept")
        session.add(department)
        session.flush()
        ticket = session.get(Ticket, number)
        handoffs.do_hand_off(
            session, ticket=ticket, department_id=department.id, task="find the parcel", owner_id=None,
            response_hours=8, actor_id=supervisor.id, now=clock.now(),
        )  # fmt: skip
        actions.do_reply(
            session, ticket=ticket, body="we are on it", public=True, actor_id=agent.id, now=clock.now()
        )
        actions.do_reply(
            session, ticket=ticket, body="call back Monday", public=False, actor_id=agent.id, now=clock.now()
        )
        actions.do_escalate_by_hand(
            session, ticket=ticket, to=None, reason="angry", actor_id=supervisor.id, now=clock.now()
        )

    tickets.run(setup)
    browser.sign_in(supervisor)
    page = client.get(f"/console/tickets/{number}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = page.text
    assert "broken kettle" in text and 'data-metric="resolution"' in text
    assert re.search(r'data-deadline="[^"]+\+00:00"', text)  # a running clock ticks in the browser
    assert 'data-escalation="team_lead"' in text
    assert "Logistics dept" in text and "find the parcel" in text and 'data-handoff="open"' in text
    assert 'data-event="reply"' in text and "we are on it" in text
    assert 'class="event event-note internal"' in text and "call back Monday" in text and "Staff only" in text
    assert "Times in Asia/Shanghai." in text
    # The status choices are exactly the machine's allowed moves from the current status.
    with runtime.sessions() as session:
        status = session.get(Ticket, number).status
    options = re.findall(r'<option value="(\w+)"', text.split('id="ticket-status"')[1].split("</form>")[0])
    assert set(options) == {s.value for s in allowed_transitions(status)}


def test_deadline_is_shown_in_the_centre_time_zone(client, factory, browser, tickets, frozen_clock):
    # 09:00 in Shanghai (01:00 UTC); a repair's first response is due 4 h later on the 24×7 calendar.
    agent = factory.user(Role.agent)
    number = tickets.ticket(agent, type="repair")
    browser.sign_in(agent)
    text = client.get(f"/console/tickets/{number}", headers={"Accept-Language": "en"}).text
    first = text.split('data-metric="first_response"')[1].split("</li>")[0]
    assert "1:00\u202fPM" in first or "1:00 PM" in first  # 13:00 Shanghai, not 05:00 UTC
    assert "5:00 AM" not in first and "5:00\u202fAM" not in first
    assert 'data-deadline="2026-03-02T05:00:00+00:00"' in first and ">4:00:00<" in first


def test_clock_text_counts_down_and_past_the_deadline():
    assert clock_text(3 * 3600 + 62) == "3:01:02"
    assert clock_text(-59) == "−0:00:59"
    assert clock_text(None) == ""


def test_status_change_uses_the_machine_and_refusals_are_translated(
    client, factory, browser, tickets, runtime
):
    agent = factory.user(Role.agent)
    number = tickets.ticket(agent)
    browser.sign_in(agent)
    done = client.post(
        f"/console/tickets/{number}/status",
        data={"status": "solved", "reason": "fixed"},
        headers={**browser.csrf(), "HX-Request": "true"},
    )
    assert done.status_code == 200 and done.headers["HX-Redirect"] == f"/console/tickets/{number}"
    with runtime.sessions() as session:
        assert session.get(Ticket, number).status == "solved"
    # solved → pending is not a move the machine allows: 409 with the reason in Chinese.
    refused = client.post(
        f"/console/tickets/{number}/status",
        data={"status": "pending"},
        headers={**browser.csrf(), "HX-Request": "true", "Accept-Language": "zh-CN"},
    )
    assert refused.status_code == 409
    assert 'data-field-error="status"' in refused.text and "不允许" in refused.text
    bad = client.post(f"/console/tickets/{number}/status", data={"status": "lost"}, headers=browser.csrf())
    assert bad.status_code == 422
    with runtime.sessions() as session:
        assert session.get(Ticket, number).status == "solved"
    # Without the CSRF header the change is refused outright.
    assert client.post(f"/console/tickets/{number}/status", data={"status": "open"}).status_code == 403


def test_replies_and_internal_notes(client, factory, browser, tickets, runtime):
    agent = factory.user(Role.agent)
    number = tickets.ticket(agent)
    browser.sign_in(agent)
    headers = {**browser.csrf(), "HX-Request": "true"}
    assert (
        client.post(
            f"/console/tickets/{number}/replies", data={"kind": "note", "body": "inside"}, headers=headers
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"/console/tickets/{number}/replies", data={"kind": "reply", "body": "hello"}, headers=headers
        ).status_code
        == 200
    )
    empty = client.post(
        f"/console/tickets/{number}/replies", data={"kind": "reply", "body": "  "}, headers=headers
    )
    assert empty.status_code == 422 and 'data-field-error="body"' in empty.text
    with runtime.sessions() as session:
        events = session.query(TicketEvent).filter_by(ticket_id=number).order_by(TicketEvent.id).all()
        ticket = session.get(Ticket, number)
        written = [(e.kind, e.data.get("body")) for e in events if e.kind in ("note", "reply")]
        assert written == [("note", "inside"), ("reply", "hello")]
        # Only the public reply counts as the first response and opens the new ticket.
        assert ticket.first_response_at is not None and ticket.status == "open"


def test_ticket_page_lists_linked_conversations_and_files(client, factory, browser, tickets, runtime, desk):
    agent = factory.user(Role.agent)
    conversation = desk.conversation(agent)
    number = tickets.ticket(agent, conversation_id=conversation.id, customer_id=None, channel=None)

    def attach(session):
        ticket = session.get(Ticket, number)
        return do_attach(
            session, root=attachments_root(runtime.settings.data_dir), ticket=ticket, data=b"%PDF-1 receipt",
            filename=XSS + ".pdf", content_type="application/pdf", max_bytes=10_000, actor_id=agent.id,
            now=clock.now(),
        ).public_id  # fmt: skip

    public_id = tickets.run(attach)
    browser.sign_in(agent)
    text = client.get(f"/console/tickets/{number}", headers={"Accept-Language": "en"}).text
    assert f'href="/console/conversations/{conversation.public_id}"' in text and "Origin" in text
    assert f'href="/api/v1/tickets/{number}/attachments/{public_id}"' in text
    assert XSS not in text and 'data-event="attachment"' in text and "File attached" in text
    download = client.get(f"/api/v1/tickets/{number}/attachments/{public_id}")
    assert download.status_code == 200 and download.content == b"%PDF-1 receipt"


def test_untrusted_ticket_text_is_escaped(client, factory, browser, tickets):
    agent = factory.user(Role.agent)
    number = tickets.ticket(agent, subject=XSS, description=XSS)
    tickets.run(
        lambda s: actions.do_reply(
            s, ticket=s.get(Ticket, number), body=XSS, public=False, actor_id=agent.id, now=clock.now()
        )
    )
    browser.sign_in(agent)
    for path in ("/console/tickets", f"/console/tickets/{number}"):
        text = client.get(path).text
        assert XSS not in text and "&lt;img src=x onerror=alert(1)&gt;" in text


def test_ticket_pages_are_translated(client, factory, browser, tickets):
    agent = factory.user(Role.agent)
    number = tickets.ticket(agent)
    browser.sign_in(agent)
    listing = client.get("/console/tickets", headers={"Accept-Language": "zh-CN"}).text
    assert "筛选工单" in listing and "新工单" in listing and "SLA 风险" in listing
    page = client.get(f"/console/tickets/{number}", headers={"Accept-Language": "zh-CN"}).text
    assert "部门流转" in page and "首次响应" in page and "变更状态" in page

from datetime import UTC, datetime

from kefu.core import clock
from kefu.tickets.sweeper import sweep_pass


def test_handoff_holds_the_ticket_and_the_reply_brings_it_back(desk, frozen_clock):
    ticket = desk.ticket()
    body = {"department_id": desk.department_id, "task": "refund the deposit", "response_hours": 4}
    handoff = desk.call("POST", f"/tickets/{ticket['id']}/handoffs", json=body)
    assert handoff.status_code == 201, handoff.text
    handoff = handoff.json()
    assert handoff["status"] == "open" and handoff["due_at"].startswith("2026-03-02T05:00:00")
    held = desk.call("GET", f"/tickets/{ticket['id']}").json()
    assert held["status"] == "on_hold" and held["assignee_id"] == desk.agent.id  # the owner stays
    frozen_clock.advance(hours=1)
    answer = {"answer": "refunded"}
    replied = desk.call("POST", f"/tickets/{ticket['id']}/handoffs/{handoff['id']}/reply", json=answer).json()
    assert replied["status"] == "replied" and replied["answer"] == "refunded"
    assert desk.call("GET", f"/tickets/{ticket['id']}").json()["status"] == "open"
    again = desk.call("POST", f"/tickets/{ticket['id']}/handoffs/{handoff['id']}/bounce", json=answer)
    assert again.status_code == 409
    kinds = [e["kind"] for e in desk.call("GET", f"/tickets/{ticket['id']}/events").json()]
    assert kinds == ["created", "handoff", "status", "handoff_replied", "status"]
    assert desk.of_type("ticket.handoff_replied")[0].recipients == tuple(
        sorted((desk.agent.id, desk.lead.id))
    )


def test_bounce_back_and_a_missed_handoff_deadline(runtime, desk, frozen_clock):
    ticket = desk.ticket()
    body = {"department_id": desk.department_id, "task": "check logistics", "owner_id": desk.other_agent.id}
    first = desk.call("POST", f"/tickets/{ticket['id']}/handoffs", json=body).json()
    second = desk.call("POST", f"/tickets/{ticket['id']}/handoffs", json={**body, "response_hours": 1}).json()
    bounced = desk.call(
        "POST", f"/tickets/{ticket['id']}/handoffs/{first['id']}/bounce", json={"answer": "not ours"}
    ).json()
    assert bounced["status"] == "bounced"
    assert desk.call("GET", f"/tickets/{ticket['id']}").json()["status"] == "on_hold"  # one still open
    frozen_clock.current = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    for _ in range(2):
        with runtime.write_sessions() as session, session.begin():
            sweep_pass(session, clock.now())
    overdue = desk.of_type("ticket.handoff_overdue")
    assert [e.payload["handoff"] for e in overdue] == [second["id"]]
    assert desk.other_agent.id in overdue[0].recipients and desk.agent.id in overdue[0].recipients


def test_handoff_to_a_missing_department_names_the_field(desk):
    ticket = desk.ticket()
    response = desk.call(
        "POST", f"/tickets/{ticket['id']}/handoffs", json={"department_id": 999, "task": "x"}
    )
    assert response.status_code == 422 and response.json()["fields"][0]["field"] == "department_id"


def close(desk, ticket):
    for status in ("solved", "closed"):
        response = desk.call("POST", f"/tickets/{ticket['id']}/status", json={"status": status})
        assert response.status_code == 200, response.text


def test_closing_for_a_high_value_customer_creates_a_follow_up_for_the_team_lead(desk, frozen_clock):
    ticket = desk.ticket(customer_id=desk.customer(tier="vip"))
    close(desk, ticket)
    mine = desk.call("GET", "/follow-ups", desk.lead).json()
    assert [(f["reason"], f["ticket_id"], f["assignee_id"]) for f in mine] == [
        ("high_value", ticket["id"], desk.lead.id)
    ]
    assert mine[0]["due_at"].startswith("2026-03-04T01:00:00")
    done = desk.call("POST", f"/follow-ups/{mine[0]['id']}/result", desk.lead, json={"result": "happy now"})
    assert done.json()["status"] == "done"
    assert (
        desk.call("POST", f"/follow-ups/{mine[0]['id']}/result", desk.lead, json={"result": "x"}).status_code
        == 409
    )
    assert desk.call("GET", "/follow-ups", desk.other_agent).json() == []


def test_a_repeat_complainant_gets_a_follow_up_an_ordinary_customer_does_not(desk):
    customer = desk.customer()
    first = desk.ticket(type="complaint", customer_id=customer)
    close(desk, first)
    assert desk.call("GET", "/follow-ups", desk.supervisor).json() == []
    second = desk.ticket(type="complaint", customer_id=customer)
    close(desk, second)
    reasons = [(f["reason"], f["ticket_id"]) for f in desk.call("GET", "/follow-ups", desk.supervisor).json()]
    assert reasons == [("repeat_complainant", second["id"])]


def test_status_link_shows_only_status_and_estimate(desk, client):
    ticket = desk.ticket(type="repair")
    link = desk.call("GET", f"/tickets/{ticket['id']}/status-link").json()
    assert link["url"].endswith(f"/api/v1/ticket-status/{link['token']}")
    seen = client.get(f"/api/v1/ticket-status/{link['token']}")
    assert seen.status_code == 200
    assert set(seen.json()) == {"public_id", "subject", "status", "updated_at", "estimate"}
    assert seen.json()["estimate"].startswith("2026-03-04T01:00:00")  # repair: 48 h, 24×7
    forged = link["token"][:-2] + ("AA" if not link["token"].endswith("AA") else "BB")
    assert client.get(f"/api/v1/ticket-status/{forged}").status_code == 404


def test_a_long_ticket_that_moves_tells_the_customer(desk, frozen_clock):
    ticket = desk.ticket()
    desk.call("POST", f"/tickets/{ticket['id']}/status", json={"status": "open"})
    assert desk.of_type("ticket.progress") == []
    frozen_clock.advance(days=2)
    desk.call("POST", f"/tickets/{ticket['id']}/status", json={"status": "pending"})
    notice = desk.of_type("ticket.progress")
    assert len(notice) == 1 and notice[0].payload["status"] == "pending"
    assert notice[0].payload["customer"] == ticket["customer_id"]


def test_suggestions_are_acknowledged_and_gathered_into_a_digest(desk, frozen_clock):
    desk.ticket(type="suggestion", suggestion_kind="product", subject="=dark mode", description="please")
    desk.ticket(type="suggestion", subject="faster refunds")
    desk.ticket()
    assert [e.payload["why"] for e in desk.of_type("ticket.progress")] == ["acknowledged", "acknowledged"]
    frozen_clock.advance(minutes=1)
    summary = desk.call("GET", "/suggestions/digest", desk.supervisor).json()
    assert summary["by_kind"] == {"other": 1, "product": 1}
    csv = desk.call("GET", "/suggestions/digest.csv", desk.supervisor)
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("public_id,created_at,kind") and len(lines) == 3
    assert ",'=dark mode," in lines[2]  # a formula-looking cell is neutralised
    assert desk.call("GET", "/suggestions/digest.csv").status_code == 403  # agents: no reports

from datetime import UTC, datetime


def test_an_agent_creates_a_ticket_that_is_theirs_with_an_email_sla(desk):
    ticket = desk.ticket(category="delivery", custom_fields={"order": "A-1"}, tags=["late"])
    assert ticket["status"] == "new"
    assert ticket["assignee_id"] == desk.agent.id and ticket["team_id"] == desk.team.id
    assert ticket["sla_policy"] == "email"
    first = next(c for c in ticket["sla"] if c["metric"] == "first_response")
    # Monday 09:00 Shanghai + 4 business hours; the warning an hour earlier
    assert first["deadline"].startswith("2026-03-02T05:00:00")
    assert ticket["due_at"].startswith("2026-03-02T04:00:00")
    assert first["business_seconds_left"] == 4 * 3600
    history = desk.call("GET", f"/tickets/{ticket['id']}/events").json()
    assert [e["kind"] for e in history] == ["created"]
    assert desk.of_type("ticket.created")[0].recipients == tuple(sorted((desk.agent.id, desk.lead.id)))


def test_bad_input_names_the_field(desk):
    customer = desk.customer()
    cases = [
        ({"type": "bogus"}, "type"),
        ({"type": "inquiry", "severity": "major"}, "severity"),
        ({"type": "inquiry", "customer_id": 999999}, "customer_id"),
        ({"type": "inquiry", "channel": "fax"}, "channel"),
    ]
    for extra, field in cases:
        body = {"channel": "email", "subject": "x", "customer_id": customer, **extra}
        response = desk.call("POST", "/tickets", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["fields"][0]["field"] == field


def test_invalid_transition_is_409_naming_the_allowed(desk):
    ticket = desk.ticket()
    for status in ("open", "solved", "closed"):
        assert (
            desk.call("POST", f"/tickets/{ticket['id']}/status", json={"status": status}).status_code == 200
        )
    response = desk.call("POST", f"/tickets/{ticket['id']}/status", json={"status": "pending"})
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert "allowed from closed: open" in response.json()["message"]


def test_reopen_counts_and_clears_solved(desk, frozen_clock):
    ticket = desk.ticket()
    desk.call("POST", f"/tickets/{ticket['id']}/status", json={"status": "solved"})
    frozen_clock.advance(hours=1)
    reopened = desk.call("POST", f"/tickets/{ticket['id']}/status", json={"status": "open"}).json()
    assert reopened["reopen_count"] == 1 and reopened["solved_at"] is None
    history = desk.call("GET", f"/tickets/{ticket['id']}/events").json()
    assert history[-1]["data"] == {"from": "solved", "to": "open", "reason": "reopened"}


def test_scope_other_agents_ticket_is_404_supervisor_sees_all(desk):
    ticket = desk.ticket()
    assert desk.call("GET", f"/tickets/{ticket['id']}", desk.other_agent).status_code == 404
    assert (
        desk.call(
            "POST", f"/tickets/{ticket['id']}/status", desk.other_agent, json={"status": "open"}
        ).status_code
        == 404
    )
    assert desk.call("GET", f"/tickets/{ticket['id']}", desk.supervisor).status_code == 200
    assert desk.call("GET", f"/tickets/{ticket['id']}", desk.lead).status_code == 200
    listed = desk.call("GET", "/tickets", desk.other_agent).json()
    assert listed == []


def test_list_filters(desk):
    a = desk.ticket()
    b = desk.ticket(type="complaint")
    desk.call("POST", f"/tickets/{a['id']}/status", json={"status": "pending"})
    ids = lambda q: [t["id"] for t in desk.call("GET", f"/tickets?{q}", desk.supervisor).json()]  # noqa: E731
    assert ids("status=pending") == [a["id"]]
    assert ids("type=complaint") == [b["id"]]
    assert ids(f"assignee_id={desk.agent.id}") == [b["id"], a["id"]]  # newest first
    assert ids("sla_state=breached") == []


def test_public_reply_versus_internal_note(desk, frozen_clock):
    ticket = desk.ticket()
    frozen_clock.advance(minutes=30)
    note = desk.call(
        "POST", f"/tickets/{ticket['id']}/replies", json={"body": "check stock", "public": False}
    ).json()
    assert note["first_response_at"] is None and note["status"] == "new"
    assert desk.of_type("ticket.public_reply") == []
    replied = desk.call(
        "POST", f"/tickets/{ticket['id']}/replies", json={"body": "On its way", "public": True}
    ).json()
    assert replied["first_response_at"].startswith("2026-03-02T01:30:00")
    assert replied["status"] == "open"
    sent = desk.of_type("ticket.public_reply")
    assert len(sent) == 1 and sent[0].payload["body"] == "On its way"
    first = next(c for c in replied["sla"] if c["metric"] == "first_response")
    assert first["stopped_at"] is not None and not first["breached"]


def test_pending_pauses_the_clock(desk, frozen_clock):
    ticket = desk.ticket()
    frozen_clock.advance(hours=1)  # 10:00 Shanghai
    desk.call("POST", f"/tickets/{ticket['id']}/status", json={"status": "pending"})
    frozen_clock.advance(hours=2)  # 12:00: the customer answers
    body = desk.call("POST", f"/tickets/{ticket['id']}/customer-messages", json={"body": "here it is"}).json()
    assert body["status"] == "open"
    first = next(c for c in body["sla"] if c["metric"] == "first_response")
    assert first["deadline"].startswith("2026-03-02T07:00:00")  # 13:00 + the 2 paused hours


def test_update_changes_policy_and_major_complaint_escalates_to_supervisor(desk):
    ticket = desk.ticket()
    changed = desk.call("PATCH", f"/tickets/{ticket['id']}", json={"type": "complaint"}).json()
    assert changed["sla_policy"] == "complaint" and changed["severity"] == "normal"
    assert changed["escalation_level"] == "agent"
    major = desk.call("PATCH", f"/tickets/{ticket['id']}", json={"severity": "major"}).json()
    assert major["escalation_level"] == "supervisor"
    escalated = desk.of_type("ticket.escalated")
    assert len(escalated) == 1 and escalated[0].recipients == (desk.supervisor.id,)
    history = desk.call("GET", f"/tickets/{ticket['id']}/events").json()
    assert history[1]["data"]["changes"]["type"] == {"from": "inquiry", "to": "complaint"}


def test_major_complaint_at_creation_and_manual_escalation_limits(desk):
    ticket = desk.ticket(type="complaint", severity="major")
    assert ticket["escalation_level"] == "supervisor"
    response = desk.call("POST", f"/tickets/{ticket['id']}/escalate", json={})
    assert response.status_code == 409 and "top of the chain" in response.json()["message"]
    other = desk.ticket()
    up = desk.call("POST", f"/tickets/{other['id']}/escalate", json={"reason": "angry"}).json()
    assert up["escalation_level"] == "team_lead"
    assert desk.of_type("ticket.escalated")[-1].recipients == (desk.lead.id,)


def test_assignment_moves_new_to_open_and_changes_scope(desk):
    ticket = desk.ticket(assignee_id=None)  # an agent creating is the default owner
    moved = desk.call(
        "POST", f"/tickets/{ticket['id']}/assign", desk.lead, json={"assignee_id": desk.other_agent.id}
    ).json()
    assert moved["assignee_id"] == desk.other_agent.id and moved["status"] == "open"
    assert desk.call("GET", f"/tickets/{ticket['id']}").status_code == 404
    assert desk.call("GET", f"/tickets/{ticket['id']}", desk.other_agent).status_code == 200


def test_api_token_creates_for_a_customer_with_the_customer_tier_choosing_chat(desk):
    ticket = desk.ticket(desk.supervisor, channel="webchat")
    assert ticket["assignee_id"] is None and ticket["sla_policy"] == "chat"
    assert datetime.fromisoformat(ticket["due_at"]) == datetime(2026, 3, 2, 1, 0, 20, tzinfo=UTC)


def test_a_required_field_cannot_be_emptied_and_a_team_leads_ticket_stays_in_the_team(desk):
    ticket = desk.ticket()
    response = desk.call("PATCH", f"/tickets/{ticket['id']}", json={"subject": None})
    assert response.status_code == 422 and response.json()["fields"][0]["field"] == "subject"
    cleared = desk.call("PATCH", f"/tickets/{ticket['id']}", json={"category": None})
    assert cleared.status_code == 200
    own = desk.ticket(desk.lead)
    assert own["team_id"] == desk.team.id and own["assignee_id"] is None
    assert desk.call("GET", f"/tickets/{own['id']}", desk.lead).status_code == 200


def test_a_ticket_from_a_conversation_takes_its_customer_and_channel(desk):
    from kefu.channels.models import Conversation
    from kefu.core import clock

    customer = desk.customer()
    with desk.runtime.sessions() as session, session.begin():
        conversation = Conversation(
            public_id="conv-1", customer_id=customer, channel="webchat", status="open", started_at=clock.now()
        )
        session.add(conversation)
    body = {"type": "refund", "subject": "refund the deposit", "conversation_id": conversation.id}
    ticket = desk.call("POST", "/tickets", json=body).json()
    assert (ticket["customer_id"], ticket["channel"], ticket["conversation_id"]) == (
        customer,
        "webchat",
        conversation.id,
    )
    missing = desk.call("POST", "/tickets", json={**body, "conversation_id": 999999})
    assert missing.status_code == 422 and missing.json()["fields"][0]["field"] == "conversation_id"
    neither = desk.call("POST", "/tickets", json={"type": "inquiry", "subject": "x"})
    assert neither.status_code == 422 and neither.json()["fields"][0]["field"] == "customer_id"
    no_team = desk.call("POST", "/tickets", json={**body, "team_id": 999})
    assert no_team.status_code == 422 and no_team.json()["fields"][0]["field"] == "team_id"

from kefu.access.roles import Role


def test_defaults_are_shown_and_a_policy_edit_retimes_open_tickets(desk, factory, frozen_clock):
    admin = factory.user(Role.admin)
    config = desk.call("GET", "/sla", admin).json()
    assert {p["name"] for p in config["policies"]} == {"complaint", "repair", "chat", "email"}
    ticket = desk.ticket()
    assert ticket["due_at"].startswith("2026-03-02T04:00:00")
    body = {
        "calendar": "china_office",
        "targets": [{"metric": "first_response", "seconds": 7200, "warn_before": 1800}],
        "is_default": True,
    }
    assert desk.call("PUT", "/sla/policies/email", admin, json=body).status_code == 200
    # the open ticket is due now: the next sweep re-times it with the new target
    assert desk.call("GET", f"/tickets/{ticket['id']}").json()["due_at"].startswith("2026-03-02T01:00:00")
    from kefu.tickets.sweeper import sweep_step

    sweep_step(desk.runtime)
    again = desk.call("GET", f"/tickets/{ticket['id']}").json()
    assert again["due_at"].startswith("2026-03-02T02:30:00")  # 09:00 + 2 h − 30 min, Shanghai
    assert [c["metric"] for c in again["sla"]] == ["first_response"]


def test_bad_configuration_is_refused_naming_the_problem(desk, factory):
    admin = factory.user(Role.admin)
    body = {"calendar": "nowhere", "targets": [{"metric": "resolution", "seconds": 60}]}
    response = desk.call("PUT", "/sla/policies/odd", admin, json=body)
    assert response.status_code == 422 and "nowhere" in response.json()["message"]
    hours = {"hours": {"mon-fri": ["18:00-09:00"]}}
    assert desk.call("PUT", "/sla/calendars/night", admin, json=hours).status_code == 422
    warn = {"calendar": "24x7", "targets": [{"metric": "resolution", "seconds": 60, "warn_before": 60}]}
    assert desk.call("PUT", "/sla/policies/odd", admin, json=warn).status_code == 422
    assert desk.call("GET", "/sla", desk.agent).status_code == 403


def test_a_centre_calendar_with_its_own_holiday(desk, factory, frozen_clock):
    admin = factory.user(Role.admin)
    hours = {"hours": {"mon-fri": ["09:00-18:00"]}, "extra_holidays": ["2026-03-02"]}
    assert desk.call("PUT", "/sla/calendars/china_office", admin, json=hours).status_code == 200
    ticket = desk.ticket()  # Monday 2 March is now a holiday: the 4 h start on Tuesday 09:00
    first = next(c for c in ticket["sla"] if c["metric"] == "first_response")
    assert first["deadline"].startswith("2026-03-03T05:00:00")


def test_an_edited_chain_skips_the_team_lead_and_waits_half_an_hour(desk, factory, frozen_clock):
    from datetime import timedelta

    from kefu.tickets.sweeper import sweep_step

    admin = factory.user(Role.admin)
    ticket = desk.ticket()
    body = {
        "chain": ["agent", "supervisor"],
        "steps": [{"level": "supervisor", "on": "at_risk", "after_seconds": 1800}],
    }
    assert desk.call("PUT", "/sla/escalation", admin, json=body).status_code == 200
    assert desk.call("GET", "/sla", admin).json()["escalation"]["chain"] == ["agent", "supervisor"]
    frozen_clock.current += timedelta(hours=3)  # 12:00 Shanghai: at risk, no team lead in the chain
    sweep_step(desk.runtime)
    assert desk.of_type("ticket.escalated") == []
    frozen_clock.current += timedelta(minutes=30)
    sweep_step(desk.runtime)
    [escalated] = desk.of_type("ticket.escalated")
    assert escalated.payload["level"] == "supervisor" and escalated.recipients == (desk.supervisor.id,)
    assert desk.call("GET", f"/tickets/{ticket['id']}").json()["escalation_level"] == "supervisor"
    bad = {"chain": ["team_lead", "supervisor"], "steps": []}
    response = desk.call("PUT", "/sla/escalation", admin, json=bad)
    assert response.status_code == 422 and "agent" in response.json()["message"]


def test_a_level_the_chain_no_longer_has_counts_as_the_one_below():
    from kefu.tickets.escalation import EscalationPolicy
    from kefu.tickets.timing import level_in_chain

    short = EscalationPolicy(chain=("agent", "supervisor"), steps=())
    assert level_in_chain(short, "team_lead") == "agent"
    assert level_in_chain(short, "supervisor") == "supervisor"

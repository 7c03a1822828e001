"""Automation rules stored and run on ticket events: order, actions, loop guard, the record of runs."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from kefu.access.roles import Role
from kefu.core import clock
from kefu.knowledge.scripts import do_create_script
from kefu.tickets.models import FollowUp
from kefu.tickets.sweeper import sweep_pass


@pytest.fixture
def admin(desk):
    return desk.factory.user(Role.admin)


def rule(desk, admin, **fields):
    body = {"name": "r", "events": ["created"], "actions": [], **fields}
    response = desk.call("POST", "/tickets/automation/rules", admin, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def action(kind, **params):
    return {"kind": kind, "params": params}


def test_a_rule_sets_fields_tags_and_notifies_on_creation_and_its_run_is_recorded(desk, admin):
    rule(
        desk, admin, name="major complaints", events=["created"],
        conditions=[{"field": "type", "op": "eq", "value": "complaint"},
                    {"field": "custom.order", "op": "changed"}],
        any_conditions=[{"field": "channel", "op": "eq", "value": "email"}],
        actions=[action("set_field", field="priority", value="urgent"), action("add_tag", tag="complaint"),
                 action("notify", recipients=["team_lead", "supervisors"], message="new complaint")],
    )  # fmt: skip
    plain = desk.ticket()
    assert plain["priority"] == "normal" and plain["tags"] == []
    ticket = desk.ticket(type="complaint", custom_fields={"order": "A-1"})
    assert ticket["priority"] == "urgent" and ticket["tags"] == ["complaint"]
    notice = desk.of_type("ticket.automation_notice")
    assert len(notice) == 1 and notice[0].recipients == tuple(sorted((desk.lead.id, desk.supervisor.id)))
    runs = desk.call("GET", f"/tickets/{ticket['id']}/automation-runs").json()
    assert [(r["rule_name"], r["event"], r["depth"]) for r in runs] == [("major complaints", "created", 0)]
    assert [a["result"] for a in runs[0]["results"]] == ["done", "done", "notified 2"]
    kinds = [e["kind"] for e in desk.call("GET", f"/tickets/{ticket['id']}/events").json()]
    assert kinds[0] == "created" and "automation" in kinds
    assert desk.call("GET", f"/tickets/automation/runs?ticket_id={plain['id']}", admin).json() == []


def test_rules_run_by_position_and_again_when_a_change_makes_an_earlier_one_match(desk, admin):
    rule(desk, admin, name="second", position=5, actions=[action("add_tag", tag="a")])
    rule(
        desk, admin, name="first", position=1, conditions=[{"field": "tags", "op": "contains", "value": "a"}],
        actions=[action("add_tag", tag="b")],
    )  # fmt: skip
    rule(desk, admin, name="off", active=False, actions=[action("add_tag", tag="never")])
    ticket = desk.ticket()
    assert ticket["tags"] == ["a", "b"]
    listed = desk.call("GET", "/tickets/automation/rules", admin).json()
    assert [r["name"] for r in listed] == ["off", "first", "second"]  # by position, then name
    runs = desk.call("GET", f"/tickets/{ticket['id']}/automation-runs").json()
    assert [r["rule_name"] for r in reversed(runs)] == ["second", "first"]


def test_updates_and_status_changes_trigger_rules_with_their_changes(desk, admin):
    rule(
        desk, admin, name="urgent goes to the lead", events=["updated"],
        conditions=[{"field": "priority", "op": "changed_to", "value": "urgent"}],
        actions=[action("notify", recipients=["team_lead"])],
    )  # fmt: skip
    rule(
        desk, admin, name="solved thanks", events=["status_changed"],
        conditions=[{"field": "status", "op": "changed_to", "value": "solved"}],
        actions=[action("add_tag", tag="solved-once")],
    )  # fmt: skip
    ticket = desk.ticket()
    desk.call("PATCH", f"/tickets/{ticket['id']}", json={"category": "delivery"})
    assert desk.of_type("ticket.automation_notice") == []
    desk.call("PATCH", f"/tickets/{ticket['id']}", json={"priority": "urgent"})
    assert desk.of_type("ticket.automation_notice")[0].recipients == (desk.lead.id,)
    solved = desk.call("POST", f"/tickets/{ticket['id']}/status", json={"status": "solved"}).json()
    assert solved["tags"] == ["solved-once"]


def test_a_script_reply_loop_stops_at_the_depth_limit(desk, admin):
    with desk.runtime.sessions() as session, session.begin():
        script = do_create_script(
            session, scenario="other", title="ack", body="您好 {customer_name}，工单 {ticket_id} 已收到",
            language="zh_CN",
        )  # fmt: skip
    # a rule that answers every reply with a reply: each one is an event one level deeper
    rule(desk, admin, name="echo", events=["reply_added"], actions=[action("send_script", script=script.id)])
    ticket = desk.ticket()
    desk.call("POST", f"/tickets/{ticket['id']}/replies", json={"body": "hello", "public": True})
    history = desk.call("GET", f"/tickets/{ticket['id']}/events").json()
    replies = [e["data"]["body"] for e in history if e["kind"] == "reply"]
    assert replies[0] == "hello" and len(replies) == 4  # the agent's, then depth 0, 1 and 2
    assert replies[1] == f"您好 Wang，工单 {ticket['public_id']} 已收到"
    stopped = [e for e in history if e["kind"] == "automation_stopped"]
    assert len(stopped) == 1 and stopped[0]["data"]["depth"] == 3
    runs = desk.call("GET", f"/tickets/{ticket['id']}/automation-runs").json()
    assert sorted(r["depth"] for r in runs) == [0, 1, 2]


def test_an_action_that_cannot_run_is_recorded_as_failed_and_the_event_stands(desk, admin):
    rule(
        desk, admin, name="close at once", actions=[
            action("set_field", field="status", value="pending"),  # new → pending is allowed
            action("set_field", field="status", value="new"),  # pending → new is not
            action("create_follow_up", due_in_seconds=3600, assignee_role="team_lead"),
        ],
    )  # fmt: skip
    ticket = desk.ticket()
    assert ticket["status"] == "pending"
    results = desk.call("GET", f"/tickets/{ticket['id']}/automation-runs").json()[0]["results"]
    assert results[0]["result"] == "done" and results[1]["result"].startswith("failed: ")
    assert results[2]["result"].startswith("follow-up ")
    with desk.runtime.sessions() as session:
        follow_up = session.scalar(select(FollowUp).where(FollowUp.ticket_id == ticket["id"]))
        assert follow_up.assignee_id == desk.lead.id and follow_up.reason == "automation"
        assert follow_up.due_at == clock.now() + timedelta(hours=1)


def test_sla_breaches_trigger_rules_in_the_sweepers_pass(desk, admin, frozen_clock):
    rule(
        desk, admin, name="breach to supervisor", events=["sla_breach"],
        actions=[action("add_tag", tag="breached"), action("notify", recipients=["supervisors"])],
    )  # fmt: skip
    ticket = desk.ticket()
    frozen_clock.advance(days=3)
    with desk.runtime.write_sessions() as session, session.begin():
        sweep_pass(session, clock.now())
    assert "breached" in desk.call("GET", f"/tickets/{ticket['id']}").json()["tags"]
    runs = desk.call("GET", f"/tickets/{ticket['id']}/automation-runs").json()
    assert {r["event"] for r in runs} == {"sla_breach"}
    with desk.runtime.write_sessions() as session, session.begin():  # a second pass: nothing new fires
        sweep_pass(session, clock.now())
    assert len(desk.call("GET", f"/tickets/{ticket['id']}/automation-runs").json()) == len(runs)


def test_bad_rules_are_refused_naming_the_field(desk, admin):
    cases = [
        ({"events": ["exploded"]}, "events"),
        ({"actions": [action("set_field", field="assignee_password", value="x")]}, "actions[0].params.field"),
        ({"actions": [action("set_field", field="priority", value="asap")]}, "actions[0].params.value"),
        ({"actions": [action("add_tag")]}, "actions.params"),
        ({"actions": [action("assign_queue", queue="nowhere")]}, "actions[0].params.queue"),
        ({"actions": [action("send_script", script=999999)]}, "actions[0].params.script"),
        ({"actions": [action("notify", recipients=["everyone"])]}, "actions[0].params.recipients"),
        ({"actions": [action("create_follow_up", due_in_seconds=-1, assignee_role="team_lead")]},
         "actions[0].params.due_in_seconds"),
        ({"conditions": [{"field": "status", "op": "in", "value": "open"}]}, "conditions.value"),
    ]  # fmt: skip
    for extra, field in cases:
        body = {"name": "bad", "events": ["created"], "actions": [action("add_tag", tag="x")], **extra}
        response = desk.call("POST", "/tickets/automation/rules", admin, json=body)
        assert response.status_code == 422, (extra, response.text)
        assert response.json()["fields"][0]["field"] == field, (extra, response.json())
    good = rule(desk, admin, name="dup", actions=[action("add_tag", tag="x")])
    twice = desk.call("POST", "/tickets/automation/rules", admin, json={**good, "id": None})
    assert twice.status_code == 422 and twice.json()["fields"][0]["field"] == "name"
    assert desk.call("GET", "/tickets/automation/rules", desk.supervisor).status_code == 403
    assert desk.call("DELETE", f"/tickets/automation/rules/{good['id']}", admin).status_code == 204
    assert desk.call("GET", f"/tickets/automation/rules/{good['id']}", admin).status_code == 404


def test_a_session_living_across_transactions_reads_the_rules_again(desk, admin):
    from kefu.tickets.automations import listening

    with desk.runtime.write_sessions() as session:
        with session.begin():
            assert not listening(session, {"created"})
        rule(desk, admin, name="later", actions=[action("add_tag", tag="x")])  # another session
        with session.begin():
            assert listening(session, {"created"})

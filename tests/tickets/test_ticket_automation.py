import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.tickets.automation import (
    MAX_DEPTH,
    Action,
    AutomationError,
    Condition,
    Rule,
    TicketEvent,
    evaluate,
)

SNAPSHOT = {"type": "complaint", "severity": "major", "priority": "normal", "tags": [], "channel": "email"}


def names(result):
    return [(p.rule, p.action.kind.value) for p in result.actions]


def test_matching_rule_returns_its_actions_in_order():
    rule = Rule(
        "major complaints",
        {"created"},
        (
            Action("set_field", {"field": "priority", "value": "urgent"}),
            Action("notify", {"recipients": ["supervisor"]}),
        ),
        conditions=(Condition("type", "eq", "complaint"), Condition("severity", "eq", "major")),
    )
    result = evaluate([rule], TicketEvent("created", SNAPSHOT))
    assert names(result) == [("major complaints", "set_field"), ("major complaints", "notify")]
    assert result.snapshot["priority"] == "urgent"
    assert result.changes == {"priority": "normal"}
    assert SNAPSHOT["priority"] == "normal"  # the input is not touched


def test_other_events_and_inactive_rules_do_not_fire():
    rule = Rule("r", {"created"}, (Action("add_tag", {"tag": "x"}),))
    assert evaluate([rule], TicketEvent("updated", SNAPSHOT)).actions == []
    off = Rule("r", {"created"}, (Action("add_tag", {"tag": "x"}),), active=False)
    assert evaluate([off], TicketEvent("created", SNAPSHOT)).actions == []


def test_order_is_by_position_and_a_change_restarts_from_the_top():
    # "vip queue" comes first but only matches after "urgent" (later in order) sets the priority
    vip = Rule(
        "vip queue",
        {"created"},
        (Action("assign_queue", {"queue": "vip"}),),
        conditions=(Condition("priority", "eq", "urgent"),),
        position=1,
    )
    urgent = Rule(
        "urgent",
        {"created"},
        (Action("set_field", {"field": "priority", "value": "urgent"}),),
        conditions=(Condition("severity", "eq", "major"),),
        position=2,
    )
    tag = Rule("tag", {"created"}, (Action("add_tag", {"tag": "seen"}),), position=3)
    result = evaluate([tag, urgent, vip], TicketEvent("created", SNAPSHOT))
    assert [p.rule for p in result.actions] == ["urgent", "vip queue", "tag"]
    assert result.snapshot["queue"] == "vip" and result.snapshot["tags"] == ["seen"]


def test_two_rules_that_undo_each_other_fire_once_each():
    add = Rule(
        "add",
        {"updated"},
        (Action("add_tag", {"tag": "a"}),),
        conditions=(Condition("tags", "not_contains", "a"),),
    )
    remove = Rule(
        "remove",
        {"updated"},
        (Action("remove_tag", {"tag": "a"}),),
        conditions=(Condition("tags", "contains", "a"),),
    )
    result = evaluate([add, remove], TicketEvent("updated", SNAPSHOT))
    assert [p.rule for p in result.actions] == ["add", "remove"]
    assert result.snapshot["tags"] == [] and result.changes == {}


def test_depth_guard_stops_automation_answering_automation():
    reply = Rule("auto reply", {"reply_added"}, (Action("send_script", {"script": "thanks"}),))
    assert names(evaluate([reply], TicketEvent("reply_added", SNAPSHOT, depth=MAX_DEPTH - 1))) == [
        ("auto reply", "send_script")
    ]
    limited = evaluate([reply], TicketEvent("reply_added", SNAPSHOT, depth=MAX_DEPTH))
    assert limited.actions == [] and limited.depth_limited


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        (Condition("priority", "in", ["high", "normal"]), True),
        (Condition("priority", "not_in", ["high", "normal"]), False),
        (Condition("channel", "ne", "email"), False),
        (Condition("category", "eq", None), True),
        (Condition("status", "changed"), True),
        (Condition("status", "changed_to", "pending"), True),
        (Condition("status", "changed_to", "open"), False),
        (Condition("priority", "changed"), False),
        (Condition("amount", "gt", 100), True),
        (Condition("amount", "lt", 100), False),
        (Condition("missing", "gt", 1), False),
        (Condition("subject", "contains", "退款"), True),
    ],
)
def test_operators(condition, holds):
    snapshot = {**SNAPSHOT, "status": "pending", "amount": 250, "subject": "申请退款"}
    rule = Rule("r", {"updated"}, (Action("add_tag", {"tag": "hit"}),), conditions=(condition,))
    fired = evaluate([rule], TicketEvent("updated", snapshot, changes={"status": "open"})).actions
    assert bool(fired) is holds


def test_any_conditions():
    rule = Rule(
        "r",
        {"created"},
        (Action("add_tag", {"tag": "x"}),),
        any_conditions=(Condition("channel", "eq", "voice"), Condition("type", "eq", "complaint")),
    )
    assert evaluate([rule], TicketEvent("created", SNAPSHOT)).actions


def test_follow_up_action_is_planned_not_applied():
    rule = Rule(
        "callback",
        {"status_changed"},
        (Action("create_follow_up", {"due_in_seconds": 86400, "assignee_role": "team_lead"}),),
        conditions=(Condition("status", "changed_to", "closed"),),
    )
    result = evaluate(
        [rule], TicketEvent("status_changed", {**SNAPSHOT, "status": "closed"}, {"status": "solved"})
    )
    assert names(result) == [("callback", "create_follow_up")] and result.changes == {}


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Condition("priority", "like", "x"), "conditions.op: 'like' is not one of"),
        (lambda: Condition("priority", "in", "high"), "conditions.value: in needs a list"),
        (lambda: Action("delete", {}), "actions.kind: 'delete' is not one of"),
        (lambda: Action("set_field", {"field": "priority"}), "actions.params: set_field needs value"),
        (lambda: Rule("r", {"created"}, ()), "actions must not be empty"),
        (lambda: Rule("r", "created", (Action("add_tag", {"tag": "x"}),)), "events must be a non-empty set"),
    ],
)
def test_bad_rules_are_refused(build, message):
    with pytest.raises(AutomationError, match=message):
        build()


def test_duplicate_names_and_type_errors_are_refused():
    rule = Rule("r", {"created"}, (Action("add_tag", {"tag": "x"}),))
    with pytest.raises(AutomationError, match=r"name: rules \['r'\] are defined twice"):
        evaluate([rule, rule], TicketEvent("created", SNAPSHOT))
    bad = Rule(
        "r", {"created"}, (Action("add_tag", {"tag": "x"}),), conditions=(Condition("channel", "gt", 3),)
    )
    with pytest.raises(AutomationError, match="conditions.channel: cannot apply gt to 3"):
        evaluate([bad], TicketEvent("created", SNAPSHOT))


# --- property: whatever the rules, evaluation ends and no rule fires twice for one event -------------------

values = st.sampled_from(["a", "b", "c"])
toggle_rules = st.lists(
    st.tuples(st.sampled_from(["x", "y"]), values, st.sampled_from(["x", "y"]), values),
    min_size=1,
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(toggle_rules, values, values)
def test_evaluation_terminates_and_fires_each_rule_at_most_once(specs, x, y):
    rules = [
        Rule(
            f"r{i}",
            {"updated"},
            (Action("set_field", {"field": target, "value": value}),),
            conditions=(Condition(field, "eq", expected),),
            position=i,
        )
        for i, (field, expected, target, value) in enumerate(specs)
    ]
    result = evaluate(rules, TicketEvent("updated", {"x": x, "y": y}))
    fired = [p.rule for p in result.actions]
    assert len(fired) == len(set(fired)) <= len(rules)
    # the changes describe the net difference between the input and the resulting snapshot
    assert result.changes == {k: v for k, v in {"x": x, "y": y}.items() if result.snapshot[k] != v}

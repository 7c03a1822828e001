import pytest

from kefu.routing.engine import Router, Snapshot, route
from kefu.routing.errors import (
    CapacityError,
    InvalidFieldError,
    UnknownAgentError,
    UnknownContactError,
    UnknownQueueError,
    UnknownSkillError,
)
from kefu.routing.state import AgentState, OverflowStep, Presence, QueueConfig, StickyPolicy, WaitingContact

NOW = 1000.0


def agent(aid, level=3, **changes) -> AgentState:
    values = {
        "id": aid,
        "team": "t1",
        "skills": {"billing": level} if level else {},
        "presence": Presence.AVAILABLE,
        "capacity": {"webchat": 1},
        "max_total": 1,
        "idle_since": 0.0,
    }
    return AgentState(**(values | changes))


def queue(**changes) -> QueueConfig:
    return QueueConfig(**({"id": "q", "channel": "webchat", "skills": {"billing": 2}} | changes))


def contact(cid="c1", waited=0.0, **changes) -> WaitingContact:
    values = {"id": cid, "queue": "q", "channel": "webchat", "enqueued_at": NOW - waited}
    return WaitingContact(**(values | changes))


def decide(agents, queues, contacts, now=NOW, **snapshot):
    return route(Snapshot(tuple(agents), tuple(queues), tuple(contacts), **snapshot), now)


def only(decisions):
    assert len(decisions) == 1, decisions
    return decisions[0]


# ----- strategies -------------------------------------------------------------------------------------


def test_skill_first_prefers_the_highest_level_then_quality_then_longest_idle():
    agents = [
        agent("low", level=2, idle_since=0.0),
        agent("high_q", level=4, quality=95.0, idle_since=500.0),
        agent("high_idle", level=4, quality=80.0, idle_since=100.0),
        agent("high_new", level=4, quality=80.0, idle_since=400.0),
    ]
    d = only(decide(agents, [queue()], [contact()]))
    assert (d.agent, d.strategy, d.reason) == ("high_q", "skill_first", "skill_first")
    assert [c.agent for c in d.runners_up] == ["high_idle", "high_new", "low"]
    assert d.score > d.runners_up[0].score > d.runners_up[2].score
    assert d.runners_up[0].idle_seconds == 900.0


def test_unknown_quality_ranks_as_an_average_agent():
    agents = [agent("unknown", quality=None), agent("good", quality=70.0), agent("poor", quality=30.0)]
    d = only(decide(agents, [queue()], [contact()]))
    assert [d.agent, *(c.agent for c in d.runners_up)] == ["good", "unknown", "poor"]


def test_idle_first_prefers_the_least_loaded_then_the_longest_idle():
    chat = {"capacity": {"webchat": 4}, "max_total": 4}
    agents = [
        agent("expert_busy", level=5, load={"webchat": 2}, presence="busy", **chat),
        agent("novice_free_recent", level=2, idle_since=900.0, **chat),
        agent("novice_free_long", level=2, idle_since=100.0, **chat),
    ]
    d = only(decide(agents, [queue(strategy="idle_first")], [contact()]))
    assert (d.agent, d.reason) == ("novice_free_long", "idle_first")
    assert [c.agent for c in d.runners_up] == ["novice_free_recent", "expert_busy"]
    assert d.score == 1.0 and d.runners_up[1].score == 0.5


def test_idle_first_spreads_a_burst_evenly():
    chat = {"capacity": {"webchat": 3}, "max_total": 3}
    agents = [agent(f"a{i}", idle_since=float(i), **chat) for i in range(3)]
    contacts = [contact(f"c{i}", waited=10.0 - i) for i in range(6)]
    decisions = decide(agents, [queue(strategy="idle_first")], contacts)
    assert [d.agent for d in decisions] == ["a0", "a1", "a2", "a0", "a1", "a2"]


def test_skill_language_and_team_are_required():
    agents = [
        agent("unskilled", level=1),
        agent("no_english", level=5, languages={"zh"}),
        agent("other_team", level=5, languages={"en"}, team="t2"),
    ]
    q = queue(language="en", teams={"t1"})
    assert decide(agents, [q], [contact(waited=3600.0)]) == []


def test_an_agent_who_cannot_take_contacts_is_skipped():
    agents = [
        agent("away", presence="break", break_reason="lunch", level=5),
        agent("wrapping", presence="after_contact_work", acw_until=NOW + 10, level=5),
        agent("reserve", is_reserve=True, level=5),
        agent("full", presence="busy", load={"webchat": 1}, level=5),
        agent("ok", level=2),
    ]
    assert only(decide(agents, [queue()], [contact()])).agent == "ok"


def test_reserve_agents_are_used_in_surge_mode_only():
    assert decide([agent("r", is_reserve=True)], [queue()], [contact()]) == []
    assert only(decide([agent("r", is_reserve=True)], [queue()], [contact()], surge=True)).agent == "r"


def test_expired_after_contact_work_is_routable_and_idle_since_its_end():
    agents = [agent("wrapped", presence="after_contact_work", acw_until=NOW - 5, idle_since=0.0)]
    d = only(decide(agents, [queue()], [contact()]))
    assert d.agent == "wrapped" and d.chosen.idle_seconds == 5.0


# ----- capacity and priority --------------------------------------------------------------------------


def test_capacity_per_channel_and_combined_is_never_exceeded():
    multi = agent("m", capacity={"webchat": 3, "email": 5}, max_total=4)
    queues = [queue(), queue(id="mail", channel="email")]
    contacts = [contact(f"w{i}") for i in range(5)]
    contacts += [contact(f"e{i}", queue="mail", channel="email") for i in range(5)]
    decisions = decide([multi], queues, contacts)
    assert len(decisions) == 4
    assert sum(d.channel == "webchat" for d in decisions) <= 3


def test_highest_priority_is_served_first():
    contacts = [
        contact("inquiry", ticket_type="inquiry", waited=120.0),
        contact("major", ticket_type="complaint", severity="major", waited=0.0),
        contact("vip", tier="vip", waited=0.0),
    ]
    decisions = decide([agent("a"), agent("b")], [queue()], contacts)
    assert [d.contact for d in decisions] == ["major", "vip"]
    assert decisions[0].priority > decisions[1].priority


# ----- overflow ---------------------------------------------------------------------------------------


def test_overflow_lowers_the_level_only_after_the_wait():
    q = queue(skills={"billing": 4}, overflow=(OverflowStep(60, min_level=2), OverflowStep(180, min_level=0)))
    agents = [agent("mid", level=2), agent("none", level=0)]
    assert decide(agents, [q], [contact(waited=59.0)]) == []
    d = only(decide(agents, [q], [contact(waited=60.0)]))
    assert (d.agent, d.reason, d.overflow_step, d.strategy) == ("mid", "overflow_step_1", 1, "skill_first")
    assert d.runners_up == ()  # "none" lacks the skill until step 2
    two = decide(agents, [q], [contact("c1", waited=200.0), contact("c2", waited=190.0)])
    assert [(d.agent, d.reason) for d in two] == [("mid", "overflow_step_1"), ("none", "overflow_step_2")]


def test_overflow_widens_to_another_team_and_prefers_the_home_team():
    q = queue(teams={"t1"}, overflow=(OverflowStep(30, teams={"t2"}),))
    agents = [agent("home", level=2, team="t1"), agent("guest", level=5, team="t2")]
    d = only(decide(agents, [q], [contact(waited=40.0)]))
    assert (d.agent, d.reason) == ("home", "skill_first")  # qualifying without overflow ranks first
    assert [(c.agent, c.overflow_step) for c in d.runners_up] == [("guest", 1)]
    assert only(decide(agents[1:], [q], [contact(waited=40.0)])).reason == "overflow_step_1"
    assert decide(agents[1:], [q], [contact(waited=20.0)]) == []


# ----- sticky -----------------------------------------------------------------------------------------


def test_sticky_prefers_the_last_agent_over_a_better_match():
    q = queue(sticky=StickyPolicy(last_agent_wait=0.0))
    d = only(decide([agent("best", level=5), agent("last", level=2)], [q], [contact(last_agent="last")]))
    assert (d.agent, d.strategy, d.reason) == ("last", "sticky", "sticky_last_agent")


def test_sticky_is_off_unless_the_queue_enables_it():
    d = only(
        decide([agent("best", level=5), agent("last", level=2)], [queue()], [contact(last_agent="last")])
    )
    assert d.agent == "best"


def test_a_contact_is_held_for_its_busy_last_agent_within_the_wait_then_routed():
    q = queue(sticky=StickyPolicy(last_agent_wait=30.0))
    agents = [agent("other"), agent("last", presence="busy", load={"webchat": 1})]
    assert decide(agents, [q], [contact(last_agent="last", waited=10.0)]) == []
    d = only(decide(agents, [q], [contact(last_agent="last", waited=31.0)]))
    assert (d.agent, d.reason) == ("other", "skill_first")


def test_no_hold_for_a_last_agent_who_is_not_logged_in():
    q = queue(sticky=StickyPolicy(last_agent_wait=300.0))
    agents = [agent("other"), agent("last", presence="offline")]
    assert only(decide(agents, [q], [contact(last_agent="last", waited=1.0)])).agent == "other"


def test_the_dedicated_agent_comes_before_the_last_agent():
    q = queue(sticky=StickyPolicy(dedicated_agent_wait=0.0, last_agent_wait=0.0))
    agents = [agent("last"), agent("dedicated")]
    d = only(decide(agents, [q], [contact(last_agent="last", dedicated_agent="dedicated", tier="vip")]))
    assert (d.agent, d.reason) == ("dedicated", "sticky_dedicated_agent")


def test_the_sticky_agent_must_still_qualify():
    q = queue(sticky=StickyPolicy(last_agent_wait=300.0))
    agents = [agent("other"), agent("last", level=1)]
    assert only(decide(agents, [q], [contact(last_agent="last")])).agent == "other"


# ----- the long-lived router --------------------------------------------------------------------------


def router(agents, queues, contacts=(), now=NOW) -> Router:
    return Router(Snapshot(tuple(agents), tuple(queues), tuple(contacts)), now)


def test_offer_routes_a_new_contact_to_a_free_agent_at_once():
    r = router([agent("a")], [queue()])
    d = only(r.offer(contact("c1"), NOW))
    assert d.agent == "a"
    assert r.offer(contact("c2"), NOW) == []
    assert r.position("c2") == 1


def test_release_gives_the_freed_agent_the_highest_priority_contact():
    r = router([agent("a", presence="busy", load={"webchat": 1})], [queue()])
    r.offer(contact("old", waited=30.0), NOW)
    r.offer(contact("vip", tier="vip"), NOW)
    d = only(r.release("a", "webchat", NOW + 1))
    assert (d.contact, d.agent) == ("vip", "a")
    assert r.agent("a").total_load == 1


def test_release_into_after_contact_work_routes_only_when_it_ends():
    r = router([agent("a", presence="busy", load={"webchat": 1})], [queue()], [contact("c")])
    assert r.release("a", "webchat", NOW, acw_seconds=20.0) == []
    assert r.route(NOW + 10) == []
    assert only(r.route(NOW + 20)).agent == "a"


def test_a_held_contact_goes_to_its_last_agent_when_that_agent_is_freed():
    q = queue(sticky=StickyPolicy(last_agent_wait=60.0))
    agents = [
        agent("last", presence="busy", load={"webchat": 1}),
        agent("other", presence="busy", load={"webchat": 1}),
    ]
    r = router(agents, [q], [contact("mine", last_agent="last", waited=5.0)])
    assert r.release("other", "webchat", NOW) == []  # held for "last"
    d = only(r.release("last", "webchat", NOW + 1))
    assert (d.contact, d.agent, d.reason) == ("mine", "last", "sticky_last_agent")


def test_presence_changes_route_waiting_contacts():
    r = router([agent("a", presence="offline")], [queue()], [contact("c")])
    assert r.route(NOW) == []
    assert only(r.set_presence("a", "available", NOW)).contact == "c"
    with pytest.raises(CapacityError, match="open contacts"):
        r.set_presence("a", "offline", NOW)


def test_switching_the_strategy_at_run_time():
    chat = {"capacity": {"webchat": 2}, "max_total": 2}
    agents = [
        agent("expert", level=5, presence="busy", load={"webchat": 1}, **chat),
        agent("novice", level=2, **chat),
    ]
    r = router(agents, [queue()])
    assert only(r.offer(contact("c1"), NOW)).agent == "expert"
    r.upsert_queue(queue(strategy="idle_first"))
    assert only(r.offer(contact("c2"), NOW)).agent == "novice"


def test_upserting_an_agent_admits_it_to_its_queues():
    r = router([], [queue()], [contact("c")])
    assert only(r.upsert_agent(agent("new"), NOW)).agent == "new"
    r.upsert_agent(agent("new", level=1, presence="busy", load={"webchat": 1}), NOW)
    r.release("new", "webchat", NOW)
    assert r.offer(contact("c2"), NOW) == []  # no longer qualifies


def test_surge_mode_switches_reserves_in_and_out():
    r = router(
        [agent("r", is_reserve=True, capacity={"webchat": 2}, max_total=2)], [queue()], [contact("c1")]
    )
    assert only(r.set_surge(True, NOW)).agent == "r"
    r.set_surge(False, NOW)
    assert r.offer(contact("c2"), NOW) == []


def test_transfer_to_a_named_agent_checks_capacity_and_records_the_reason():
    r = router([agent("a"), agent("b", level=1)], [queue()])
    d = r.transfer_to_agent(contact("c"), "b", NOW)
    assert (d.agent, d.strategy, d.reason) == ("b", "transfer", "transfer_to_agent")
    with pytest.raises(CapacityError, match="no free capacity"):
        r.transfer_to_agent(contact("c2"), "b", NOW)


def test_withdrawn_contacts_are_not_routed():
    r = router([agent("a", presence="offline")], [queue()], [contact("c")])
    assert r.withdraw("c").id == "c"
    assert r.set_presence("a", "available", NOW) == []


# ----- bad input --------------------------------------------------------------------------------------


def test_unknown_names_are_reported():
    with pytest.raises(UnknownQueueError, match="'nope'") as caught:
        router([], [queue()], [contact(queue="nope")])
    assert caught.value.status == 404
    r = router([agent("a")], [queue()])
    with pytest.raises(UnknownAgentError, match="'ghost'"):
        r.release("ghost", "webchat", NOW)
    with pytest.raises(UnknownContactError):
        r.withdraw("ghost")
    with pytest.raises(UnknownSkillError, match="'billing'"):
        Router(Snapshot((agent("a"),), (queue(),), skills=frozenset({"sales"})), NOW)


def test_inconsistent_snapshots_are_rejected():
    with pytest.raises(InvalidFieldError, match="does not match queue"):
        router([], [queue()], [contact(channel="email")])
    with pytest.raises(InvalidFieldError, match="duplicate agent"):
        router([agent("a"), agent("a")], [queue()])
    with pytest.raises(InvalidFieldError, match="duplicate contact"):
        router([], [queue()], [contact("c"), contact("c")])
    with pytest.raises(InvalidFieldError, match="after_seconds must strictly increase"):
        queue(overflow=(OverflowStep(60), OverflowStep(30)))
    with pytest.raises(InvalidFieldError, match="queue.strategy"):
        queue(strategy="round_robin")


def test_time_never_goes_backwards():
    r = router([agent("a")], [queue()])
    r.route(NOW + 5)
    with pytest.raises(InvalidFieldError, match="now"):
        r.offer(contact("c"), NOW)
    with pytest.raises(InvalidFieldError, match="now"):
        r.route(float("nan"))


def test_an_agent_qualifying_only_by_overflow_takes_only_old_enough_contacts():
    q = queue(skills={"billing": 4}, overflow=(OverflowStep(60, min_level=1),))
    r = router([agent("novice", level=1, presence="busy", load={"webchat": 1})], [q])
    r.offer(contact("young", tier="vip"), NOW)
    r.offer(contact("old", waited=90.0), NOW)
    d = only(r.release("novice", "webchat", NOW + 1))
    assert (d.contact, d.reason) == ("old", "overflow_step_1")


def test_changing_overflow_at_run_time_applies_to_waiting_contacts():
    r = router([agent("novice", level=1)], [queue(skills={"billing": 4})], [contact("c", waited=120.0)])
    assert r.route(NOW) == []
    r.upsert_queue(queue(skills={"billing": 4}, overflow=(OverflowStep(60, min_level=1),)))
    assert only(r.route(NOW)).reason == "overflow_step_1"
    assert r.offer(contact("d"), NOW) == []
    with pytest.raises(InvalidFieldError, match="queue.channel"):
        r.upsert_queue(queue(channel="email"))


def test_the_skill_catalogue_is_checked_on_run_time_changes_too():
    r = Router(Snapshot((agent("a"),), (queue(),), skills=frozenset({"billing"})), NOW)
    with pytest.raises(UnknownSkillError, match="'sales'"):
        r.upsert_agent(agent("b", skills={"sales": 2}), NOW)
    with pytest.raises(UnknownSkillError, match="'sales'"):
        r.upsert_queue(queue(skills={"sales": 1}))


def test_no_hold_for_a_reserve_last_agent_outside_surge_mode():
    q = queue(sticky=StickyPolicy(last_agent_wait=300.0))
    agents = [agent("other"), agent("reserve", is_reserve=True, presence="busy", load={"webchat": 1})]
    assert only(decide(agents, [q], [contact(last_agent="reserve")])).agent == "other"
    assert decide(agents, [q], [contact(last_agent="reserve")], surge=True) == []  # in surge: held for it


def test_a_new_queue_admits_only_agents_who_qualify():
    r = router([agent("novice", level=1), agent("expert", level=5, capacity={"email": 1})], [queue()])
    r.upsert_queue(queue(id="hard", skills={"billing": 4}))
    assert r.offer(contact("c", queue="hard"), NOW) == []  # novice lacks the level, expert the channel
    r.upsert_queue(queue(id="mail", channel="email", skills={"billing": 4}))
    assert only(r.offer(contact("m", queue="mail", channel="email"), NOW)).agent == "expert"


def test_auto_away_stops_routing_to_the_agent_until_it_comes_back():
    r = router([agent("a")], [queue()])
    r.auto_away("a", NOW)
    assert r.agent("a").break_reason == "console_disconnected"
    assert r.offer(contact("c"), NOW) == []
    assert only(r.set_presence("a", "available", NOW + 1)).contact == "c"


def test_a_transfer_to_an_agent_just_out_of_wrap_up_leaves_it_routable():
    chat = {"capacity": {"webchat": 2}, "max_total": 2}
    r = router([agent("a", presence="after_contact_work", acw_until=NOW + 5, **chat)], [queue()])
    assert r.transfer_to_agent(contact("t"), "a", NOW + 10).agent == "a"
    assert only(r.offer(contact("c"), NOW + 11)).agent == "a"

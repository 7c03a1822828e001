import pytest

from kefu.routing import presence
from kefu.routing.errors import CapacityError, InvalidFieldError, TransitionError
from kefu.routing.state import AgentState, Presence


def agent(**changes) -> AgentState:
    values = {
        "id": "a1",
        "team": "t1",
        "skills": {"billing": 3},
        "presence": Presence.AVAILABLE,
        "capacity": {"voice": 1, "webchat": 3},
        "max_total": 3,
    }
    return AgentState(**(values | changes))


def test_assign_makes_the_agent_busy_and_resets_idle_time():
    busy = presence.assign(agent(idle_since=10.0), "webchat", now=50.0)
    assert busy.presence is Presence.BUSY
    assert busy.load["webchat"] == 1 and busy.total_load == 1
    assert busy.idle_since == 50.0


def test_assign_refuses_a_full_channel_and_the_combined_limit():
    full_voice = presence.assign(agent(), "voice", now=1.0)
    with pytest.raises(CapacityError, match="voice"):
        presence.assign(full_voice, "voice", now=2.0)
    three = agent(load={"webchat": 2, "voice": 1}, presence=Presence.BUSY)
    with pytest.raises(CapacityError, match="webchat"):
        presence.assign(three, "webchat", now=2.0)  # webchat 2 < 3, but 3 in all is the limit


def test_assign_refuses_agents_not_taking_contacts():
    with pytest.raises(CapacityError, match="break"):
        presence.assign(agent(presence=Presence.BREAK, break_reason="lunch"), "webchat", now=1.0)
    with pytest.raises(CapacityError):
        presence.assign(agent(is_reserve=True), "webchat", now=1.0)
    assert presence.assign(agent(is_reserve=True), "webchat", now=1.0, surge=True).total_load == 1


def test_release_enters_after_contact_work_which_expires_with_time():
    busy = presence.assign(agent(), "voice", now=0.0)
    acw = presence.release(busy, "voice", now=100.0, acw_seconds=30.0)
    assert acw.presence is Presence.AFTER_CONTACT_WORK and acw.acw_until == 130.0
    assert not presence.is_routable(acw, now=120.0)
    assert presence.expire_after_contact_work(acw, now=129.0) is acw
    free = presence.expire_after_contact_work(acw, now=131.0)
    assert free.presence is Presence.AVAILABLE
    assert free.idle_since == 130.0  # idle from the end of the wrap-up, not from the check


def test_a_later_release_never_shortens_running_after_contact_work():
    two = presence.assign(presence.assign(agent(), "webchat", 0.0), "webchat", 0.0)
    acw = presence.release(two, "webchat", now=10.0, acw_seconds=60.0)
    again = presence.release(acw, "webchat", now=20.0, acw_seconds=0.0)
    assert again.presence is Presence.AFTER_CONTACT_WORK and again.acw_until == 70.0


def test_release_without_wrap_up_returns_to_available_or_busy():
    two = presence.assign(presence.assign(agent(), "webchat", 0.0), "webchat", 0.0)
    one = presence.release(two, "webchat", now=5.0)
    assert one.presence is Presence.BUSY and one.idle_since == 0.0
    none = presence.release(one, "webchat", now=9.0)
    assert none.presence is Presence.AVAILABLE and none.idle_since == 9.0


def test_release_of_nothing_is_refused():
    with pytest.raises(CapacityError, match="no contact on voice"):
        presence.release(agent(), "voice", now=1.0)
    with pytest.raises(InvalidFieldError, match="acw_seconds"):
        presence.release(presence.assign(agent(), "voice", 0.0), "voice", now=1.0, acw_seconds=-1)


def test_logging_off_with_open_contacts_is_a_capacity_conflict():
    busy = presence.assign(agent(), "webchat", now=0.0)
    with pytest.raises(CapacityError, match="holds 1 open contacts"):
        presence.change_presence(busy, "offline", now=1.0)
    assert presence.change_presence(agent(), "offline", now=1.0).presence is Presence.OFFLINE


def test_break_needs_a_reason_and_keeps_current_contacts():
    busy = presence.assign(agent(), "webchat", now=0.0)
    with pytest.raises(InvalidFieldError, match="reason"):
        presence.change_presence(busy, "break", now=1.0)
    on_break = presence.change_presence(busy, "break", now=1.0, reason="lunch")
    assert on_break.presence is Presence.BREAK and on_break.break_reason == "lunch"
    assert on_break.load["webchat"] == 1
    back = presence.change_presence(on_break, "available", now=2.0)
    assert back.presence is Presence.BUSY and back.break_reason is None  # still holds a contact


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("offline", "busy"),
        ("offline", "after_contact_work"),
        ("available", "after_contact_work"),
        ("break", "busy"),
    ],
)
def test_transitions_not_in_the_table_are_refused(start, target):
    extra = {"break_reason": "x"} if start == "break" else {}
    with pytest.raises(TransitionError, match=f"from {start} to {target}"):
        presence.change_presence(agent(presence=start, **extra), target, now=1.0)


def test_every_state_can_reach_offline_or_break():
    for state, targets in presence.TRANSITIONS.items():
        assert targets & {Presence.OFFLINE, Presence.BREAK, Presence.AVAILABLE}, state


def test_available_needs_some_capacity():
    with pytest.raises(CapacityError, match="no capacity"):
        presence.change_presence(agent(presence="offline", capacity={}), "available", now=1.0)


def test_auto_away_stops_routing_but_keeps_contacts():
    busy = presence.assign(agent(), "webchat", now=0.0)
    away = presence.auto_away(busy, now=5.0)
    assert away.presence is Presence.BREAK and away.break_reason == presence.AUTO_AWAY_REASON
    assert not presence.is_routable(away, now=5.0) and away.total_load == 1
    assert presence.auto_away(away, now=6.0) is away


def test_lowering_capacity_below_the_load_is_refused():
    busy = presence.assign(presence.assign(agent(), "webchat", 0.0), "webchat", 0.0)
    with pytest.raises(CapacityError, match="webchat"):
        presence.set_capacity(busy, {"webchat": 1}, max_total=3)
    with pytest.raises(CapacityError, match="max_total"):
        presence.set_capacity(busy, {"webchat": 3}, max_total=1)
    assert presence.set_capacity(busy, {"webchat": 2}, max_total=2).capacity["webchat"] == 2


def test_a_snapshot_over_capacity_is_rejected():
    with pytest.raises(CapacityError, match="exceeds its capacity"):
        agent(load={"voice": 2})
    with pytest.raises(CapacityError, match="max_total"):
        agent(load={"voice": 1, "webchat": 3})


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"skills": {"billing": 6}}, "agent.skills[billing]"),
        ({"capacity": {"fax": 1}}, "agent.capacity[fax]"),
        ({"quality": 120.0}, "agent.quality"),
        ({"presence": "break"}, "agent.break_reason"),
        ({"id": ""}, "agent.id"),
        ({"idle_since": float("nan")}, "agent.idle_since"),
    ],
)
def test_bad_agent_fields_are_named(changes, field):
    with pytest.raises(InvalidFieldError) as caught:
        agent(**changes)
    assert caught.value.field == field

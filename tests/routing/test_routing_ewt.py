import pytest

from kefu.routing.engine import Router, Snapshot
from kefu.routing.errors import InvalidFieldError
from kefu.routing.ewt import QueueLoad, estimate_wait, recent_aht
from kefu.routing.state import AgentState, QueueConfig, WaitingContact


def test_free_places_serve_the_head_of_the_line_at_once():
    load = QueueLoad(waiting=5, slots=4, busy=2)
    assert estimate_wait(1, load, aht_seconds=300) == 0.0
    assert estimate_wait(2, load, aht_seconds=300) == 0.0


def test_everyone_else_waits_for_busy_places_to_free_up():
    load = QueueLoad(waiting=10, slots=4, busy=4)
    assert estimate_wait(1, load, 300) == pytest.approx(75.0)  # 1 × 300 / 4
    assert estimate_wait(8, load, 300) == pytest.approx(600.0)
    partly = QueueLoad(waiting=10, slots=4, busy=3)
    assert estimate_wait(3, partly, 300) == pytest.approx(200.0)  # (3 − 1) × 300 / 3


def test_the_estimate_grows_with_position_and_aht():
    load = QueueLoad(waiting=20, slots=3, busy=3)
    waits = [estimate_wait(p, load, 200) for p in range(1, 20)]
    assert waits == sorted(waits)
    assert estimate_wait(5, load, 400) == 2 * estimate_wait(5, load, 200)


def test_nobody_serving_means_unknown():
    assert estimate_wait(1, QueueLoad(waiting=1, slots=0, busy=0), 300) is None


def test_bad_input_is_named():
    with pytest.raises(InvalidFieldError, match="position"):
        estimate_wait(0, QueueLoad(1, 1, 0), 300)
    with pytest.raises(InvalidFieldError, match="aht_seconds"):
        estimate_wait(1, QueueLoad(1, 1, 0), 0)
    with pytest.raises(InvalidFieldError, match="busy"):
        QueueLoad(waiting=1, slots=1, busy=2)


def test_recent_aht_weighs_the_newest_handling_times_most():
    assert recent_aht([300.0]) == 300.0
    assert recent_aht([100.0, 100.0, 500.0], half_life=1) > 250.0
    assert recent_aht([100.0] * 20 + [500.0], half_life=20) < 150.0
    with pytest.raises(InvalidFieldError, match="durations"):
        recent_aht([])


def test_router_positions_and_queue_load_feed_the_estimate():
    agents = tuple(
        AgentState(
            id=f"a{i}", team="t", skills={"s": 2}, presence="available", capacity={"voice": 1}, max_total=1
        )
        for i in range(2)
    )
    queues = (QueueConfig(id="q", channel="voice", skills={"s": 1}), QueueConfig(id="r", channel="voice"))
    contacts = tuple(
        WaitingContact(id=f"c{i}", queue="q", channel="voice", enqueued_at=float(i)) for i in range(5)
    )
    router = Router(Snapshot(agents, queues, contacts), now=10.0)
    load = router.queue_load("q")
    assert (load.waiting, load.slots, load.busy) == (
        5,
        1.0,
        0.0,
    )  # each agent splits its voice line over q and r
    router.route(now=10.0)
    assert [c.id for c in router.waiting("q")] == ["c2", "c3", "c4"]
    assert router.position("c4") == 3
    load = router.queue_load("q")
    assert (load.waiting, load.busy) == (3, 1.0)
    assert estimate_wait(router.position("c2"), load, 300) == pytest.approx(300.0)
    assert router.estimated_wait("c4", 300) == pytest.approx(900.0)  # third in line, one busy place

import pytest

from kefu.tickets.lifecycle import (
    ACTIVE,
    SLA_PAUSED,
    InvalidTransition,
    TicketStatus,
    allowed_transitions,
    check_transition,
    is_reopen,
)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("new", "open"),
        ("open", "pending"),
        ("pending", "open"),
        ("open", "on_hold"),
        ("on_hold", "solved"),
        ("solved", "closed"),
        ("solved", "open"),
        ("closed", "open"),
    ],
)
def test_allowed_transitions(current, target):
    assert check_transition(current, target) == TicketStatus(target)


def test_closed_to_pending_names_the_allowed_ones():
    with pytest.raises(InvalidTransition) as info:
        check_transition("closed", "pending")
    assert info.value.allowed == [TicketStatus.open]
    assert "cannot go from closed to pending; allowed from closed: open" in str(info.value)


@pytest.mark.parametrize(("current", "target"), [("new", "closed"), ("open", "open"), ("pending", "closed")])
def test_refused_transitions(current, target):
    with pytest.raises(InvalidTransition):
        check_transition(current, target)


def test_every_status_can_reach_closed_and_back():
    # the machine has no dead end: from any status, closed is reachable, and closed reopens
    for status in TicketStatus:
        seen, frontier = {status}, [status]
        while frontier:
            nxt = [t for s in frontier for t in allowed_transitions(s) if t not in seen]
            seen.update(nxt)
            frontier = nxt
        assert TicketStatus.closed in seen


def test_reopen_and_unknown_status():
    assert is_reopen("solved", "open") and is_reopen("closed", "open")
    assert not is_reopen("pending", "open")
    with pytest.raises(ValueError, match="target: 'archived' is not a status"):
        check_transition("open", "archived")


def test_every_finished_status_pauses_the_clock():
    assert set(TicketStatus) - ACTIVE == {TicketStatus.solved, TicketStatus.closed}
    assert set(TicketStatus) - ACTIVE <= SLA_PAUSED
    assert TicketStatus.on_hold not in SLA_PAUSED  # the owner stays accountable while a department works

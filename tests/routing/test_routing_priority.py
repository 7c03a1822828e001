import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.routing.errors import InvalidFieldError
from kefu.routing.priority import PriorityPolicy, base_points, order_key, priority
from kefu.routing.state import TICKET_TYPES, TIERS, WaitingContact


def contact(cid="c1", enqueued_at=0.0, **changes) -> WaitingContact:
    return WaitingContact(id=cid, queue="q", channel="webchat", enqueued_at=enqueued_at, **changes)


def test_a_major_complaint_outranks_an_inquiry_even_from_a_vip():
    major = contact("c1", tier="new", ticket_type="complaint", severity="major")
    inquiry = contact("c2", tier="vip", ticket_type="inquiry")
    assert priority(major, now=0.0) > priority(inquiry, now=0.0)
    assert order_key(major) < order_key(inquiry)


def test_tier_and_explicit_urgency_raise_priority():
    assert priority(contact(tier="vip"), 0.0) > priority(contact(tier="active"), 0.0)
    assert priority(contact(urgency=3), 0.0) > priority(contact(urgency=0), 0.0)


def test_among_equals_the_longest_waiting_comes_first():
    older, newer = contact("c9", enqueued_at=10.0), contact("c1", enqueued_at=20.0)
    assert priority(older, 30.0) > priority(newer, 30.0)
    assert order_key(older) < order_key(newer)


def test_equal_priority_and_arrival_falls_back_to_the_id():
    assert order_key(contact("c1")) < order_key(contact("c2"))


def test_waiting_long_enough_overtakes_any_newcomer():
    policy = PriorityPolicy()
    old = contact("old", enqueued_at=0.0, tier="new")
    gap = base_points(contact(tier="vip", urgency=3, ticket_type="complaint", severity="major"))
    newcomer_at = gap * policy.ageing_seconds + 1.0
    vip = contact(
        "vip", enqueued_at=newcomer_at, tier="vip", urgency=3, ticket_type="complaint", severity="major"
    )
    assert order_key(old) < order_key(vip)


def test_the_formula_is_the_documented_sum():
    c = contact(tier="high_value", ticket_type="refund", urgency=2, enqueued_at=100.0)
    assert priority(c, now=220.0) == pytest.approx(3.0 + 2.0 + 2 * 2.0 + 120.0 / 60.0)


def test_waiting_time_before_enqueue_counts_as_zero():
    assert priority(contact(enqueued_at=100.0), now=50.0) == base_points(contact())


@given(
    st.lists(
        st.tuples(
            st.sampled_from(TIERS),
            st.sampled_from((None, *TICKET_TYPES)),
            st.sampled_from(("normal", "major")),
            st.integers(0, 3),
            st.integers(0, 10_000),
        ),
        min_size=2,
        max_size=12,
    ),
    st.integers(10_000, 100_000),
)
def test_order_key_sorts_exactly_as_priority_at_any_later_time(rows, now):
    contacts = [
        contact(f"c{i}", enqueued_at=float(t), tier=tier, ticket_type=kind, severity=sev, urgency=urg)
        for i, (tier, kind, sev, urg, t) in enumerate(rows)
    ]
    by_key = sorted(contacts, key=order_key)
    by_priority = sorted(contacts, key=lambda c: (-priority(c, now), c.enqueued_at, c.id))
    for a, b in zip(by_key, by_priority, strict=True):
        assert a == b or priority(a, now) == pytest.approx(priority(b, now))


def test_policy_must_cover_every_tier_and_type():
    with pytest.raises(InvalidFieldError, match="tier_points"):
        PriorityPolicy(tier_points={"vip": 1.0})
    with pytest.raises(InvalidFieldError, match="ageing_seconds"):
        PriorityPolicy(ageing_seconds=0)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tier": "gold"}, "contact.tier"),
        ({"urgency": 4}, "contact.urgency"),
        ({"ticket_type": "x"}, "contact.ticket_type"),
    ],
)
def test_bad_contact_fields_are_named(changes, field):
    with pytest.raises(InvalidFieldError) as caught:
        contact(**changes)
    assert caught.value.field == field

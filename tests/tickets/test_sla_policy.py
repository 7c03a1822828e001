from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.core.holidays import CHINA
from kefu.tickets.calendar import BusinessCalendar
from kefu.tickets.sla import (
    PolicyBook,
    PolicyRule,
    SlaError,
    SlaMetric,
    SlaPolicy,
    SlaTarget,
    StatusInterval,
    TicketTimes,
    sla_clocks,
)

HOUR = 3600
OFFICE = BusinessCalendar.build("Asia/Shanghai", {"mon-fri": ["09:00-12:00", "13:30-18:00"]}, CHINA)
EMAIL = SlaPolicy(
    "email",
    (
        SlaTarget(SlaMetric.first_response, 4 * HOUR, warn_before=HOUR),
        SlaTarget(SlaMetric.next_response, 8 * HOUR),
        SlaTarget(SlaMetric.resolution, 48 * HOUR, warn_before=4 * HOUR),
    ),
    OFFICE,
)
CHAT = SlaPolicy("chat", (SlaTarget(SlaMetric.first_response, 30),))
COMPLAINT = SlaPolicy("complaint", (SlaTarget(SlaMetric.first_response, 24 * HOUR),), OFFICE)
REPAIR = SlaPolicy("repair", (SlaTarget(SlaMetric.resolution, 48 * HOUR),), OFFICE)
BOOK = PolicyBook(
    {p.name: p for p in (EMAIL, CHAT, COMPLAINT, REPAIR)},
    [
        PolicyRule("complaint", types={"complaint"}),
        PolicyRule("repair", types={"repair"}),
        PolicyRule("chat", channels={"webchat", "app"}),
    ],
    default="email",
)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def clock(times, metric, policy=EMAIL):
    return next(c for c in sla_clocks(policy, times) if c.metric == metric)


@pytest.mark.parametrize(
    ("facts", "name"),
    [
        (("email", "inquiry", "normal", "active"), "email"),
        (("webchat", "inquiry", "high", "vip"), "chat"),
        (("webchat", "complaint", "normal", "new"), "complaint"),  # first matching rule wins
        (("voice", "repair", "low", "new"), "repair"),
        (("voice", "refund", "low", "new"), "email"),  # default
    ],
)
def test_policy_choice_first_match_then_default(facts, name):
    assert BOOK.choose(*facts).name == name


def test_deadline_across_night_and_weekend():
    # created Fri 2025-03-07 16:00 Shanghai (08:00 UTC): 2 h that day, 2 h on Monday → Mon 11:00
    times = TicketTimes(1, utc(2025, 3, 7, 8))
    fr = clock(times, SlaMetric.first_response)
    assert fr.deadline == utc(2025, 3, 10, 3)
    assert fr.warn_at == utc(2025, 3, 10, 2)  # one business hour before
    assert fr.stopped_at is None and not fr.breached


def test_deadline_across_spring_festival_with_makeup_day():
    # created Sun 2025-01-26 (a make-up working day) 17:00 Shanghai; a 12 h target: 1 h that day, 7.5 h
    # on Monday the 27th, the break Jan 28–Feb 4, then 3.5 h on Wed Feb 5 → 14:00 Shanghai
    times = TicketTimes(1, utc(2025, 1, 26, 9))
    long_first_response = SlaPolicy("slow", (SlaTarget(SlaMetric.first_response, 12 * HOUR),), OFFICE)
    assert clock(times, SlaMetric.first_response, long_first_response).deadline == utc(2025, 2, 5, 6)
    # 48 business hours of resolution = 6.4 working days: Jan 26–27 (1.5 h), Feb 5–7, Sat Feb 8 (make-up),
    # Feb 10, then the rest on Feb 11
    resolution = clock(times, SlaMetric.resolution)
    assert OFFICE.business_seconds_between(times.created_at, resolution.deadline) == 48 * HOUR
    assert resolution.deadline.date() == datetime(2025, 2, 11).date()


def test_pending_pauses_and_resumes():
    created = utc(2025, 3, 4, 1)  # Tue 09:00 Shanghai
    history = (
        StatusInterval("open", created, created + timedelta(hours=1)),
        StatusInterval("pending", created + timedelta(hours=1), created + timedelta(days=1)),
        StatusInterval("open", created + timedelta(days=1)),
    )
    # 1 h ran before the pause (09:00–10:00), resumed Wed 09:00 with 47 h left
    resolution = clock(TicketTimes(7, created, history), SlaMetric.resolution)
    unpaused = clock(TicketTimes(7, created), SlaMetric.resolution)
    paused_business = OFFICE.business_seconds_between(
        created + timedelta(hours=1), created + timedelta(days=1)
    )
    assert paused_business == 6.5 * HOUR
    assert OFFICE.business_seconds_between(unpaused.deadline, resolution.deadline) == paused_business


def test_open_pause_holds_the_deadline_back():
    created = utc(2025, 3, 4, 1)
    history = (
        StatusInterval("open", created, created + timedelta(hours=2)),
        StatusInterval("pending", created + timedelta(hours=2)),
    )
    resolution = clock(TicketTimes(7, created, history), SlaMetric.resolution)
    assert resolution.deadline is None and resolution.warn_at is None
    assert resolution.remaining == 46 * HOUR


def test_warning_before_the_pause_is_kept():
    # 09:00 Shanghai; first response 4 h, warning after 3 h at 12:00 (04:00 UTC); pending from 13:45,
    # after 3 h 15 min of business time
    created = utc(2025, 3, 4, 1)
    history = (StatusInterval("pending", utc(2025, 3, 4, 5, 45)),)
    fr = clock(TicketTimes(7, created, history), SlaMetric.first_response)
    assert fr.warn_at == utc(2025, 3, 4, 4)
    assert fr.deadline is None and fr.remaining == 0.75 * HOUR


def test_stopped_clock_reports_breach():
    created = utc(2025, 3, 4, 1)
    late = TicketTimes(7, created, first_response_at=utc(2025, 3, 4, 8))
    on_time = TicketTimes(7, created, first_response_at=utc(2025, 3, 4, 2))
    assert clock(late, SlaMetric.first_response).breached
    assert not clock(on_time, SlaMetric.first_response).breached


def test_next_response_cycle_only_after_first_response():
    created = utc(2025, 3, 4, 1)
    waiting = utc(2025, 3, 5, 1)
    assert SlaMetric.next_response not in {c.metric for c in sla_clocks(EMAIL, TicketTimes(1, created))}
    times = TicketTimes(1, created, first_response_at=utc(2025, 3, 4, 2), awaiting_reply_since=waiting)
    nr = clock(times, SlaMetric.next_response)
    assert nr.started_at == waiting and nr.deadline == utc(2025, 3, 6, 1, 30)


def test_24x7_chat_policy():
    created = utc(2025, 10, 1, 3)  # a holiday does not matter around the clock
    assert clock(TicketTimes(1, created), SlaMetric.first_response, CHAT).deadline == created + timedelta(
        seconds=30
    )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: SlaTarget(SlaMetric.first_response, 0), "first_response.seconds: must be a positive"),
        (
            lambda: SlaTarget(SlaMetric.resolution, 10, warn_before=10),
            "resolution.warn_before: must be shorter",
        ),
        (lambda: SlaTarget("reply", 10), "'reply' is not a valid SlaMetric"),
        (lambda: SlaPolicy("x", (SlaTarget("resolution", 1), SlaTarget("resolution", 2))), "two targets"),
        (lambda: PolicyRule("x", channels={"fax"}), r"channels: unknown \['fax'\]"),
        (lambda: PolicyRule("x", tiers={"gold"}), r"tiers: unknown \['gold'\]"),
        (
            lambda: PolicyRule("x", types="complaint"),
            "types: expected a set of values, got the single string",
        ),
        (
            lambda: PolicyBook({"a": CHAT}, [PolicyRule("b")], default="a"),
            r"rules\[0\]: no SLA policy named 'b'",
        ),
        (lambda: PolicyBook({"a": CHAT}, [], default="z"), "default: no SLA policy named 'z'"),
    ],
)
def test_bad_configuration_is_refused(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_bad_history_is_refused():
    created = utc(2025, 3, 4, 1)
    backwards = (StatusInterval("pending", created, created - timedelta(hours=1)),)
    with pytest.raises(SlaError, match=r"status_history\[0\]: ends before it starts"):
        sla_clocks(EMAIL, TicketTimes(1, created, backwards))
    with pytest.raises(ValueError, match=r"status_history\[0\].status: 'waiting' is not a status"):
        sla_clocks(EMAIL, TicketTimes(1, created, (StatusInterval("waiting", created),)))
    with pytest.raises(ValueError, match="created_at: naive datetime"):
        sla_clocks(EMAIL, TicketTimes(1, datetime(2025, 3, 4)))


# --- properties: pauses cost exactly the business time they cover ---------------------------------------

instants = st.datetimes(datetime(2024, 6, 1), datetime(2026, 6, 1), timezones=st.just(UTC))
gaps = st.lists(st.integers(min_value=60, max_value=5 * 86400), min_size=2, max_size=8)


def paused_history(created, lengths):
    """Alternate open and pending intervals of the given lengths after `created`, all closed."""
    history, t = [], created
    for i, length in enumerate(lengths):
        end = t + timedelta(seconds=length)
        history.append(StatusInterval("pending" if i % 2 else "open", t, end))
        t = end
    history.append(StatusInterval("open", t))
    return tuple(history)


ROUND_THE_CLOCK = SlaPolicy("24x7", (SlaTarget(SlaMetric.resolution, 24 * HOUR),))


@settings(max_examples=150, deadline=None)
@given(instants, gaps, st.sampled_from([EMAIL, ROUND_THE_CLOCK]))
def test_running_time_to_the_deadline_is_the_target(created, lengths, policy):
    history = paused_history(created, lengths)
    deadline = clock(TicketTimes(1, created, history), SlaMetric.resolution, policy).deadline
    cal = policy.calendar
    paused = sum(
        cal.business_seconds_between(iv.start, min(iv.end, deadline))
        for iv in history
        if iv.status == "pending" and iv.start < deadline
    )
    target = policy.target(SlaMetric.resolution).seconds
    assert cal.business_seconds_between(created, deadline) - paused == pytest.approx(target, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(instants, gaps)
def test_a_pause_never_brings_the_deadline_forward(created, lengths):
    unpaused = clock(TicketTimes(1, created), SlaMetric.resolution).deadline
    paused = clock(TicketTimes(1, created, paused_history(created, lengths)), SlaMetric.resolution).deadline
    assert paused >= unpaused


def test_a_stop_before_the_start_is_refused():
    created = utc(2025, 3, 4, 1)
    with pytest.raises(SlaError, match="first_response.stopped_at: 2025-03-04T00:00:00[+]00:00 is before"):
        sla_clocks(EMAIL, TicketTimes(1, created, first_response_at=created - timedelta(hours=1)))


def test_reopened_ticket_resumes_resolution_with_the_time_used():
    created = utc(2025, 3, 4, 1)  # Tue 09:00 Shanghai
    solved, reopened = utc(2025, 3, 4, 3), utc(2025, 3, 6, 1)  # solved after 2 h, reopened Thu 09:00
    history = (
        StatusInterval("open", created, solved),
        StatusInterval("solved", solved, reopened),
        StatusInterval("open", reopened),
    )
    resolution = clock(TicketTimes(1, created, history), SlaMetric.resolution)
    # 46 business hours left from Thu 09:00: Thu, Fri, Mon–Thu (6 × 7.5 = 45 h), then 1 h on Fri 14 Mar
    assert resolution.deadline == utc(2025, 3, 14, 2)

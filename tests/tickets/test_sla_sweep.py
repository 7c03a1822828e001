from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.core.holidays import CHINA
from kefu.tickets.calendar import BusinessCalendar
from kefu.tickets.escalation import EscalationLevel
from kefu.tickets.sla import SlaMetric, SlaPolicy, SlaTarget, StatusInterval, TicketTimes
from kefu.tickets.sweep import SlaEventKind, SweepTicket, next_due, sweep

HOUR = 3600
OFFICE = BusinessCalendar.build("Asia/Shanghai", {"mon-fri": ["09:00-12:00", "13:30-18:00"]}, CHINA)
POLICY = SlaPolicy(
    "email",
    (
        SlaTarget(SlaMetric.first_response, 4 * HOUR, warn_before=HOUR),
        SlaTarget(SlaMetric.next_response, 2 * HOUR),
        SlaTarget(SlaMetric.resolution, 48 * HOUR, warn_before=4 * HOUR),
    ),
    OFFICE,
)
CREATED = datetime(2025, 3, 4, 1, tzinfo=UTC)  # Tue 09:00 Shanghai: first response due 14:30 (06:30 UTC)


def run_passes(tickets, instants):
    """Sweep at each instant, recording what comes back, like the scheduler does."""
    recorded, fired = set(), []
    for now in instants:
        events = sweep(tickets, now, recorded)
        recorded.update(e.key for e in events)
        fired.extend(events)
    return fired


def kinds(events):
    return [(e.kind, e.subject) for e in events]


def test_warning_then_breach_then_escalations_each_once():
    ticket = SweepTicket(TicketTimes(1, CREATED), POLICY)
    passes = [CREATED + timedelta(minutes=m) for m in range(0, 8 * 60, 7)]
    fired = run_passes([ticket], passes + passes[-3:])  # the last passes run twice
    assert kinds(fired) == [
        (SlaEventKind.warning, "first_response"),
        (SlaEventKind.escalation, "team_lead"),
        (SlaEventKind.breach, "first_response"),
        (SlaEventKind.escalation, "supervisor"),
    ]
    warning, lead, breach, supervisor = fired
    assert warning.due_at == datetime(2025, 3, 4, 4, tzinfo=UTC)  # 12:00 Shanghai
    assert lead.due_at == warning.due_at
    assert breach.due_at == supervisor.due_at == datetime(2025, 3, 4, 6, 30, tzinfo=UTC)


def test_a_restart_after_downtime_catches_up_without_duplicates():
    ticket = SweepTicket(TicketTimes(1, CREATED), POLICY)
    first = run_passes([ticket], [CREATED])
    # the server was down all day; the next pass finds the breach (not the stale warning) and both levels
    later = CREATED + timedelta(hours=10)
    recorded = {e.key for e in first}
    events = sweep([ticket], later, recorded)
    assert kinds(events) == [
        (SlaEventKind.breach, "first_response"),
        (SlaEventKind.escalation, "team_lead"),
        (SlaEventKind.escalation, "supervisor"),
    ]
    assert sweep([ticket], later, recorded | {e.key for e in events}) == []


def test_pending_ticket_fires_nothing_until_it_resumes():
    responded = CREATED + timedelta(minutes=30)
    history = (StatusInterval("open", CREATED, responded), StatusInterval("pending", responded))
    times = TicketTimes(2, CREATED, history, first_response_at=responded)
    assert sweep([SweepTicket(times, POLICY)], CREATED + timedelta(days=20), set()) == []


def test_met_first_response_fires_nothing_but_a_late_one_is_recorded():
    on_time = TicketTimes(3, CREATED, first_response_at=CREATED + timedelta(hours=1))
    late = TicketTimes(4, CREATED, first_response_at=CREATED + timedelta(hours=9))
    now = CREATED + timedelta(hours=10)
    events = sweep([SweepTicket(on_time, POLICY), SweepTicket(late, POLICY)], now, set())
    assert [(e.ticket_id, e.kind, e.subject) for e in events] == [(4, SlaEventKind.breach, "first_response")]


def test_each_next_response_cycle_fires_its_own_breach():
    responded = CREATED + timedelta(minutes=10)
    cycle1, cycle2 = CREATED + timedelta(hours=1), CREATED + timedelta(days=1)
    t1 = TicketTimes(5, CREATED, first_response_at=responded, awaiting_reply_since=cycle1)
    t2 = TicketTimes(5, CREATED, first_response_at=responded, awaiting_reply_since=cycle2)
    recorded = set()
    first = sweep(
        [SweepTicket(t1, POLICY, level=EscalationLevel.supervisor)], cycle1 + timedelta(hours=6), recorded
    )
    recorded |= {e.key for e in first}
    second = sweep(
        [SweepTicket(t2, POLICY, level=EscalationLevel.supervisor)], cycle2 + timedelta(hours=6), recorded
    )
    assert kinds(first) == kinds(second) == [(SlaEventKind.breach, "next_response")]
    assert first[0].cycle == cycle1 and second[0].cycle == cycle2


def test_major_complaint_escalates_to_supervisor_at_creation():
    ticket = SweepTicket(TicketTimes(6, CREATED), POLICY, major_complaint=True)
    events = sweep([ticket], CREATED, set())
    assert [(e.kind, e.subject, e.due_at, e.reason) for e in events] == [
        (SlaEventKind.escalation, "supervisor", CREATED, "major complaint")
    ]


def test_event_keys_are_plain_values_for_the_database():
    (event,) = sweep([SweepTicket(TicketTimes(9, CREATED), POLICY, major_complaint=True)], CREATED, set())
    assert event.key == (9, "escalation", "supervisor", 1741050000000000)  # CREATED in µs since the epoch
    assert all(type(part) in (int, str) for part in event.key)


# --- property: over any sequence of passes, every event is recorded once and a repeat pass finds nothing ---

offsets = st.lists(st.integers(min_value=0, max_value=20 * 86400), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(offsets, st.integers(min_value=0, max_value=10 * 86400), st.booleans())
def test_passes_record_each_event_once(pass_offsets, pending_after, major):
    pause_at = CREATED + timedelta(seconds=pending_after)
    history = (
        StatusInterval("open", CREATED, pause_at),
        StatusInterval("pending", pause_at, pause_at + timedelta(days=2)),
    )
    ticket = SweepTicket(TicketTimes(1, CREATED, history), POLICY, major_complaint=major)
    recorded = set()
    for offset in sorted(pass_offsets):
        now = CREATED + timedelta(seconds=offset)
        events = sweep([ticket], now, recorded)
        keys = [e.key for e in events]
        assert len(keys) == len(set(keys)) and not recorded & set(keys)
        assert all(e.due_at <= now for e in events)
        recorded |= set(keys)
        assert sweep([ticket], now, recorded) == []


def test_next_due_is_the_next_warning_breach_or_escalation():
    ticket = SweepTicket(TicketTimes(1, CREATED), POLICY)
    warning_at = datetime(2025, 3, 4, 4, tzinfo=UTC)  # first-response warning, 12:00 Shanghai
    assert next_due(ticket, CREATED) == warning_at
    assert next_due(ticket, warning_at) == datetime(2025, 3, 4, 6, 30, tzinfo=UTC)  # the breach
    paused = TicketTimes(2, CREATED, (StatusInterval("pending", CREATED),))
    assert next_due(SweepTicket(paused, POLICY), CREATED) is None


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=0, max_value=15 * 86400),
    st.integers(min_value=0, max_value=10 * 86400),
    st.booleans(),
)
def test_nothing_new_before_next_due_and_something_at_it(offset, pending_after, answered):
    pause_at = CREATED + timedelta(seconds=pending_after)
    history = (
        StatusInterval("open", CREATED, pause_at),
        StatusInterval("pending", pause_at, pause_at + timedelta(days=1)),
    )
    first = CREATED + timedelta(minutes=20) if answered else None
    ticket = SweepTicket(TicketTimes(1, CREATED, history, first_response_at=first), POLICY)
    now = CREATED + timedelta(seconds=offset)
    recorded = {e.key for e in sweep([ticket], now, set())}
    due = next_due(ticket, now)
    if due is None:
        assert sweep([ticket], now + timedelta(days=400), recorded) == []
        return
    assert due > now
    assert sweep([ticket], due - timedelta(microseconds=1), recorded) == []
    assert sweep([ticket], due, recorded) != []

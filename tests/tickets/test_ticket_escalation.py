from datetime import UTC, datetime, timedelta

import pytest

from kefu.tickets.calendar import TWENTY_FOUR_SEVEN, BusinessCalendar
from kefu.tickets.escalation import (
    EscalationError,
    EscalationLevel,
    EscalationPolicy,
    EscalationStep,
    SlaSignal,
    due_escalations,
    manual_escalation,
)

L = EscalationLevel
T0 = datetime(2025, 3, 4, 1, tzinfo=UTC)
SIGNAL = SlaSignal.at("resolution", warn_at=T0, deadline=T0 + timedelta(hours=4))
DEFAULT = EscalationPolicy()


def levels(decisions):
    return [d.level for d in decisions]


def test_nothing_before_risk():
    assert due_escalations(DEFAULT, TWENTY_FOUR_SEVEN, "agent", [SIGNAL], T0 - timedelta(seconds=1)) == []


def test_risk_reaches_team_lead_then_breach_reaches_supervisor():
    at_risk = due_escalations(DEFAULT, TWENTY_FOUR_SEVEN, "agent", [SIGNAL], T0)
    assert levels(at_risk) == [L.team_lead]
    assert at_risk[0].reason == "resolution at_risk" and at_risk[0].due_at == T0
    breached = due_escalations(DEFAULT, TWENTY_FOUR_SEVEN, "team_lead", [SIGNAL], T0 + timedelta(hours=5))
    assert levels(breached) == [L.supervisor]
    assert breached[0].due_at == T0 + timedelta(hours=4)


def test_a_late_pass_returns_every_level_in_order():
    decisions = due_escalations(DEFAULT, TWENTY_FOUR_SEVEN, "agent", [SIGNAL], T0 + timedelta(days=1))
    assert levels(decisions) == [L.team_lead, L.supervisor]


def test_never_moves_down():
    assert due_escalations(DEFAULT, TWENTY_FOUR_SEVEN, "supervisor", [SIGNAL], T0 + timedelta(days=1)) == []


def test_major_complaint_goes_straight_to_supervisor():
    decisions = due_escalations(DEFAULT, TWENTY_FOUR_SEVEN, "agent", [], T0, major_complaint_since=T0)
    assert levels(decisions) == [L.supervisor]
    assert decisions[0].reason == "major complaint"


def test_delay_is_in_business_time_and_earliest_metric_wins():
    office = BusinessCalendar.build("UTC", {"mon-fri": ["09:00-17:00"]})
    policy = EscalationPolicy(steps=(EscalationStep("team_lead", "breach", after_seconds=2 * 3600),))
    friday_close = datetime(2025, 3, 7, 16, tzinfo=UTC)
    signals = [
        SlaSignal.at("resolution", None, friday_close + timedelta(days=3)),
        SlaSignal.at("first_response", None, friday_close),
    ]
    # breach Fri 16:00 + 2 business hours = Mon 10:00
    assert due_escalations(policy, office, "agent", signals, datetime(2025, 3, 10, 9, 59, tzinfo=UTC)) == []
    (decision,) = due_escalations(policy, office, "agent", signals, datetime(2025, 3, 10, 10, tzinfo=UTC))
    assert decision.due_at == datetime(2025, 3, 10, 10, tzinfo=UTC)
    assert decision.reason == "first_response breach"


def test_unknown_deadlines_do_not_escalate():
    paused = SlaSignal.at("resolution", None, None)
    assert due_escalations(DEFAULT, TWENTY_FOUR_SEVEN, "agent", [paused], T0 + timedelta(days=30)) == []


def test_a_shorter_chain():
    chain = EscalationPolicy(chain=("agent", "supervisor"), steps=(EscalationStep("supervisor", "breach"),))
    assert manual_escalation(chain, "agent") == L.supervisor
    assert levels(due_escalations(chain, TWENTY_FOUR_SEVEN, "agent", [SIGNAL], T0 + timedelta(hours=4))) == [
        L.supervisor
    ]


def test_manual_escalation():
    assert manual_escalation(DEFAULT, "agent") == L.team_lead
    assert manual_escalation(DEFAULT, "agent", to="supervisor") == L.supervisor
    with pytest.raises(EscalationError, match="already the top"):
        manual_escalation(DEFAULT, "supervisor")
    with pytest.raises(EscalationError, match="to: team_lead is not above the current level supervisor"):
        manual_escalation(DEFAULT, "supervisor", to="team_lead")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: EscalationPolicy(chain=("agent",)), "chain: needs at least two"),
        (lambda: EscalationPolicy(chain=("agent", "boss")), "chain: 'boss' is not one of"),
        (lambda: EscalationStep("agent", "late"), "steps.on: 'late' is not one of"),
        (lambda: EscalationStep("team_lead", "breach", after_seconds=-1), "steps.after_seconds"),
        (
            lambda: EscalationPolicy(chain=("agent", "team_lead"), steps=()),
            "major_complaint_level: supervisor is not in the chain",
        ),
        (
            lambda: EscalationPolicy(steps=(EscalationStep("agent", "breach"),)),
            "steps.level: agent is not above",
        ),
    ],
)
def test_bad_configuration_is_refused(build, message):
    with pytest.raises(EscalationError, match=message):
        build()


def test_at_risk_without_a_warning_means_at_the_deadline():
    no_warning = SlaSignal.at("next_response", None, T0)
    assert due_escalations(DEFAULT, TWENTY_FOUR_SEVEN, "agent", [no_warning], T0 - timedelta(seconds=1)) == []
    assert levels(due_escalations(DEFAULT, TWENTY_FOUR_SEVEN, "agent", [no_warning], T0)) == [
        L.team_lead,
        L.supervisor,
    ]

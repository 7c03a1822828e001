"""The console's pure parts: today's boundary, per-queue figures, queue eligibility, presence choices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kefu.analytics.measures import ContactRecord
from kefu.core.errors import NotFound
from kefu.routing.errors import CapacityError, InvalidFieldError, TransitionError
from kefu.routing.state import Presence
from kefu.web.console.presence import PresenceView, parse_choice, refusal
from kefu.web.console.wallboard import hourly_volume, queue_figures, start_of_day

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def test_today_starts_at_midnight_in_the_centre_time_zone():
    assert start_of_day(NOW, "Asia/Shanghai") == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    assert start_of_day(NOW, "UTC") == datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    # 23:30 UTC is already tomorrow in Shanghai.
    late = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    assert start_of_day(late, "Asia/Shanghai") == datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="now"):
        start_of_day(datetime(2026, 3, 2), "UTC")


def _contact(wait: float | None, abandoned: bool = False) -> ContactRecord:
    queued = NOW - timedelta(hours=1)
    answered = queued + timedelta(seconds=wait) if wait is not None else None
    return ContactRecord(queued_at=queued, answered_at=answered, ended_at=None, abandoned=abandoned)


def _figures(channel: str, today: list[ContactRecord], **live):
    values = {"waiting": 0, "longest_wait_seconds": 0.0, "ewt_seconds": None} | live
    return queue_figures(queue_id=1, name="q", channel=channel, today=today, **values)


def test_figures_follow_the_glossary_with_the_channel_threshold():
    today = [_contact(10), _contact(14), _contact(20), _contact(None, abandoned=True)]
    voice = _figures("voice", today, waiting=2, longest_wait_seconds=40.0, ewt_seconds=42.0)
    assert (voice.waiting, voice.offered, voice.answered, voice.abandoned) == (2, 4, 3, 1)
    assert (voice.longest_wait_seconds, voice.ewt_seconds) == (40.0, 42.0)
    assert voice.answer_rate == 0.75
    assert voice.service_level == 0.5 and voice.service_level_seconds == 15  # 10 s and 14 s of 4
    chat = _figures("webchat", today)
    assert chat.service_level == 0.75 and chat.service_level_seconds == 30
    assert (
        _figures("email", today).service_level == 0.75 and _figures("fax", today).service_level_seconds == 30
    )


def test_a_quiet_queue_has_no_rates_rather_than_zero():
    idle = _figures("email", [])
    assert idle.answer_rate is None and idle.service_level is None and idle.offered == 0


def test_negative_live_figures_are_refused():
    with pytest.raises(ValueError, match="waiting"):
        _figures("voice", [], waiting=-1)


def test_presence_choices_parse_into_routing_states():
    assert parse_choice("available") == ("available", None)
    assert parse_choice("break:meal") == ("break", "meal")
    for bad in ("busy", "break", "break:nap", "after_contact_work"):
        with pytest.raises(ValueError, match="choice"):
            parse_choice(bad)
    assert PresenceView(Presence.BREAK, NOW, "meal").choice == "break:meal"
    assert PresenceView(Presence.BUSY, NOW).choice == "busy"  # shown, not offered


def test_each_routing_refusal_has_its_own_explanation():
    reasons = {
        refusal(CapacityError("7", "holds contacts")),
        refusal(TransitionError("7", "cannot")),
        refusal(InvalidFieldError("presence.reason", "a break needs a reason")),
        refusal(NotFound("agent 7 not found")),
    }
    assert len(reasons) == 4


def test_hourly_volume_counts_by_the_centre_local_hour_up_to_now():
    at = lambda h, m=0: datetime(2026, 3, 1, 16, 0, tzinfo=UTC) + timedelta(hours=h, minutes=m)  # noqa: E731
    contacts = [
        ContactRecord(queued_at=at(0, 5), answered_at=at(0, 6), ended_at=None, abandoned=False),
        ContactRecord(queued_at=at(0, 50), answered_at=None, ended_at=None, abandoned=True),
        ContactRecord(queued_at=at(8, 59), answered_at=at(9, 1), ended_at=None, abandoned=False),
        ContactRecord(queued_at=None, answered_at=None, ended_at=None, abandoned=False),  # the bot kept it
    ]
    volume = hourly_volume(contacts, "Asia/Shanghai", until=NOW)  # 09:00 in Shanghai
    assert volume.hours == list(range(10))
    assert volume.offered == [2, 0, 0, 0, 0, 0, 0, 0, 1, 0]
    assert volume.answered == [1, 0, 0, 0, 0, 0, 0, 0, 1, 0]
    with pytest.raises(ValueError, match="until"):
        hourly_volume(contacts, "UTC", until=datetime(2026, 3, 2))

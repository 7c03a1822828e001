from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from kefu.access.passwords import verify_password
from kefu.channels.models import Conversation, Message
from kefu.customers.models import Customer
from kefu.demo.generate import DEMO_PASSWORD, fingerprint, generate
from kefu.demo.load import load
from kefu.tickets.models import Ticket

ANCHOR = date(2026, 3, 1)


@pytest.fixture(scope="module")
def demo():
    return generate(ANCHOR)


def test_same_seed_and_day_give_identical_data(demo):
    assert fingerprint(generate(ANCHOR)) == fingerprint(demo)
    assert fingerprint(generate(ANCHOR, seed=7)) != fingerprint(demo)


def test_the_centre_has_the_promised_organisation(demo):
    users = demo.tables["users"]
    roles = Counter(u["role"] for u in users)
    assert roles["agent"] >= 20 and roles["team_lead"] == len(demo.tables["teams"]) >= 3
    assert (
        roles["qa_specialist"] >= 1
        and roles["trainer"] >= 1
        and roles["supervisor"] >= 1
        and roles["admin"] >= 1
    )
    assert len(demo.tables["departments"]) >= 2
    leads = {t["lead_id"] for t in demo.tables["teams"]}
    assert all(next(u for u in users if u["id"] == lead)["role"] == "team_lead" for lead in leads)
    levels = {s["level"] for s in demo.tables["agent_skills"]}
    assert levels <= {1, 2, 3, 4, 5} and len(levels) >= 4
    assert all(u["username"] in {login[0] for login in demo.logins} for u in users)


def test_history_is_large_mixed_and_diurnal(demo):
    customers = demo.tables["customers"]
    assert len(customers) == 500
    assert {c["tier"] for c in customers} == {"new", "active", "high_value", "vip"}
    conversations = demo.tables["conversations"]
    assert len(conversations) >= 3000
    assert {"webchat", "email", "voice"} <= {c["channel"] for c in conversations}
    span = max(c["started_at"] for c in conversations) - min(c["started_at"] for c in conversations)
    assert timedelta(days=29) < span <= timedelta(days=30)
    local_hours = Counter((c["started_at"] + timedelta(hours=8)).hour for c in conversations)
    assert local_hours[10] > 5 * local_hours[3]  # late morning is busy, the small hours quiet
    assert {t["type"] for t in demo.tables["tickets"]} == {
        "inquiry",
        "complaint",
        "suggestion",
        "repair",
        "refund",
    }
    assert any(t["severity"] == "major" for t in demo.tables["tickets"])
    answered = [s for s in demo.tables["surveys"] if s["answered_at"]]
    assert answered and all(1 <= s[d] <= 5 for s in answered for d in ("attitude", "efficiency", "accuracy"))
    assert {a["language"] for a in demo.tables["articles"]} == {"zh", "en"}


def test_timings_are_consistent(demo):
    for c in demo.tables["conversations"]:
        if c["answered_at"]:
            assert c["queued_at"] <= c["answered_at"] <= c["ended_at"]
            assert not c["abandoned"] and c["agent_id"]
        if c["abandoned"]:
            assert c["answered_at"] is None and c["agent_id"] is None


def test_loading_writes_every_row(runtime):
    data = load(runtime.sessions, ANCHOR, show_progress=False)
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Conversation)) == len(
            data.tables["conversations"]
        )
        assert session.scalar(select(func.count()).select_from(Message)) == len(data.tables["messages"])
        assert session.scalar(select(func.count()).select_from(Ticket)) == len(data.tables["tickets"])
        # Ids continue after the loaded rows (PostgreSQL sequences were moved past them).
        session.add(Customer(name="new one", created_at=data.tables["customers"][0]["created_at"]))
        session.flush()
        assert session.scalar(select(func.max(Customer.id))) == 501
        session.rollback()


def test_demo_logins_work(client, runtime):
    load(runtime.sessions, ANCHOR, show_progress=False)
    from kefu.access.models import User

    with runtime.sessions() as session:
        admin = session.scalar(select(User).where(User.username == "admin"))
    assert verify_password(admin.password_hash, DEMO_PASSWORD)

"""Permission changes are requests: applied only when someone else approves, every step recorded."""

from __future__ import annotations

from sqlalchemy import select

from kefu.access.models import AuditEntry, User
from kefu.access.roles import Role


def _request(client, csrf, user_id, **changes):
    body = {"user_id": user_id, "reason": "covering the night shift", **changes}
    return client.post("/api/v1/permission-requests", json=body, headers=csrf)


def test_a_change_applies_only_on_approval_and_takes_effect_on_the_next_request(
    client, world, as_user, runtime
):
    lead = world.users[Role.team_lead]
    as_user(client, lead)
    assert client.get(f"/api/v1/customers/{world.mine}").status_code == 200  # team A's customer

    csrf = as_user(client, world.users[Role.admin])
    request = _request(client, csrf, lead.id, team_id=world.team_b.id).json()
    assert request["status"] == "pending" and request["changes"] == {"team_id": world.team_b.id}
    as_user(client, lead)
    assert client.get(f"/api/v1/customers/{world.mine}").status_code == 200  # nothing applied yet

    csrf = as_user(client, world.users[Role.supervisor])
    decided = client.post(
        f"/api/v1/permission-requests/{request['id']}/approve", json={"reason": "ok"}, headers=csrf
    )
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    as_user(client, lead)  # the same session kind, no re-login: rights are re-read on every request
    assert client.get(f"/api/v1/customers/{world.mine}").status_code == 404
    assert client.get(f"/api/v1/customers/{world.theirs}").status_code == 200

    with runtime.sessions() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("permission.%")).order_by(AuditEntry.id)
        ).all()
    assert actions == ["permission.request", "permission.approve"]


def test_nobody_approves_their_own_request(client, world, as_user):
    csrf = as_user(client, world.users[Role.admin])
    request = _request(client, csrf, world.target.id, role="team_lead").json()
    answer = client.post(
        f"/api/v1/permission-requests/{request['id']}/approve", json={"reason": "me"}, headers=csrf
    )
    assert answer.status_code == 403 and answer.json()["code"] == "own_request"


def test_nobody_decides_a_change_about_themselves(client, world, as_user):
    supervisor = world.users[Role.supervisor]
    csrf = as_user(client, world.users[Role.admin])
    request = _request(client, csrf, supervisor.id, role="agent").json()
    csrf = as_user(client, supervisor)
    answer = client.post(
        f"/api/v1/permission-requests/{request['id']}/reject", json={"reason": "no"}, headers=csrf
    )
    assert answer.status_code == 403


def test_only_an_administrator_approves_administrator_rights(client, world, as_user, factory, runtime):
    request = _request(client, as_user(client, world.users[Role.admin]), world.target.id, role="admin").json()
    url = f"/api/v1/permission-requests/{request['id']}/approve"
    refused = client.post(
        url, json={"reason": "trust me"}, headers=as_user(client, world.users[Role.supervisor])
    )
    assert refused.status_code == 403 and refused.json()["code"] == "admin_only"
    other_admin = factory.user(Role.admin)
    csrf = as_user(client, other_admin)
    assert client.post(url, json={"reason": "agreed"}, headers=csrf).status_code == 200
    with runtime.sessions() as session:
        assert session.get(User, world.target.id).role == "admin"


def test_a_rejected_change_is_not_applied_and_keeps_its_reason(client, world, as_user, runtime):
    csrf = as_user(client, world.users[Role.admin])
    request = _request(client, csrf, world.target.id, role="supervisor").json()
    csrf = as_user(client, world.users[Role.supervisor])
    url = f"/api/v1/permission-requests/{request['id']}/reject"
    rejected = client.post(url, json={"reason": "not trained yet"}, headers=csrf).json()
    assert rejected["status"] == "rejected" and rejected["decision_reason"] == "not trained yet"
    assert client.post(url, json={"reason": "again"}, headers=csrf).status_code == 409
    with runtime.sessions() as session:
        assert session.get(User, world.target.id).role == "agent"


def test_bad_requests_name_the_field(client, world, as_user):
    csrf = as_user(client, world.users[Role.admin])
    assert _request(client, csrf, world.target.id, role="wizard").json()["fields"][0]["field"] == "role"
    assert _request(client, csrf, world.target.id, role="agent").json()["fields"][0]["field"] == "changes"
    assert _request(client, csrf, world.target.id, team_id=10_000).json()["fields"][0]["field"] == "team_id"
    assert _request(client, csrf, 10_000, role="agent").json()["fields"][0]["field"] == "user_id"


def test_pending_requests_are_listed(client, world, as_user):
    csrf = as_user(client, world.users[Role.admin])
    _request(client, csrf, world.target.id, role="team_lead")
    pending = client.get("/api/v1/permission-requests", params={"status": "pending"}).json()
    assert {r["user_id"] for r in pending} == {world.target.id}


def test_a_demotion_applies_to_the_very_next_request(client, world, as_user):
    supervisor = world.users[Role.supervisor]
    as_user(client, supervisor)
    assert client.get("/api/v1/audit").status_code == 200
    request = _request(client, as_user(client, world.users[Role.admin]), supervisor.id, role="agent").json()
    other_admin_csrf = as_user(client, world.requester)
    url = f"/api/v1/permission-requests/{request['id']}/approve"
    assert (
        client.post(url, json={"reason": "moved to the floor"}, headers=other_admin_csrf).status_code == 200
    )
    as_user(client, supervisor)
    assert client.get("/api/v1/audit").status_code == 403

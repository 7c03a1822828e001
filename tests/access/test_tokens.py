"""API tokens: created by an admin, shown once, stored hashed, scoped, revocable, expiring, last-used."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from kefu.access.models import ApiToken
from kefu.access.roles import Role
from kefu.access.tokens import token_hash


def _create(client, csrf, **body):
    return client.post(
        "/api/v1/tokens", json={"name": "crm sync", "scopes": ["customers:read"], **body}, headers=csrf
    )


def test_a_token_is_shown_once_and_stored_hashed(client, world, as_user, runtime):
    csrf = as_user(client, world.users[Role.admin])
    created = _create(client, csrf, user_id=world.users[Role.supervisor].id).json()
    raw = created["token"]
    assert raw.startswith("kefu_")
    listed = client.get("/api/v1/tokens").json()
    assert raw not in str(listed) and all("token" not in t for t in listed)
    with runtime.sessions() as session:
        stored = session.get(ApiToken, created["id"])
    assert stored.token_hash == token_hash(raw) and raw not in stored.token_hash


def test_a_token_does_only_what_its_scopes_and_its_owner_allow(client, world, as_user, factory):
    csrf = as_user(client, world.users[Role.admin])
    raw = _create(
        client, csrf, user_id=world.users[Role.agent].id, scopes=["customers:read", "tokens:manage"]
    )
    client.cookies.clear()
    headers = {"Authorization": f"Bearer {raw.json()['token']}"}
    assert client.get("/api/v1/customers", headers=headers).status_code == 200
    assert (
        client.get(f"/api/v1/customers/{world.theirs}", headers=headers).status_code == 404
    )  # owner's scope
    assert (
        client.put(
            f"/api/v1/customers/{world.mine}/value", json={"lifetime_value": "1"}, headers=headers
        ).status_code
        == 403
    )
    assert client.get("/api/v1/tokens", headers=headers).status_code == 403  # scope yes, agent role no


def test_missing_invalid_expired_and_revoked_tokens_get_401(client, world, as_user, frozen_clock):
    csrf = as_user(client, world.users[Role.admin])
    expires = (frozen_clock.current + timedelta(hours=1)).isoformat()
    expiring = _create(client, csrf, expires_at=expires).json()
    revoked = _create(client, csrf).json()
    assert (
        client.post(f"/api/v1/tokens/{revoked['id']}/revoke", headers=csrf).json()["revoked_at"] is not None
    )
    client.cookies.clear()

    def status(raw):
        headers = {"Authorization": f"Bearer {raw}"} if raw else {}
        return client.get("/api/v1/customers", headers=headers).status_code

    assert status(expiring["token"]) == 200
    assert status(None) == 401
    assert status("kefu_not-a-real-token") == 401
    assert status(revoked["token"]) == 401
    frozen_clock.advance(hours=1)
    assert status(expiring["token"]) == 401


def test_last_use_is_recorded(client, world, as_user, runtime, frozen_clock):
    csrf = as_user(client, world.users[Role.admin])
    created = _create(client, csrf).json()
    assert created["last_used_at"] is None
    client.cookies.clear()
    client.get("/api/v1/customers", headers={"Authorization": f"Bearer {created['token']}"})
    with runtime.sessions() as session:
        assert (
            session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == created["id"]))
            == frozen_clock.current
        )


def test_bad_token_requests_name_the_field(client, world, as_user, frozen_clock):
    csrf = as_user(client, world.users[Role.admin])
    assert _create(client, csrf, scopes=["tickets:fly"]).json()["fields"][0]["field"] == "scopes"
    assert _create(client, csrf, scopes=[]).json()["fields"][0]["field"] == "scopes"
    past = (frozen_clock.current - timedelta(minutes=1)).isoformat()
    assert _create(client, csrf, expires_at=past).json()["fields"][0]["field"] == "expires_at"
    assert _create(client, csrf, user_id=10_000).json()["fields"][0]["field"] == "user_id"


def test_a_disabled_owner_disables_the_token(client, world, as_user, factory):
    headers = factory.auth(world.users[Role.agent], ["customers:read"])
    csrf = as_user(client, world.users[Role.admin])
    client.post(f"/api/v1/users/{world.users[Role.agent].id}/disable", headers=csrf)
    client.cookies.clear()
    assert client.get("/api/v1/customers", headers=headers).status_code == 401

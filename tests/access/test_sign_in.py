"""Sign-in with a session cookie: cookie flags, CSRF, sign-out, password changes, throttling."""

from __future__ import annotations

from sqlalchemy import select, update

from kefu.access.models import AuditEntry, User
from kefu.access.roles import Role
from kefu.access.sessions import CSRF_COOKIE, SESSION_COOKIE

PASSWORD = "correct horse battery staple"


def sign_in(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/sign-in", json={"username": username, "password": password})


def test_sign_in_sets_a_hardened_session_cookie(client, factory):
    user = factory.user(Role.agent)
    response = sign_in(client, user.username)
    assert response.status_code == 200
    assert response.json()["user"]["role"] == "agent"
    cookies = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie
    assert "Secure" not in session_cookie  # plain http in the test client
    assert response.json()["csrf_token"] == client.cookies[CSRF_COOKIE]
    assert client.get("/api/v1/auth/me").json()["username"] == user.username


def test_cookie_is_secure_over_https(runtime, factory):
    from fastapi.testclient import TestClient

    from kefu.web.app import create_app

    user = factory.user(Role.agent)
    with TestClient(create_app(runtime.settings, runtime=runtime), base_url="https://kefu.test") as client:
        response = sign_in(client, user.username)
    session_cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "Secure" in session_cookie


def test_wrong_password_and_unknown_user_get_the_same_answer(client, factory):
    user = factory.user(Role.agent)
    wrong = sign_in(client, user.username, "not the password")
    unknown = sign_in(client, "nobody-here", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert SESSION_COOKIE not in client.cookies


def test_state_changing_cookie_request_needs_the_csrf_token(client, factory):
    user = factory.user(Role.agent)
    csrf = sign_in(client, user.username).json()["csrf_token"]
    assert client.post("/api/v1/auth/sign-out").status_code == 403
    assert client.post("/api/v1/auth/sign-out", headers={"X-CSRF-Token": "forged"}).status_code == 403
    stolen = client.cookies[SESSION_COOKIE]
    assert client.post("/api/v1/auth/sign-out", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert SESSION_COOKIE not in client.cookies
    client.cookies.set(SESSION_COOKIE, stolen)  # a copy of the cookie dies with the sign-out
    assert client.get("/api/v1/auth/me").status_code == 401


def test_bearer_requests_need_no_csrf_token(client, factory):
    admin = factory.user(Role.admin)
    headers = factory.auth(admin, ["tokens:manage"])
    response = client.post(
        "/api/v1/tokens", json={"name": "crm", "scopes": ["customers:read"]}, headers=headers
    )
    assert response.status_code == 201


def test_tampered_cookie_signs_out(client, factory):
    user = factory.user(Role.agent)
    sign_in(client, user.username)
    payload, signature = client.cookies[SESSION_COOKIE].rsplit(".", 1)
    client.cookies.clear()
    forged = payload.replace(payload[1], "B" if payload[1] != "B" else "C", 1)  # [user_id, ...] changed
    client.cookies.set(SESSION_COOKIE, f"{forged}.{signature}")
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "signed_out"
    assert any(c.startswith(f'{SESSION_COOKIE}=""') for c in response.headers.get_list("set-cookie"))


def test_password_change_ends_other_sessions_but_keeps_this_one(runtime, client, factory):
    from fastapi.testclient import TestClient

    from kefu.web.app import create_app

    user = factory.user(Role.agent)
    with TestClient(create_app(runtime.settings, runtime=runtime)) as other:
        sign_in(other, user.username)
        assert other.get("/api/v1/auth/me").status_code == 200
        csrf = sign_in(client, user.username).json()["csrf_token"]
        body = {"current_password": PASSWORD, "new_password": "a much longer passphrase of mine"}
        response = client.post("/api/v1/auth/password", json=body, headers={"X-CSRF-Token": csrf})
        assert response.status_code == 200
        assert client.get("/api/v1/auth/me").status_code == 200
        assert other.get("/api/v1/auth/me").status_code == 401
    assert sign_in(client, user.username).status_code == 401
    assert sign_in(client, user.username, "a much longer passphrase of mine").status_code == 200


def test_weak_new_passwords_are_refused(client, factory):
    user = factory.user(Role.agent)
    csrf = sign_in(client, user.username).json()["csrf_token"]
    for weak, reason in (
        ("short", "at least 8"),
        ("Password123", "too common"),
        ("qwertyuiop", "too common"),
    ):
        body = {"current_password": PASSWORD, "new_password": weak}
        response = client.post("/api/v1/auth/password", json=body, headers={"X-CSRF-Token": csrf})
        assert response.status_code == 422
        assert reason in response.json()["message"]
        assert response.json()["fields"][0]["field"] == "new_password"


def test_disabled_account_is_signed_out_at_once(runtime, client, factory):
    user = factory.user(Role.agent)
    sign_in(client, user.username)
    admin = factory.user(Role.admin)
    response = client.post(f"/api/v1/users/{user.id}/disable", headers=factory.auth(admin, ["users:manage"]))
    assert response.status_code == 200
    assert client.get("/api/v1/auth/me").status_code == 401


def test_temporary_password_must_be_changed_first(runtime, client, factory):
    user = factory.user(Role.agent)
    with runtime.sessions() as session, session.begin():
        session.execute(update(User).where(User.id == user.id).values(must_change_password=True))
    csrf = sign_in(client, user.username).json()["csrf_token"]
    assert client.get("/api/v1/customers").json()["code"] == "password_change_required"
    body = {"current_password": PASSWORD, "new_password": "my own new passphrase"}
    assert client.post("/api/v1/auth/password", json=body, headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.get("/api/v1/customers").status_code == 200


def test_ten_failures_lock_the_account_for_fifteen_minutes(client, factory, frozen_clock, runtime):
    user = factory.user(Role.agent)
    for _ in range(10):
        assert sign_in(client, user.username, "wrong guess").status_code == 401
    locked = sign_in(client, user.username)  # even the right password is refused while locked
    assert locked.status_code == 429
    assert "try again in 15 minutes" in locked.json()["message"]
    assert locked.headers["retry-after"] == "900"
    frozen_clock.advance(minutes=15, seconds=1)
    assert sign_in(client, user.username).status_code == 200
    with runtime.sessions() as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert actions.count("sign_in.failure") == 10 and actions.count("sign_in.success") == 1
    assert actions.count("sign_in.locked") == 1


def test_one_address_guessing_many_accounts_is_locked(client, factory, frozen_clock):
    users = [factory.user(Role.agent) for _ in range(2)]
    for i in range(10):
        sign_in(client, f"guess{i}", "wrong guess")
    assert sign_in(client, users[0].username).status_code == 429


def test_a_new_colleague_starts_as_an_agent_with_a_temporary_password(client, factory, runtime):
    admin = factory.user(Role.admin)
    headers = factory.auth(admin, ["users:manage"])
    created = client.post(
        "/api/v1/users", json={"username": "xiao.li", "display_name": "小李"}, headers=headers
    )
    assert created.status_code == 201
    body = created.json()
    assert body["role"] == "agent" and body["must_change_password"] is True
    signed = sign_in(client, "xiao.li", body["temporary_password"]).json()
    assert signed["user"]["must_change_password"] is True
    assert client.get("/api/v1/customers").status_code == 403


def test_ending_sessions_is_announced_to_the_users_live_connections(client, factory, runtime):
    heard = []
    runtime.bus.subscribe(heard.append)
    user = factory.user(Role.agent)
    csrf = sign_in(client, user.username).json()["csrf_token"]
    client.post("/api/v1/auth/sign-out", headers={"X-CSRF-Token": csrf})
    assert [(e.type, e.recipients) for e in heard] == [("user.sessions_ended", (user.id,))]


def test_team_leads_list_their_team(client, world, as_user):
    as_user(client, world.users[Role.team_lead])
    listed = {u["id"] for u in client.get("/api/v1/users", params={"limit": 200}).json()}
    assert world.users[Role.agent].id in listed and world.target.id in listed
    assert world.other_agent.id not in listed and world.users[Role.admin].id not in listed


def test_an_unknown_user_costs_the_same_password_check_as_a_known_one(client, factory, monkeypatch):
    """Timing is equalised by doing the same argon2 verification on both paths (no timing assertion)."""
    from kefu.access import passwords

    user = factory.user(Role.agent)
    hashes = []
    real = passwords.HASHER

    class Spy:
        def verify(self, password_hash, password):
            hashes.append(password_hash)
            return real.verify(password_hash, password)

    monkeypatch.setattr(passwords, "HASHER", Spy())
    sign_in(client, user.username, "wrong guess")
    sign_in(client, "nobody-at-all", "wrong guess")
    assert len(hashes) == 2
    assert all(h.startswith("$argon2id$v=19$m=19456,t=2") for h in hashes)


def test_responses_carry_hardening_headers(client):
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


def test_guessing_the_current_password_through_a_session_is_throttled(client, factory, frozen_clock):
    user = factory.user(Role.agent)
    csrf = {"X-CSRF-Token": sign_in(client, user.username).json()["csrf_token"]}
    body = {"current_password": "a wrong guess", "new_password": "a brand new passphrase"}
    for _ in range(10):
        assert client.post("/api/v1/auth/password", json=body, headers=csrf).status_code == 422
    assert client.post("/api/v1/auth/password", json=body, headers=csrf).status_code == 429
    client.cookies.clear()
    assert sign_in(client, user.username).status_code == 429  # the account itself is locked


def test_an_old_cheaper_hash_is_upgraded_at_sign_in(client, factory, runtime):
    from argon2 import PasswordHasher

    user = factory.user(Role.agent)
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    with runtime.sessions() as session, session.begin():
        session.execute(update(User).where(User.id == user.id).values(password_hash=weak))
    assert sign_in(client, user.username).status_code == 200
    with runtime.sessions() as session:
        assert session.get(User, user.id).password_hash.startswith("$argon2id$v=19$m=19456,t=2")

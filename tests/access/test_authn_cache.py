"""The authentication cache: no query per request for a known token, yet a revocation, a deactivation or a
role change in this process applies to the very next request, and one made by another process (here: an
UPDATE on another connection, which this process's ORM never sees) within `CACHE_SECONDS`."""

from __future__ import annotations

import time

from sqlalchemy import event, select, text

from kefu.access import authn
from kefu.access.actions import do_revoke_api_token
from kefu.access.actor import Actor
from kefu.access.models import ApiToken, User
from kefu.access.roles import Role


def _statements(runtime):
    seen: list[str] = []
    event.listen(runtime.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_a_known_token_costs_no_query_and_a_revocation_applies_at_once(client, runtime, factory):
    user = factory.user(Role.supervisor)
    token, raw = factory.token(user)
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    seen = _statements(runtime)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert not any("api_tokens" in s for s in seen)  # served from the cache
    with runtime.write_sessions() as session, session.begin():
        do_revoke_api_token(session, Actor(user.id, user.role, None), token.id)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_deactivating_the_owner_or_changing_their_role_applies_to_the_next_request(client, runtime, factory):
    user = factory.user(Role.supervisor)
    headers = factory.auth(user)
    assert client.get("/api/v1/tickets", headers=headers).status_code == 200
    with runtime.write_sessions() as session, session.begin():
        session.get(User, user.id).role = Role.trainer.value
    assert client.get("/api/v1/tickets", headers=headers).status_code == 403  # trainers see no tickets
    with runtime.write_sessions() as session, session.begin():
        session.get(User, user.id).is_active = False
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_a_change_by_another_process_applies_within_the_cache_time(client, runtime, factory, monkeypatch):
    monkeypatch.setattr(authn, "CACHE_SECONDS", 0.5)
    user = factory.user(Role.supervisor)
    token, raw = factory.token(user)
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    with runtime.engine.begin() as connection:  # no ORM: as another server process would write it
        connection.execute(
            text("UPDATE api_tokens SET revoked_at = created_at WHERE id = :id"), {"id": token.id}
        )
    time.sleep(0.7)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_last_use_is_written_at_most_once_a_minute(client, runtime, factory, frozen_clock):
    user = factory.user(Role.supervisor)
    token, raw = factory.token(user)
    headers = {"Authorization": f"Bearer {raw}"}

    def last_used():
        with runtime.sessions() as session:
            return session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token.id))

    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    first = last_used()
    assert first == frozen_clock.current
    frozen_clock.advance(seconds=30)
    seen = _statements(runtime)
    for _ in range(3):
        assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert last_used() == first and not any(s.startswith("UPDATE api_tokens") for s in seen)
    frozen_clock.advance(seconds=31)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert last_used() == frozen_clock.current

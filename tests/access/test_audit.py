"""The audit log: what gets recorded, the hash chain, `kefu audit verify`, and that no API can edit it."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from kefu.access.audit import do_audit, verify_chain
from kefu.access.cli import audit_app
from kefu.access.models import AuditEntry
from kefu.access.roles import Role


def _entries(runtime, n=5):
    with runtime.sessions() as session, session.begin():
        for i in range(n):
            do_audit(session, "test.event", actor_id=i, object_type="thing", object_id=i, details={"n": i})
    with runtime.sessions() as session:
        return session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()


def test_an_untouched_chain_verifies(runtime):
    _entries(runtime)
    with runtime.sessions() as session:
        report = verify_chain(session)
    assert report.intact and report.checked == 5


def test_a_modified_row_breaks_the_chain_at_that_row(runtime):
    ids = _entries(runtime)
    with runtime.sessions() as session, session.begin():
        session.execute(update(AuditEntry).where(AuditEntry.id == ids[2]).values(actor_id=999))
    with runtime.sessions() as session:
        assert verify_chain(session).first_bad_id == ids[2]


def test_a_recomputed_hash_still_breaks_the_link_to_the_next_row(runtime):
    from kefu.access.audit import entry_content, entry_hash

    ids = _entries(runtime)
    with runtime.sessions() as session, session.begin():
        entry = session.get(AuditEntry, ids[1])
        entry.details = {"n": "forged"}
        entry.hash = entry_hash(entry.prev_hash, entry_content(entry))  # a careful forger
    with runtime.sessions() as session:
        assert verify_chain(session).first_bad_id == ids[2]


def test_a_deleted_row_is_detected(runtime):
    ids = _entries(runtime)
    with runtime.sessions() as session, session.begin():
        session.execute(delete(AuditEntry).where(AuditEntry.id == ids[1]))
    with runtime.sessions() as session:
        assert verify_chain(session).first_bad_id == ids[2]


def test_kefu_audit_verify_exits_1_on_tampering(runtime, monkeypatch):
    ids = _entries(runtime)
    monkeypatch.setenv("KEFU_DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("KEFU_DATA_DIR", str(runtime.settings.data_dir))
    ok = CliRunner().invoke(audit_app, ["verify"])
    assert ok.exit_code == 0, ok.output
    assert "5 entries" in ok.output
    with runtime.sessions() as session, session.begin():
        session.execute(update(AuditEntry).where(AuditEntry.id == ids[3]).values(details={"n": 0}))
    tampered = CliRunner().invoke(audit_app, ["verify"])
    assert tampered.exit_code == 1
    assert f"entry {ids[3]}" in tampered.output


def test_no_route_edits_or_deletes_the_audit_log(client):
    writers = [
        (route.path, route.methods)
        for route in client.app.routes
        if "audit" in getattr(route, "path", "") and (getattr(route, "methods", set()) - {"GET", "HEAD"})
    ]
    assert writers == []
    assert client.delete("/api/v1/audit").status_code == 405


def test_supervisors_search_the_log(client, factory, world, as_user):
    client.post(
        "/api/v1/auth/sign-in", json={"username": world.users[Role.agent].username, "password": "nope"}
    )
    as_user(client, world.users[Role.supervisor])
    found = client.get("/api/v1/audit", params={"action": "sign_in.failure"}).json()
    assert [e["object_id"] for e in found] == [str(world.users[Role.agent].id)]
    assert found[0]["address"] == "testclient"
    assert client.get("/api/v1/audit", params={"action": "nothing.like.this"}).json() == []


def test_profile_views_are_masked_for_agents_and_audited(client, world, as_user, runtime):
    agent = world.users[Role.agent]
    as_user(client, agent)
    profile = client.get(f"/api/v1/customers/{world.mine}").json()
    values = {i["kind"]: i["value"] for i in profile["identities"]}
    assert values["phone"].startswith("+86 138****") and values["email"].startswith("z***@")
    with runtime.sessions() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "customer.view_profile")).one()
    assert (entry.actor_id, entry.object_id, entry.details) == (agent.id, str(world.mine), {"masked": True})


def test_supervisors_see_contact_details_in_full(client, world, as_user):
    as_user(client, world.users[Role.supervisor])
    profile = client.get(f"/api/v1/customers/{world.mine}").json()
    assert "****" not in " ".join(i["value"] for i in profile["identities"])


def test_unmasking_reveals_and_is_audited(client, world, as_user, runtime):
    csrf = as_user(client, world.users[Role.agent])
    shown = client.post(f"/api/v1/customers/{world.mine}/unmask", headers=csrf).json()
    assert {i["kind"] for i in shown} == {"phone", "email"}
    assert all("*" not in i["value"] for i in shown)
    assert client.post(f"/api/v1/customers/{world.theirs}/unmask", headers=csrf).status_code == 404
    with runtime.sessions() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "customer.unmask")).all()
    assert [(e.object_id, sorted(e.details["kinds"])) for e in entries] == [
        (str(world.mine), ["email", "phone"])
    ]


def test_concurrent_appends_keep_one_chain(runtime):
    """Each append reads the last hash; concurrent transactions must queue, never fork the chain."""
    import threading

    import pytest

    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has a single writer; the advisory lock matters on PostgreSQL")
    barrier = threading.Barrier(4)

    def writer(n):
        barrier.wait()
        for i in range(5):
            with runtime.sessions() as session, session.begin():
                do_audit(session, "test.concurrent", details={"writer": n, "i": i})

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with runtime.sessions() as session:
        report = verify_chain(session)
    assert report.intact and report.checked == 20

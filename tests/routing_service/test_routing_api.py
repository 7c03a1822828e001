import threading

from sqlalchemy import select

from kefu.access.roles import Role
from kefu.core import clock
from kefu.core.errors import Conflict
from kefu.routing import actions
from kefu.routing.models import AgentPresence, QueueEntry


def enqueue(client, headers, queue, contact_id, **extra):
    body = {"contact_kind": "conversation", "contact_id": contact_id, "queue": queue, **extra}
    response = client.post("/api/v1/queue-entries", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_contact_goes_to_the_skilled_agent_with_reasons(client, factory, centre, frozen_clock):
    queue = centre.queue(min_level=2)
    novice, expert = centre.agent(level=1), centre.agent(level=5)
    supervisor = factory.auth(factory.user(Role.supervisor))
    entry = enqueue(client, supervisor, queue, 101)
    frozen_clock.advance(seconds=5)
    [assigned] = client.post("/api/v1/routing/round", headers=supervisor).json()
    assert assigned["id"] == entry["id"] and assigned["agent_id"] == expert.id
    assert assigned["status"] == "assigned"
    [decision] = client.get(
        "/api/v1/routing/decisions?contact_kind=conversation&contact_id=101", headers=supervisor
    ).json()
    assert decision["strategy"] == "skill_first" and decision["agent_id"] == expert.id
    assert decision["detail"]["waited_seconds"] == 5
    assert novice.id not in [r["agent"] for r in decision["runners_up"]]  # below the minimum level


def test_agents_never_exceed_capacity(client, factory, centre):
    queue = centre.queue()
    agent = centre.agent(capacity={"webchat": 2})
    supervisor = factory.auth(factory.user(Role.supervisor))
    for contact in range(1, 5):
        enqueue(client, supervisor, queue, contact)
    assigned = client.post("/api/v1/routing/round", headers=supervisor).json()
    assert [e["agent_id"] for e in assigned] == [agent.id, agent.id]
    status = {q["code"]: q for q in client.get("/api/v1/queues", headers=supervisor).json()}[queue]
    assert status["waiting"] == 2 and status["ewt_seconds"] > 0
    assert client.post("/api/v1/routing/round", headers=supervisor).json() == []


def test_strategy_switch_takes_effect_without_restart(client, factory, centre, runtime):
    queue = centre.queue(min_level=1)
    busy_expert, idle_novice = centre.agent(level=5), centre.agent(level=1)
    supervisor = factory.auth(factory.user(Role.supervisor))
    enqueue(client, supervisor, queue, 1)
    assert client.post("/api/v1/routing/round", headers=supervisor).json()[0]["agent_id"] == busy_expert.id
    switched = client.patch(f"/api/v1/queues/{queue}", json={"strategy": "idle_first"}, headers=supervisor)
    assert switched.status_code == 200 and switched.json()["strategy"] == "idle_first"
    enqueue(client, supervisor, queue, 2)
    # idle_first spreads work: the expert already holds one contact, the novice none.
    assert client.post("/api/v1/routing/round", headers=supervisor).json()[0]["agent_id"] == idle_novice.id
    bad = client.patch(f"/api/v1/queues/{queue}", json={"strategy": "random"}, headers=supervisor)
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "strategy"
    missing = client.patch("/api/v1/queues/nope", json={"strategy": "idle_first"}, headers=supervisor)
    assert missing.status_code == 404 and "nope" in missing.json()["message"]


def test_concurrent_accepts_of_one_offer_exactly_one_wins(runtime, factory, centre):
    queue = centre.queue(requires_acceptance=True)
    agent = centre.agent()
    with runtime.sessions() as session, session.begin():
        entry = actions.do_enqueue(
            session, contact_kind="conversation", contact_id=7, queue_code=queue, now=clock.now()
        )
    with runtime.sessions() as session, session.begin():
        [offered] = actions.route_waiting(session, clock.now())
        assert offered.status == "offered" and offered.agent_id == agent.id
    barrier, outcomes = threading.Barrier(2), []

    def accept():
        barrier.wait()
        try:
            with runtime.write_sessions() as session, session.begin():
                actions.do_accept_offer(session, entry.id, agent.id, clock.now())
            outcomes.append("won")
        except Conflict:
            outcomes.append("409")

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["409", "won"]
    with runtime.sessions() as session:
        assert session.get(QueueEntry, entry.id).status == "assigned"


def test_declined_offer_returns_to_the_queue(client, factory, centre):
    queue = centre.queue(requires_acceptance=True)
    agent = centre.agent()
    supervisor = factory.auth(factory.user(Role.supervisor))
    entry = enqueue(client, supervisor, queue, 9)
    client.post("/api/v1/routing/round", headers=supervisor)
    mine = factory.auth(agent)
    declined = client.post(f"/api/v1/offers/{entry['id']}/decline", headers=mine)
    assert declined.status_code == 200 and declined.json()["status"] == "waiting"
    # The offer no longer exists for this agent: accepting it now is refused like any unknown offer.
    assert client.post(f"/api/v1/offers/{entry['id']}/accept", headers=mine).status_code == 404
    other = factory.auth(centre.agent())
    assert client.post(f"/api/v1/offers/{entry['id']}/accept", headers=other).status_code == 404


def test_presence_rules_and_clear_errors(client, factory, centre):
    queue = centre.queue()
    agent = centre.agent()
    mine = factory.auth(agent)
    url = f"/api/v1/agents/{agent.id}/presence"
    assert (
        client.put(url, json={"state": "break", "reason": "lunch"}, headers=mine).json()["state"] == "break"
    )
    no_reason = client.put(url, json={"state": "break"}, headers=mine)
    assert no_reason.status_code == 409 or no_reason.status_code == 422
    unknown = client.put(url, json={"state": "asleep"}, headers=mine)
    assert unknown.status_code == 422 and unknown.json()["fields"][0]["field"] == "state"
    assert client.put(url, json={"state": "available"}, headers=mine).status_code == 200
    supervisor = factory.auth(factory.user(Role.supervisor))
    enqueue(client, supervisor, queue, 5)
    client.post("/api/v1/routing/round", headers=supervisor)
    offline = client.put(url, json={"state": "offline"}, headers=mine)
    assert offline.status_code == 409 and "open contacts" in offline.json()["message"]


def test_presence_of_others_is_guarded_by_scope(client, factory, centre):
    agent = centre.agent()
    colleague = factory.auth(centre.agent())
    other_lead = factory.auth(factory.user(Role.team_lead, factory.team()))
    own_lead = factory.auth(factory.user(Role.team_lead, centre.team))
    url = f"/api/v1/agents/{agent.id}/presence"
    body = {"state": "training"}
    assert client.put(url, json=body, headers=colleague).status_code == 404
    assert client.put(url, json=body, headers=other_lead).status_code == 404
    assert client.put(url, json=body, headers=own_lead).json()["state"] == "training"


def test_transfers_keep_context_and_are_recorded(client, factory, centre, runtime):
    queue = centre.queue()
    other_queue = centre.queue(code="chat_vip")
    first, second = centre.agent(level=5), centre.agent(level=2)
    supervisor = factory.auth(factory.user(Role.supervisor))
    entry = enqueue(client, supervisor, queue, 42, tier="vip", ticket_type="complaint", urgency=2)
    client.post("/api/v1/routing/round", headers=supervisor)
    mine = factory.auth(first)
    moved = client.post(
        f"/api/v1/queue-entries/{entry['id']}/transfer",
        json={"to_agent": second.id, "reason": "needs billing"},
        headers=mine,
    )
    assert moved.status_code == 200 and moved.json()["agent_id"] == second.id
    # The first agent no longer holds it, so cannot transfer it again.
    assert (
        client.post(
            f"/api/v1/queue-entries/{entry['id']}/transfer",
            json={"to_queue": other_queue, "reason": "x"},
            headers=mine,
        ).status_code
        == 404
    )
    requeued = client.post(
        f"/api/v1/queue-entries/{entry['id']}/transfer",
        json={"to_queue": other_queue, "reason": "vip desk"},
        headers=factory.auth(second),
    )
    assert requeued.status_code == 200
    new_entry = requeued.json()
    assert (
        new_entry["id"] != entry["id"] and new_entry["contact_id"] == 42 and new_entry["status"] == "waiting"
    )
    with runtime.sessions() as session:
        carried = session.get(QueueEntry, new_entry["id"])
        assert (carried.tier, carried.ticket_type, carried.urgency, carried.last_agent_id) == (
            "vip",
            "complaint",
            2,
            second.id,
        )
    history = client.get(
        "/api/v1/routing/decisions?contact_kind=conversation&contact_id=42", headers=supervisor
    ).json()
    assert [d["kind"] for d in history] == ["assignment", "transfer", "transfer"]
    assert history[1]["reason"] == "needs billing" and history[1]["detail"]["from_agent"] == first.id
    unknown = client.post(
        f"/api/v1/queue-entries/{new_entry['id']}/transfer",
        json={"to_queue": "x", "reason": "y"},
        headers=supervisor,
    )
    assert unknown.status_code == 404


def test_release_starts_after_contact_work(runtime, factory, centre, frozen_clock):
    queue = centre.queue()
    agent = centre.agent()
    with runtime.sessions() as session, session.begin():
        entry = actions.do_enqueue(
            session, contact_kind="conversation", contact_id=3, queue_code=queue, now=clock.now()
        )
    with runtime.sessions() as session, session.begin():
        actions.route_waiting(session, clock.now())
        actions.do_release(session, entry.id, clock.now(), acw_seconds=60)
    with runtime.sessions() as session:
        presence = session.get(AgentPresence, agent.id)
        assert presence.state == "after_contact_work"
        assert (presence.acw_until - clock.now()).total_seconds() == 60


def test_position_and_ewt_for_the_waiting_customer(client, factory, centre):
    queue = centre.queue()
    centre.agent(capacity={"webchat": 1})
    supervisor = factory.auth(factory.user(Role.supervisor))
    entries = [enqueue(client, supervisor, queue, n) for n in range(1, 4)]
    client.post("/api/v1/routing/round", headers=supervisor)
    second = client.get(f"/api/v1/queue-entries/{entries[2]['id']}/position", headers=supervisor).json()
    assert second["position"] == 2 and second["ewt_seconds"] > 0
    first = client.get(f"/api/v1/queue-entries/{entries[1]['id']}/position", headers=supervisor).json()
    assert first["position"] == 1 and first["ewt_seconds"] < second["ewt_seconds"]
    assigned = client.get(f"/api/v1/queue-entries/{entries[0]['id']}/position", headers=supervisor)
    assert assigned.status_code == 404


def test_a_contact_cannot_be_queued_twice(client, factory, centre):
    queue = centre.queue()
    supervisor = factory.auth(factory.user(Role.supervisor))
    enqueue(client, supervisor, queue, 1)
    again = client.post(
        "/api/v1/queue-entries",
        json={"contact_kind": "conversation", "contact_id": 1, "queue": queue},
        headers=supervisor,
    )
    assert again.status_code == 409 and again.json()["code"] == "already_queued"
    bad = client.post(
        "/api/v1/queue-entries",
        json={"contact_kind": "fax", "contact_id": 1, "queue": queue},
        headers=supervisor,
    )
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "contact_kind"


def test_agents_cannot_run_rounds_or_switch_strategies(client, factory, centre):
    queue = centre.queue()
    mine = factory.auth(centre.agent())
    assert client.post("/api/v1/routing/round", headers=mine).status_code == 403
    assert (
        client.patch(f"/api/v1/queues/{queue}", json={"strategy": "idle_first"}, headers=mine).status_code
        == 403
    )


def test_snapshot_is_rebuilt_from_the_database_alone(runtime, factory, centre):
    """A standby with no memory of earlier rounds makes the same decision the leader would."""
    queue = centre.queue()
    centre.agent(level=4)
    centre.agent(level=4)
    with runtime.sessions() as session, session.begin():
        actions.do_enqueue(
            session, contact_kind="conversation", contact_id=1, queue_code=queue, now=clock.now()
        )
    with runtime.sessions() as session, session.begin():
        first = [(e.id, e.agent_id) for e in actions.route_waiting(session, clock.now())]
        session.rollback()
    with runtime.sessions() as session, session.begin():
        second = [(e.id, e.agent_id) for e in actions.route_waiting(session, clock.now())]
    assert first == second and len(first) == 1
    with runtime.sessions() as session:
        assert session.scalars(select(QueueEntry.status)).all() == ["assigned"]


def test_after_contact_work_ends_by_itself(runtime, factory, centre, frozen_clock):
    queue = centre.queue()
    agent = centre.agent()
    with runtime.sessions() as session, session.begin():
        entry = actions.do_enqueue(
            session, contact_kind="conversation", contact_id=3, queue_code=queue, now=clock.now()
        )
    with runtime.sessions() as session, session.begin():
        actions.route_waiting(session, clock.now())
        actions.do_release(session, entry.id, clock.now(), acw_seconds=30)
    frozen_clock.advance(seconds=31)
    with runtime.sessions() as session, session.begin():
        actions.route_waiting(session, clock.now())
    with runtime.sessions() as session:
        assert session.get(AgentPresence, agent.id).state == "available"


def test_queues_and_profiles_are_validated_naming_the_problem(client, factory, centre):
    supervisor = factory.auth(factory.user(Role.supervisor))
    body = {
        "code": "voice_vip",
        "name": "VIP line",
        "channel": "voice",
        "required_skills": {"orders": 3},
        "overflow_steps": [{"after_seconds": 30, "min_level": 1}],
    }
    created = client.post("/api/v1/queues", json=body, headers=supervisor)
    assert created.status_code == 201 and created.json()["waiting"] == 0
    assert client.post("/api/v1/queues", json=body, headers=supervisor).status_code == 409
    unknown_skill = client.post(
        "/api/v1/queues", json={**body, "code": "q2", "required_skills": {"golf": 2}}, headers=supervisor
    )
    assert unknown_skill.status_code == 422 and "golf" in unknown_skill.json()["message"]
    bad_level = client.post(
        "/api/v1/queues", json={**body, "code": "q3", "required_skills": {"orders": 9}}, headers=supervisor
    )
    assert bad_level.status_code == 422 and "orders" in bad_level.json()["message"]
    agent = centre.agent()
    url = f"/api/v1/agents/{agent.id}/routing-profile"
    profile = {
        "skills": {"orders": 4, "lang_en": 2},
        "channel_capacity": {"webchat": 2, "voice": 1},
        "max_concurrent": 3,
    }
    assert client.put(url, json=profile, headers=supervisor).json()["skills"] == {"orders": 4, "lang_en": 2}
    wrong = client.put(url, json={**profile, "skills": {"chess": 1}}, headers=supervisor)
    assert wrong.status_code == 422 and "chess" in wrong.json()["message"]
    nobody = client.put("/api/v1/agents/99999/routing-profile", json=profile, headers=supervisor)
    assert nobody.status_code == 404


def test_capacity_cannot_drop_below_what_the_agent_holds(client, factory, centre):
    queue = centre.queue()
    agent = centre.agent(capacity={"webchat": 3})
    supervisor = factory.auth(factory.user(Role.supervisor))
    for n in (1, 2):
        enqueue(client, supervisor, queue, n)
    client.post("/api/v1/routing/round", headers=supervisor)
    lowered = client.put(
        f"/api/v1/agents/{agent.id}/routing-profile",
        headers=supervisor,
        json={"skills": {"orders": 3}, "channel_capacity": {"webchat": 1}, "max_concurrent": 5},
    )
    assert lowered.status_code == 409 and "webchat" in lowered.json()["message"]


def test_owning_domain_hears_of_assignments_in_the_same_transaction(runtime, centre):
    queue = centre.queue()
    agent = centre.agent()
    heard = []
    actions.on_contact_assigned(
        "test_contact",
        lambda session, contact, agent_id, now: heard.append((contact, agent_id, session.in_transaction())),
    )
    with runtime.sessions() as session, session.begin():
        actions.do_enqueue(
            session, contact_kind="test_contact", contact_id=77, queue_code=queue, now=clock.now()
        )
    with runtime.sessions() as session, session.begin():
        actions.route_waiting(session, clock.now())
    assert heard == [(77, agent.id, True)]


def test_default_queue_per_channel_prefers_the_customer_language(runtime, centre):
    centre.queue(code="chat_zh", language="zh_CN")
    centre.queue(code="chat_en", language="en")
    centre.queue(code="phone", channel="voice")
    with runtime.sessions() as session:
        assert actions.queue_for_channel(session, "webchat", "en").code == "chat_en"
        assert actions.queue_for_channel(session, "webchat", "fr").code == "chat_zh"
        assert actions.queue_for_channel(session, "voice").code == "phone"
        assert actions.queue_for_channel(session, "email") is None


def test_the_queues_an_agent_serves_are_those_whose_own_requirement_they_meet(runtime, centre):
    from kefu.routing.access import queues_served_by

    centre.queue(code="easy", min_level=1)
    centre.queue(code="hard", min_level=4, overflow_steps=[{"after_seconds": 30, "min_level": 1}])
    novice, expert = centre.agent(level=2), centre.agent(level=5)
    with runtime.sessions() as session:
        codes = {q.id: q.code for q in session.query(actions.Queue)}
        assert [codes[i] for i in queues_served_by(session, novice.id)] == ["easy"]  # overflow does not count
        assert [codes[i] for i in queues_served_by(session, expert.id)] == ["easy", "hard"]
        assert queues_served_by(session, 99999) == []

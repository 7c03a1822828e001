from kefu.channels import assignment
from kefu.channels.models import Conversation
from kefu.core import clock
from kefu.customers.models import Customer
from kefu.routing import actions
from kefu.routing.models import AgentPresence, QueueEntry
from kefu.wiring import connect_domains


def _conversation(runtime, language="zh_CN", dedicated=None):
    now = clock.now()
    with runtime.sessions() as session, session.begin():
        customer = Customer(
            name="李娜", tier="vip", language=language, created_at=now, dedicated_agent_id=dedicated
        )
        session.add(customer)
        session.flush()
        conversation = Conversation(
            public_id=f"p{customer.id}",
            customer_id=customer.id,
            channel="webchat",
            status="queued",
            started_at=now,
        )
        session.add(conversation)
        session.flush()
        assignment.do_queue_conversation(session, conversation, now)
        return conversation.id


def test_a_queued_conversation_gets_its_agent_and_frees_them_when_it_ends(runtime, centre, frozen_clock):
    connect_domains()
    centre.queue(language="zh_CN")
    agent = centre.agent()
    conversation_id = _conversation(runtime)
    frozen_clock.advance(seconds=12)
    with runtime.sessions() as session, session.begin():
        actions.route_waiting(session, clock.now())
    with runtime.sessions() as session:
        conversation = session.get(Conversation, conversation_id)
        assert (conversation.agent_id, conversation.status, conversation.team_id) == (
            agent.id,
            "active",
            centre.team.id,
        )
        assert (conversation.answered_at - conversation.queued_at).total_seconds() == 12
        entry = session.query(QueueEntry).one()
        assert (entry.tier, entry.customer_id) == ("vip", conversation.customer_id)
    with runtime.sessions() as session, session.begin():
        conversation = session.get(Conversation, conversation_id)
        assignment.do_end_conversation(session, conversation, clock.now(), after_contact_seconds=45)
    with runtime.sessions() as session:
        assert session.query(QueueEntry).one().status == "released"
        assert session.get(AgentPresence, agent.id).state == "after_contact_work"
        assert session.get(Conversation, conversation_id).after_contact_seconds == 45


def test_leaving_before_an_answer_counts_as_abandoned(runtime, centre):
    connect_domains()
    centre.queue()
    conversation_id = _conversation(runtime)
    with runtime.sessions() as session, session.begin():
        assignment.do_end_conversation(session, session.get(Conversation, conversation_id), clock.now())
    with runtime.sessions() as session:
        assert session.get(Conversation, conversation_id).abandoned
        assert session.query(QueueEntry).one().status == "abandoned"


def test_transfer_moves_the_conversation_and_counts_it(client, factory, runtime, centre):
    connect_domains()
    centre.queue()
    first, second = centre.agent(level=5), centre.agent(level=2)
    conversation_id = _conversation(runtime)
    with runtime.sessions() as session, session.begin():
        [entry] = actions.route_waiting(session, clock.now())
    moved = client.post(
        f"/api/v1/queue-entries/{entry.id}/transfer",
        json={"to_agent": second.id, "reason": "billing question"},
        headers=factory.auth(first),
    )
    assert moved.status_code == 200
    with runtime.sessions() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation.agent_id == second.id and conversation.transfer_count == 1


def test_no_queue_for_the_channel_leaves_the_conversation_unrouted(runtime, centre):
    centre.queue(channel="voice", code="phone")
    conversation_id = _conversation(runtime)
    with runtime.sessions() as session:
        assert session.query(QueueEntry).count() == 0
        assert session.get(Conversation, conversation_id).queue_id is None


def test_a_chat_from_a_customer_is_routed_answered_solved_and_surveyed(client, factory, runtime, centre):
    from kefu.channels.actions import Inbound, do_ingest_message
    from kefu.channels.kinds import Channel
    from kefu.customers.identity import Identity
    from kefu.customers.tiers import IdentityKind, TierRules
    from kefu.surveys.models import Survey

    connect_domains()
    centre.queue()
    agent = centre.agent()
    inbound = Inbound(
        channel=Channel.webchat,
        external_id="m1",
        body="订单什么时候发货?",
        identities=(Identity(IdentityKind.visitor, "v-123"),),
    )
    with runtime.sessions() as session, session.begin():
        conversation = do_ingest_message(session, inbound, rules=TierRules()).conversation
    with runtime.sessions() as session, session.begin():
        actions.route_waiting(session, clock.now())
    with runtime.sessions() as session:
        routed = session.get(Conversation, conversation.id)
        assert (routed.agent_id, routed.status) == (agent.id, "active")
    headers = factory.auth(agent)
    solved = client.post(
        f"/api/v1/conversations/{conversation.public_id}/solve",
        json={"after_contact_seconds": 30},
        headers=headers,
    )
    assert solved.status_code == 200 and solved.json()["survey_sent"] is True
    again = client.post(f"/api/v1/conversations/{conversation.public_id}/solve", json={}, headers=headers)
    assert again.status_code == 409
    with runtime.sessions() as session:
        assert (
            session.query(Survey).filter_by(conversation_id=conversation.id, agent_id=agent.id).count() == 1
        )
        assert session.get(AgentPresence, agent.id).state == "after_contact_work"
    other = factory.auth(centre.agent())
    assert (
        client.post(
            f"/api/v1/conversations/{conversation.public_id}/solve", json={}, headers=other
        ).status_code
        == 404
    )


def test_a_queued_ticket_gets_the_routed_agent_as_its_owner(client, factory, runtime, centre):
    from kefu.access.roles import Role

    connect_domains()
    centre.queue(code="ticket_work", channel="ticket")
    agent = centre.agent(capacity={"ticket": 5})
    now = clock.now()
    with runtime.sessions() as session, session.begin():
        customer = Customer(name="周杰", tier="high_value", created_at=now)
        session.add(customer)
    supervisor = factory.auth(factory.user(Role.supervisor))
    ticket = client.post(
        "/api/v1/tickets",
        headers=supervisor,
        json={
            "type": "repair",
            "customer_id": customer.id,
            "subject": "扫地机器人无法充电",
            "channel": "api",
        },
    )
    assert ticket.status_code == 201, ticket.text
    ticket_id = ticket.json()["id"]
    queued = client.post(
        f"/api/v1/tickets/{ticket_id}/queue", json={"queue": "ticket_work"}, headers=supervisor
    )
    assert queued.status_code == 201, queued.text
    client.post("/api/v1/routing/round", headers=supervisor)
    owned = client.get(f"/api/v1/tickets/{ticket_id}", headers=factory.auth(agent)).json()
    assert owned["assignee_id"] == agent.id and owned["status"] == "open"

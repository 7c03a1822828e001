from kefu.access.roles import Role
from kefu.channels.models import Conversation
from kefu.core import clock
from kefu.customers.models import Customer, CustomerIdentity


def _customer(runtime, name, agent_id=None, team_id=None):
    now = clock.now()
    with runtime.sessions() as session, session.begin():
        customer = Customer(name=name, tier="active", created_at=now)
        session.add(customer)
        session.flush()
        session.add(
            CustomerIdentity(
                customer_id=customer.id, kind="email", value=f"{customer.id}@example.com", created_at=now
            )
        )
        if agent_id:
            session.add(
                Conversation(
                    public_id=f"c{customer.id}",
                    customer_id=customer.id,
                    channel="webchat",
                    status="ended",
                    agent_id=agent_id,
                    team_id=team_id,
                    started_at=now,
                )
            )
        return customer.id


def test_health_ready_and_metrics(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "migrations": "ok"}
    metrics = client.get("/metrics").text
    assert "kefu_http_requests_total" in metrics and 'route="/healthz"' in metrics


def test_openapi_document_lists_the_api(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["info"]["title"] == "kefu"
    assert "/api/v1/customers/{customer_id}" in spec["paths"]


def test_missing_and_invalid_tokens_are_401_json(client):
    response = client.get("/api/v1/customers")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    response = client.get("/api/v1/customers", headers={"Authorization": "Bearer kefu_nonsense"})
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"


def test_bad_input_is_422_naming_the_field(client, factory):
    headers = factory.auth(factory.user(Role.supervisor))
    response = client.get("/api/v1/customers?limit=5000", headers=headers)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_input" and body["fields"][0]["field"] == "limit"
    assert "200" in body["fields"][0]["reason"]
    response = client.get("/api/v1/customers/not-a-number", headers=headers)
    assert response.status_code == 422 and response.json()["fields"][0]["field"] == "customer_id"


def test_unknown_route_is_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_agent_sees_only_customers_they_served(client, factory, runtime):
    team = factory.team()
    me, colleague = factory.user(Role.agent, team), factory.user(Role.agent, team)
    mine = _customer(runtime, "王芳", agent_id=me.id, team_id=team.id)
    theirs = _customer(runtime, "Liam Smith", agent_id=colleague.id, team_id=team.id)
    headers = factory.auth(me)
    assert [c["id"] for c in client.get("/api/v1/customers", headers=headers).json()] == [mine]
    profile = client.get(f"/api/v1/customers/{mine}", headers=headers).json()
    assert profile["name"] == "王芳" and profile["identities"][0]["kind"] == "email"
    # Someone else's customer looks exactly like a customer that does not exist.
    hidden = client.get(f"/api/v1/customers/{theirs}", headers=headers)
    missing = client.get("/api/v1/customers/999999", headers=headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["code"] == missing.json()["code"] == "not_found"


def test_supervisor_sees_every_customer(client, factory, runtime):
    ids = [_customer(runtime, f"c{i}") for i in range(3)]
    headers = factory.auth(factory.user(Role.supervisor))
    assert [c["id"] for c in client.get("/api/v1/customers", headers=headers).json()] == ids
    page = client.get(f"/api/v1/customers?after_id={ids[0]}&limit=1", headers=headers).json()
    assert [c["id"] for c in page] == [ids[1]]


def test_concurrent_audited_reads_never_fail(client, factory, runtime):
    """Profile views write an audit entry; under concurrency they must not trip over each other."""
    from concurrent.futures import ThreadPoolExecutor

    ids = [_customer(runtime, f"c{i}") for i in range(5)]
    headers = [factory.auth(factory.user(Role.supervisor)) for _ in range(4)]

    def views(n):
        return [
            client.get(f"/api/v1/customers/{ids[i % 5]}", headers=headers[n % 4]).status_code
            for i in range(10)
        ]

    with ThreadPoolExecutor(8) as pool:
        codes = [code for batch in pool.map(views, range(8)) for code in batch]
    assert codes == [200] * 80


def test_an_id_beyond_what_the_database_holds_is_a_clear_422_not_a_500(client, factory):
    headers = factory.auth(factory.user(Role.supervisor))
    huge = "99999999999999999999"  # more than 64 bits
    looked_up = client.get(f"/api/v1/tickets/{huge}", headers=headers)
    created = client.post(
        "/api/v1/tickets",
        json={"type": "inquiry", "channel": "email", "subject": "s", "customer_id": int(huge)},
        headers=headers,
    )
    for response in (looked_up, created):
        assert response.status_code in (404, 422), response.text  # PostgreSQL compares it and finds nothing
        assert response.json()["code"] in ("number_out_of_range", "not_found", "invalid_input")

import pytest

from kefu.access.models import Department, Team
from kefu.access.roles import Role
from kefu.core import clock
from kefu.customers.models import Customer


@pytest.fixture
def settings(settings):
    # the sweeper runs only when a test asks (as the routing leader): deterministic
    return settings.model_copy(update={"sla_sweep_interval_seconds": 0})


class Desk:
    """A team with its lead and two agents, a supervisor, a department and customers; events captured."""

    def __init__(self, runtime, factory, client):
        self.runtime, self.factory, self.client = runtime, factory, client
        self.team = factory.team()
        self.lead = factory.user(Role.team_lead, self.team)
        with runtime.sessions() as session, session.begin():
            session.get(Team, self.team.id).lead_id = self.lead.id
            dept = Department(code="billing", name="Billing")
            session.add(dept)
        self.department_id = dept.id
        self.agent = factory.user(Role.agent, self.team)
        self.other_agent = factory.user(Role.agent, self.team)
        self.supervisor = factory.user(Role.supervisor)
        self.events = []
        runtime.bus.subscribe(self.events.append)
        self._headers = {}

    def customer(self, tier="active"):
        with self.runtime.sessions() as session, session.begin():
            row = Customer(
                name="Wang", tier=tier, lifetime_value=0, tags=[], language="zh_CN", created_at=clock.now()
            )
            session.add(row)
        return row.id

    def headers(self, user):
        if user.id not in self._headers:
            self._headers[user.id] = self.factory.auth(user)
        return self._headers[user.id]

    def call(self, method, path, user=None, **kwargs):
        return self.client.request(
            method, f"/api/v1{path}", headers=self.headers(user or self.agent), **kwargs
        )

    def ticket(self, user=None, **fields):
        body = {"type": "inquiry", "channel": "email", "subject": "Where is my order?", **fields}
        body.setdefault("customer_id", self.customer())
        response = self.call("POST", "/tickets", user, json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def of_type(self, kind):
        return [e for e in self.events if e.type == kind]


@pytest.fixture
def desk(runtime, factory, client, frozen_clock):
    return Desk(runtime, factory, client)

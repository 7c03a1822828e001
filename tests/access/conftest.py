"""Fixtures for access tests: a small centre (two teams, one person per role, customers in and out of
scope) and signing in through the API."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kefu.access.actions import do_create_api_token, do_create_user
from kefu.access.models import PermissionChangeRequest, Team, User
from kefu.access.passwords import hash_password
from kefu.access.roles import Role
from kefu.access.sessions import SESSION_COOKIE, encode_session, new_session
from kefu.core import clock
from kefu.core.ids import public_id
from kefu.customers.actions import do_merge_customers
from kefu.customers.models import Customer, CustomerIdentity
from kefu.tickets.models import Ticket

PASSWORD = "correct horse battery staple"
PASSWORD_HASH = hash_password(PASSWORD)


@dataclass
class World:
    team_a: Team
    team_b: Team
    users: dict[Role, User]  # agent and team_lead in team A; the others centre-wide
    other_agent: User  # team B
    target: User  # an agent in team A whose permissions get changed
    requester: User  # a second administrator, who filed the pending request
    tickets: dict[int, int]  # customer id -> the id of that customer's ticket
    mine: int  # a customer with a ticket assigned to users[agent] in team A
    mine2: int
    theirs: int  # a customer with a ticket assigned to other_agent in team B
    merge_mine: int  # a merge into mine2 (visible with mine2)
    merge_theirs: int  # a merge into theirs
    token_id: int
    request_id: int  # a pending change request (agent -> team_lead) made by a separate administrator

    def visible(self, role: Role, customer_id: int) -> bool:
        """The scope rule this test holds kefu to, written independently of kefu.access.scopes."""
        if role in (Role.supervisor, Role.admin):
            return True
        if role in (Role.agent, Role.team_lead):
            return customer_id in (self.mine, self.mine2)
        return False  # QA sees only what was sampled to them (nothing yet); trainers no customers


def _customer(
    session, name: str, assignee: User, team: Team, phone: str = "", email: str = "", tickets=None
) -> int:
    now = clock.now()
    customer = Customer(name=name, created_at=now)
    session.add(customer)
    session.flush()
    ticket = Ticket(
        public_id=public_id(),
        type="inquiry",
        status="open",
        customer_id=customer.id,
        channel="webchat",
        subject="where is my parcel",
        assignee_id=assignee.id,
        team_id=team.id,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    if tickets is not None:
        tickets[customer.id] = ticket.id
    for kind, value in (("phone", phone), ("email", email)):
        if value:
            session.add(CustomerIdentity(customer_id=customer.id, kind=kind, value=value, created_at=now))
    return customer.id


def make_world(runtime) -> World:
    """Everything in one transaction: the matrix test builds a centre per route and role."""
    with runtime.sessions() as session, session.begin():
        session.add_all(
            [team_a := Team(code=public_id(), name="A"), team_b := Team(code=public_id(), name="B")]
        )
        session.flush()

        def person(role: Role, team: Team | None = None) -> User:
            return do_create_user(
                session,
                username=f"{role.value}-{public_id().lower()}"[:60],
                display_name="Test User",
                role=role,
                password_hash=PASSWORD_HASH,
                team_id=team.id if team else None,
            )

        users = {
            role: person(role, team_a if role in (Role.agent, Role.team_lead) else None) for role in Role
        }
        other_agent = person(Role.agent, team_b)
        target = person(Role.agent, team_a)
        requester = person(Role.admin)
        token, _raw = do_create_api_token(session, user_id=target.id, name="crm", scopes=["customers:read"])
        n = team_a.id  # identities are unique across customers, so each centre gets its own
        tickets: dict[int, int] = {}
        mine = _customer(
            session, "Mine", users[Role.agent], team_a, f"+86138{n:08d}", f"zhang.wei{n}@example.com", tickets
        )
        mine2 = _customer(session, "Mine too", users[Role.agent], team_a)
        theirs = _customer(
            session, "Theirs", other_agent, team_b, f"+86139{n:08d}", f"li.na{n}@example.org", tickets
        )
        merge_mine = do_merge_customers(
            session,
            source_id=_customer(session, "Old", users[Role.agent], team_a),
            target_id=mine2,
            actor_id=None,
        ).id
        merge_theirs = do_merge_customers(
            session, source_id=_customer(session, "Old", other_agent, team_b), target_id=theirs, actor_id=None
        ).id
        request = PermissionChangeRequest(
            user_id=target.id,
            requested_by_id=requester.id,
            changes={"role": "team_lead"},
            reason="promotion",
            status="pending",
            created_at=clock.now(),
        )
        session.add(request)
        session.flush()
        request_id = request.id
    return World(
        team_a,
        team_b,
        users,
        other_agent,
        target,
        requester,
        tickets,
        mine,
        mine2,
        theirs,
        merge_mine,
        merge_theirs,
        token.id,
        request_id,
    )


def sign_in(client, user: User) -> dict[str, str]:
    """Sign `client` in as `user`; returns the CSRF header its state-changing requests must send."""
    response = client.post("/api/v1/auth/sign-in", json={"username": user.username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def session_cookie(client, settings, user: User) -> dict[str, str]:
    """Give `client` a console session for `user` without the (deliberately slow) password check."""
    data = new_session(user.id, user.session_version, clock.now())
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, encode_session(settings.signing_key, data))
    return {"X-CSRF-Token": data.csrf}


@pytest.fixture
def world(runtime) -> World:
    return make_world(runtime)


@pytest.fixture
def new_world(runtime):
    """Builds another, independent centre in the same database each time it is called."""
    return lambda: make_world(runtime)


@pytest.fixture
def signed_in():
    return sign_in


@pytest.fixture
def as_user(runtime):
    """as_user(client, user) -> CSRF headers: a session cookie for `user`, made directly."""
    return lambda client, user: session_cookie(client, runtime.settings, user)

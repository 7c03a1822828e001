"""Console test helpers: conversations written straight to the database, and signing in through the form."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from kefu.access.models import User
from kefu.channels.models import Conversation, Message
from kefu.core import clock
from kefu.core.ids import public_id
from kefu.core.runtime import Runtime
from kefu.customers.models import Customer

PASSWORD = "correct horse battery staple"


class Desk:
    """Writes customers, conversations and messages as the channels would have stored them."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def conversation(
        self,
        agent: User | None,
        *,
        customer_name: str = "Wang Fang",
        status: str = "active",
        queue_id: int | None = None,
        queued_at: datetime | None = None,
        answered_at: datetime | None = None,
        abandoned: bool = False,
        messages: tuple[tuple[str, str], ...] = (),
    ) -> Conversation:
        now = clock.now()
        with self.runtime.write_sessions() as session, session.begin():
            customer = Customer(name=customer_name, created_at=now)
            session.add(customer)
            session.flush()
            conversation = Conversation(
                public_id=public_id(),
                customer_id=customer.id,
                channel="webchat",
                status=status,
                subject="where is my parcel",
                queue_id=queue_id,
                agent_id=agent.id if agent else None,
                team_id=agent.team_id if agent else None,
                started_at=queued_at or now,
                queued_at=queued_at,
                answered_at=answered_at,
                abandoned=abandoned,
            )
            session.add(conversation)
            session.flush()
            for offset, (sender, body) in enumerate(messages):
                session.add(
                    Message(
                        conversation_id=conversation.id,
                        channel="webchat",
                        sender=sender,
                        body=body,
                        created_at=now + timedelta(seconds=offset),
                    )
                )
        return conversation


@pytest.fixture
def desk(runtime: Runtime) -> Desk:
    return Desk(runtime)


class Browser:
    """The test client used like a browser: form sign-in, cookies, and the CSRF header htmx would send."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def sign_in(self, user: User, password: str = PASSWORD) -> None:
        response = self.client.post(
            "/sign-in", data={"username": user.username, "password": password}, follow_redirects=False
        )
        assert response.status_code == 303, response.text

    def csrf(self) -> dict[str, str]:
        return {"X-CSRF-Token": self.client.cookies["kefu_csrf"]}


@pytest.fixture
def browser(client: TestClient) -> Browser:
    return Browser(client)

"""Nothing sensitive leaves through logs, error responses or the audit log.

The test seeds a password, an API token, a phone number and card-like numbers, drives sign-in, token use,
bad input and failures with them, and scans everything that was logged or answered with an error.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from kefu.access.models import AuditEntry
from kefu.access.roles import Role

PASSWORD = "Tr0ub4dor&3 horse battery"
CARD = "6222021234567890123"
VISA = "4111111111111111"
PHONE = "+8613800138000"


def test_secrets_stay_out_of_logs_and_error_responses(
    client, runtime, world, as_user, factory, caplog, capfd
):
    caplog.set_level(logging.DEBUG)
    agent = world.users[Role.agent]
    _, raw_token = factory.token(world.users[Role.admin], ["customers:read"])
    answers = []

    def send(method, url, **kwargs):
        response = client.request(method, url, **kwargs)
        if response.status_code >= 400:
            answers.append(response.text)
        return response

    csrf = as_user(client, agent)
    body = {"current_password": "correct horse battery staple", "new_password": PASSWORD}
    assert send("POST", "/api/v1/auth/password", json=body, headers=csrf).status_code == 200
    client.cookies.clear()
    for password in (CARD, VISA, PHONE, PASSWORD + "x"):
        send("POST", "/api/v1/auth/sign-in", json={"username": agent.username, "password": password})
    send("POST", "/api/v1/auth/sign-in", json={"username": PHONE, "password": PASSWORD})
    send("POST", "/api/v1/auth/sign-in", json={"username": agent.username, "password": PASSWORD})
    csrf = {"X-CSRF-Token": client.cookies["kefu_csrf"]}
    send(
        "POST",
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": CARD * 20},
        headers=csrf,
    )
    send("POST", "/api/v1/auth/password", json={"current_password": CARD, "new_password": VISA}, headers=csrf)
    send(
        "POST",
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": 123},
        headers=csrf,
    )
    client.cookies.clear()
    send("GET", "/api/v1/customers", headers={"Authorization": f"Bearer {raw_token}"})
    send("GET", "/api/v1/customers", headers={"Authorization": f"Bearer {raw_token}x"})
    send("GET", "/api/v1/customers/1", headers={"Authorization": f"Bearer {VISA}"})
    send("GET", f"/api/v1/customers/{world.theirs}", headers=factory.auth(agent))
    send(
        "POST",
        "/api/v1/tokens",
        json={"name": CARD, "scopes": [VISA]},
        headers={"Authorization": f"Bearer {raw_token}"},
    )

    with runtime.sessions() as session:
        audit = " ".join(str(e.details) for e in session.scalars(select(AuditEntry)))
    out, err = capfd.readouterr()
    haystacks = {"logs": caplog.text + out + err, "error responses": " ".join(answers), "audit log": audit}
    assert len(answers) >= 10
    for secret in (PASSWORD, CARD, VISA, PHONE, raw_token, raw_token.removeprefix("kefu_")):
        for where, text in haystacks.items():
            assert secret not in text, f"{secret[:6]}… leaked into the {where}"

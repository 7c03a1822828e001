"""Outbound webhooks: agents' replies to app/social gateways, signed like inbound calls, retried, recorded.

The delivery row is written in the reply's transaction (so a reply is never lost between commit and
send) and sent afterwards by `deliver_due_webhooks`, which any periodic worker can call: failures are
retried with exponential backoff and recorded; after the last attempt the row is marked failed.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from ipaddress import ip_address

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kefu.channels.models import Conversation, Message, WebhookDelivery
from kefu.channels.signing import signed_headers
from kefu.channels.targets import IPNetwork, TargetRefused, check_address, split_target
from kefu.core import clock

log = logging.getLogger(__name__)
MAX_REDIRECTS = 3
Resolver = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class WebhookPolicy:
    secret_for: Callable[[str], str]  # channel → signing secret
    allowed: tuple[IPNetwork, ...] = ()
    max_attempts: int = 6
    backoff_seconds: float = 30.0
    timeout_seconds: float = 10.0


def do_queue_webhook(
    session: Session, *, message: Message, conversation: Conversation, url: str
) -> WebhookDelivery:
    """Record the delivery of an agent's message; the URL is checked for form now and for address at send."""
    split_target(url)
    payload = json.dumps(
        {
            "type": "message",
            "message_id": message.id,
            "conversation_id": conversation.public_id,
            "customer_id": conversation.customer_id,
            "sender": message.sender,
            "body": message.body,
            "created_at": message.created_at.isoformat(),
        },
        ensure_ascii=False,
    )
    now = clock.now()
    delivery = WebhookDelivery(
        message_id=message.id,
        channel=conversation.channel,
        url=url,
        payload=payload,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    return delivery


def deliver_due_webhooks(
    sessions: sessionmaker[Session], policy: WebhookPolicy, *, resolve: Resolver | None = None
) -> tuple[int, int]:
    """Attempt every delivery that is due, one transaction each; returns (delivered, given up)."""
    now = clock.now()
    with sessions() as session:
        due = session.scalars(
            select(WebhookDelivery.id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at)
        ).all()
    delivered = failed = 0
    with httpx.Client(timeout=policy.timeout_seconds, follow_redirects=False) as client:
        for delivery_id in due:
            with sessions() as session, session.begin():
                row = session.get_one(WebhookDelivery, delivery_id)
                outcome = _attempt(client, row, policy, resolve or _resolve)
                _record(row, outcome, policy, clock.now())
                delivered += row.status == "delivered"
                failed += row.status == "failed"
    return delivered, failed


def _attempt(
    client: httpx.Client, row: WebhookDelivery, policy: WebhookPolicy, resolve: Resolver
) -> str | None:
    """None on a 2xx answer, else the reason; the target is re-checked at every redirect."""
    body = row.payload.encode()
    url = row.url
    for _ in range(MAX_REDIRECTS + 1):
        try:
            _check_target(url, policy.allowed, resolve)
            headers = {
                "Content-Type": "application/json",
                **signed_headers(policy.secret_for(row.channel), body, clock.now()),
            }
            response = client.post(url, content=body, headers=headers)
        except TargetRefused as exc:
            return exc.message
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        if response.is_redirect and "location" in response.headers:
            url = str(response.url.join(response.headers["location"]))
            continue
        return None if response.is_success else f"HTTP {response.status_code}"
    return f"more than {MAX_REDIRECTS} redirects"


def _check_target(url: str, allowed: tuple[IPNetwork, ...], resolve: Resolver) -> None:
    _scheme, host, port = split_target(url)
    try:
        addresses = resolve(host, port)
    except OSError as exc:
        raise TargetRefused(f"url: {host} does not resolve ({exc})", field="url") from exc
    if not addresses:
        raise TargetRefused(f"url: {host} does not resolve", field="url")
    for address in addresses:  # every address: the client may connect to any of them
        check_address(ip_address(address), allowed)


def _resolve(host: str, port: int) -> list[str]:
    return sorted({info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def _record(row: WebhookDelivery, error: str | None, policy: WebhookPolicy, now: datetime) -> None:
    row.attempts += 1
    if error is None:
        row.status, row.delivered_at, row.last_error = "delivered", now, None
        return
    row.last_error = error[:500]
    if row.attempts >= policy.max_attempts:
        row.status = "failed"
        log.warning("webhook %s to %s given up after %d attempts: %s", row.id, row.url, row.attempts, error)
        return
    row.next_attempt_at = now + timedelta(seconds=policy.backoff_seconds * 2 ** (row.attempts - 1))

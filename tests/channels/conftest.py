"""Fixtures for channel tests: a gateway that signs requests exactly as a real one must."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from kefu.access.roles import Role
from kefu.channels.gateway import channel_secret
from kefu.channels.kinds import Channel
from kefu.channels.signing import signed_headers
from kefu.core import clock
from kefu.core.runtime import Runtime

Post = Callable[..., httpx.Response]


@pytest.fixture
def gateway(client: TestClient, factory, runtime: Runtime) -> Post:
    """POST a JSON body to a channel path, signed with the channel's secret and a channel-scoped token."""
    token = factory.token(factory.user(Role.admin), ["channel:app", "channel:social", "channel:voice"])[1]

    def post(
        path: str,
        payload: dict[str, Any],
        *,
        channel: Channel,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        body = json.dumps(payload).encode()
        key = secret or channel_secret(runtime.settings.signing_key, channel)
        sent = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            **signed_headers(key, body, clock.now()),
            **(headers or {}),
        }
        return client.post(path, content=body, headers=sent)

    return post

"""Request-scoped dependencies, as Annotated aliases the routers use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.authn import actor_for_token
from kefu.core.errors import Unauthenticated
from kefu.core.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent (events follow the commit)."""
    with get_runtime(request).sessions() as session, session.begin():
        yield session


# scope="function": the commit runs when the endpoint returns, so a failed commit is the caller's error.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_actor(request: Request, session: SessionDep) -> Actor:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return actor_for_token(session, credentials.strip())
    raise Unauthenticated("sign in or send an API token (Authorization: Bearer …)")


CurrentActor = Annotated[Actor, Depends(get_actor)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

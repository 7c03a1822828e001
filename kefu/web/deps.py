"""Request-scoped dependencies, as Annotated aliases the routers use.

Every API route declares what it needs with `require(permission)`, `require_by_method(read, write)`
(for a whole router), `signed_in()` or `public()`;
the generated matrix test (tests/access/test_route_matrix.py) fails for a route that declares nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from anyio import to_thread
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.authn import (
    actor_for_session,
    actor_for_token,
    cached_session_actor,
    cached_token_actor,
)
from kefu.access.permissions import Permission, allows
from kefu.access.sessions import SESSION_COOKIE, decode_session
from kefu.core.errors import Forbidden, Unauthenticated
from kefu.core.runtime import Runtime
from kefu.web.security import SAFE_METHODS, check_csrf

# What a route declared, read back by the matrix test from the route's dependencies.
PUBLIC = "public"
SIGNED_IN = "signed_in"


@dataclass(frozen=True)
class ByMethod:
    read: Permission
    write: Permission


def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime


async def get_runtime(request: Request) -> Runtime:
    # async: a dependency that does no I/O should not cost a hop through the thread pool
    return runtime_of(request)


WRITES = "kefu_writes_on_read"


def writes_on_read(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a GET endpoint that also writes (an audit entry): it gets a write transaction, because on
    SQLite a read transaction cannot reliably turn into a write one under concurrency."""
    setattr(endpoint, WRITES, True)
    return endpoint


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent (events follow the commit).

    State-changing methods open a write transaction (on SQLite: BEGIN IMMEDIATE), reads a plain one,
    unless the endpoint is marked `@writes_on_read` (e.g. a profile view that is audited).
    """
    runtime = runtime_of(request)
    reads_only = request.method in SAFE_METHODS and not getattr(request.scope.get("endpoint"), WRITES, False)
    factory = runtime.sessions if reads_only else runtime.write_sessions
    with factory() as session, session.begin():
        yield session


# scope="function": the commit runs when the endpoint returns, so a failed commit is the caller's error.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def get_actor(request: Request, session: SessionDep) -> Actor:
    """Bearer token first (integrations), else the session cookie (console, with a CSRF check)."""
    address = client_address(request)
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return actor_for_token(session, credentials.strip(), address)
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        data = decode_session(runtime_of(request).settings.signing_key, raw)
        if data is None:
            raise Unauthenticated("signed out; sign in again", code="signed_out")
        actor = actor_for_session(session, data, address)
        check_csrf(request, data)
        return actor
    raise Unauthenticated("sign in or send an API token (Authorization: Bearer …)")


def _actor_in_own_session(request: Request) -> Actor:
    with runtime_of(request).sessions() as session, session.begin():
        return get_actor(request, session)


async def current_actor(request: Request) -> Actor:
    """`get_actor` for routes: from the authentication cache on the event loop when it can (no query, no
    thread), else in a worker thread with a short session of its own, so that authenticating never holds
    the request's (write) transaction open."""
    runtime = runtime_of(request)
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    actor: Actor | None = None
    if scheme.lower() == "bearer" and credentials.strip():
        actor = cached_token_actor(runtime.database, credentials.strip(), client_address(request))
    elif (raw := request.cookies.get(SESSION_COOKIE)) is not None and raw:
        data = decode_session(runtime.settings.signing_key, raw)
        address = client_address(request)
        if data is not None and (actor := cached_session_actor(runtime.database, data, address)):
            check_csrf(request, data)
    if actor is not None:
        return actor
    return await to_thread.run_sync(_actor_in_own_session, request)


CurrentActor = Annotated[Actor, Depends(current_actor)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def _declared(declaration: str | Permission | ByMethod, check: Callable[..., Any]) -> Any:
    check.kefu_declaration = declaration  # type: ignore[attr-defined]
    return Depends(check)


def authorise(actor: Actor, permission: Permission) -> Actor:
    if actor.must_change_password:
        raise Forbidden("change your temporary password first", code="password_change_required")
    if not allows(actor, permission):
        raise Forbidden(f"this needs the permission {permission.value}", code="permission_denied")
    return actor


def require(permission: Permission) -> Any:
    """A dependency allowing the request only when the actor's role (and token scopes) grant `permission`."""

    async def check(actor: CurrentActor) -> Actor:
        return authorise(actor, permission)

    return _declared(permission, check)


def require_by_method(read: Permission, write: Permission) -> Any:
    """For a whole router: `read` for GET/HEAD/OPTIONS, `write` for every state-changing method."""

    async def check(request: Request, actor: CurrentActor) -> Actor:
        return authorise(actor, read if request.method in SAFE_METHODS else write)

    return _declared(ByMethod(read, write), check)


def signed_in() -> Any:
    """Any authenticated actor (used by the routes a user needs about themselves)."""

    async def check(actor: CurrentActor) -> Actor:
        return actor

    return _declared(SIGNED_IN, check)


def public() -> Any:
    """No authentication: declared explicitly so that forgetting a permission is never the same as this."""

    async def check() -> None:
        return None

    return _declared(PUBLIC, check)

"""Access control over the REST API: sign-in and sessions, API tokens, permission requests, the audit log.

No route here edits or deletes audit entries, and none ever will: the log is append-only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, computed_field

from kefu.access import actions, change_requests
from kefu.access.access import access_me, list_api_tokens, list_users
from kefu.access.actor import Actor
from kefu.access.audit import audit_by, search_audit
from kefu.access.masking import mask_identity
from kefu.access.permissions import Permission, permissions_of
from kefu.access.sessions import new_session
from kefu.access.throttle import TooManyAttempts
from kefu.core import clock
from kefu.core.errors import Forbidden, KefuError
from kefu.customers.access import access_customer_by_id, identities_of
from kefu.web.deps import RuntimeDep, SessionDep, client_address, public, require, signed_in
from kefu.web.errors import error_body
from kefu.web.security import clear_session_cookies, set_session_cookies

router = APIRouter(tags=["access"])
P = Permission


class SignInIn(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)


class MeOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    team_id: int | None
    must_change_password: bool

    @computed_field  # type: ignore[prop-decorator]
    @property
    def permissions(self) -> list[str]:
        return sorted(p.value for p in permissions_of(self.role))


class SignedInOut(BaseModel):
    user: MeOut
    csrf_token: str


class PasswordIn(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


def _answer_committed(exc: KefuError) -> JSONResponse:
    """Answer an error without raising it, so the request's transaction commits and the failed attempt
    counts toward throttling (raising would roll the count back)."""
    fields = [{"field": exc.field, "reason": exc.message}] if exc.field else None
    wait = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
    return JSONResponse(error_body(exc.code, exc.message, fields), status_code=exc.status, headers=wait)


def _start_session(
    request: Request, response: Response, runtime: RuntimeDep, me: MeOut, session_version: int
) -> SignedInOut:
    """Issue a session (and its cookies) for a user who just proved their password."""
    data = new_session(me.id, session_version, clock.now())
    set_session_cookies(request, response, runtime.settings.signing_key, data)
    return SignedInOut(user=me, csrf_token=data.csrf)


@router.post("/auth/sign-in", response_model=SignedInOut, dependencies=[public()])
def post_sign_in(
    body: SignInIn, request: Request, response: Response, session: SessionDep, runtime: RuntimeDep
) -> Any:
    try:
        user = actions.sign_in(
            session, username=body.username, password=body.password, address=client_address(request)
        )
    except KefuError as exc:
        return _answer_committed(exc)
    me = MeOut.model_validate(user, from_attributes=True)
    return _start_session(request, response, runtime, me, user.session_version)


@router.post("/auth/sign-out", status_code=204)
def post_sign_out(response: Response, actor: Annotated[Actor, signed_in()], session: SessionDep) -> None:
    actions.do_sign_out(session, actor)
    clear_session_cookies(response)


@router.get("/auth/me", response_model=MeOut)
def get_me(actor: Annotated[Actor, signed_in()], session: SessionDep) -> MeOut:
    return MeOut.model_validate(access_me(session, actor), from_attributes=True)


@router.post("/auth/password", response_model=SignedInOut)
def post_password(
    body: PasswordIn,
    request: Request,
    response: Response,
    actor: Annotated[Actor, signed_in()],
    session: SessionDep,
    runtime: RuntimeDep,
) -> Any:
    """Change one's own password; this session continues, every other session of the user ends."""
    if actor.token_scopes is not None:
        raise Forbidden("passwords are changed from a signed-in session, not with an API token")
    try:
        user = actions.check_change_password(
            session, actor, current=body.current_password, new=body.new_password
        )
    except KefuError as exc:
        return _answer_committed(exc)
    me = MeOut.model_validate(user, from_attributes=True)
    return _start_session(request, response, runtime, me, user.session_version)


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    scopes: list[str] = Field(min_length=1, max_length=50)
    user_id: int | None = Field(default=None, description="the account the token acts for (default: you)")
    expires_at: datetime | None = None


class TokenOut(BaseModel):
    id: int
    name: str
    user_id: int
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="shown once; only a hash is kept")


@router.post("/tokens", response_model=NewTokenOut, status_code=201)
def post_token(
    body: TokenIn, actor: Annotated[Actor, require(P.tokens_manage)], session: SessionDep
) -> NewTokenOut:
    token, raw = actions.check_create_api_token(
        session,
        actor,
        user_id=body.user_id or actor.user_id,
        name=body.name,
        scopes=body.scopes,
        expires_at=body.expires_at,
    )
    return NewTokenOut(**TokenOut.model_validate(token, from_attributes=True).model_dump(), token=raw)


@router.get("/tokens", response_model=list[TokenOut], dependencies=[require(P.tokens_manage)])
def get_tokens(session: SessionDep) -> list[TokenOut]:
    return [TokenOut.model_validate(t, from_attributes=True) for t in list_api_tokens(session)]


@router.post("/tokens/{token_id}/revoke", response_model=TokenOut)
def post_revoke_token(
    token_id: int, actor: Annotated[Actor, require(P.tokens_manage)], session: SessionDep
) -> TokenOut:
    return TokenOut.model_validate(
        actions.do_revoke_api_token(session, actor, token_id), from_attributes=True
    )


class NewUserIn(BaseModel):
    username: str = Field(min_length=2, max_length=60)
    display_name: str = Field(min_length=1, max_length=120)
    email: str | None = Field(default=None, max_length=254)
    team_id: int | None = None


class NewUserOut(MeOut):
    temporary_password: str = Field(description="shown once; must be changed at the first sign-in")


@router.post("/users", response_model=NewUserOut, status_code=201)
def post_user(
    body: NewUserIn, actor: Annotated[Actor, require(P.users_manage)], session: SessionDep
) -> NewUserOut:
    user, temporary = actions.check_create_agent(
        session,
        actor,
        username=body.username,
        display_name=body.display_name,
        email=body.email,
        team_id=body.team_id,
    )
    me = MeOut.model_validate(user, from_attributes=True)
    return NewUserOut(**me.model_dump(exclude={"permissions"}), temporary_password=temporary)


@router.get("/users", response_model=list[MeOut])
def get_users(
    actor: Annotated[Actor, require(P.users_read)],
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after_id: Annotated[int, Query(ge=0)] = 0,
) -> list[MeOut]:
    """The colleagues in the caller's scope (a team lead: the team)."""
    return [
        MeOut.model_validate(u, from_attributes=True)
        for u in list_users(session, actor, limit=limit, after_id=after_id)
    ]


@router.post("/users/{user_id}/disable", response_model=MeOut)
def post_disable_user(
    user_id: int, actor: Annotated[Actor, require(P.users_manage)], session: SessionDep
) -> MeOut:
    return MeOut.model_validate(actions.do_disable_user(session, actor, user_id), from_attributes=True)


class ChangeRequestIn(BaseModel):
    user_id: int
    reason: str = Field(min_length=1, max_length=2000)
    role: str | None = None
    team_id: int | None = None


class DecisionIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class ChangeRequestOut(BaseModel):
    id: int
    user_id: int
    requested_by_id: int
    changes: dict[str, Any]
    reason: str
    status: str
    decided_by_id: int | None
    decision_reason: str | None
    created_at: datetime
    decided_at: datetime | None


@router.post("/permission-requests", response_model=ChangeRequestOut, status_code=201)
def post_change_request(
    body: ChangeRequestIn, actor: Annotated[Actor, require(P.users_manage)], session: SessionDep
) -> ChangeRequestOut:
    extra = {"team_id": body.team_id} if "team_id" in body.model_fields_set else {}
    request = change_requests.check_request_change(
        session, actor, user_id=body.user_id, reason=body.reason, role=body.role, **extra
    )
    return ChangeRequestOut.model_validate(request, from_attributes=True)


@router.get(
    "/permission-requests", response_model=list[ChangeRequestOut], dependencies=[require(P.users_manage)]
)
def get_change_requests(
    session: SessionDep,
    status: Annotated[str | None, Query(pattern="^(pending|approved|rejected)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ChangeRequestOut]:
    rows = change_requests.list_requests(session, status=status, limit=limit)
    return [ChangeRequestOut.model_validate(r, from_attributes=True) for r in rows]


@router.post("/permission-requests/{request_id}/approve", response_model=ChangeRequestOut)
def post_approve(
    request_id: int,
    body: DecisionIn,
    actor: Annotated[Actor, require(P.permissions_approve)],
    session: SessionDep,
) -> ChangeRequestOut:
    request = change_requests.check_approve(session, actor, request_id, reason=body.reason)
    return ChangeRequestOut.model_validate(request, from_attributes=True)


@router.post("/permission-requests/{request_id}/reject", response_model=ChangeRequestOut)
def post_reject(
    request_id: int,
    body: DecisionIn,
    actor: Annotated[Actor, require(P.permissions_approve)],
    session: SessionDep,
) -> ChangeRequestOut:
    request = change_requests.check_reject(session, actor, request_id, reason=body.reason)
    return ChangeRequestOut.model_validate(request, from_attributes=True)


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor_id: int | None
    action: str
    object_type: str | None
    object_id: str | None
    address: str | None
    details: dict[str, Any]
    hash: str


@router.get("/audit", response_model=list[AuditOut], dependencies=[require(P.audit_read)])
def get_audit(
    session: SessionDep,
    actor_id: int | None = None,
    action: Annotated[str | None, Query(max_length=60)] = None,
    object_type: Annotated[str | None, Query(max_length=40)] = None,
    object_id: Annotated[str | None, Query(max_length=80)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[AuditOut]:
    entries = search_audit(
        session,
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        since=since,
        until=until,
        before_id=before_id,
        limit=limit,
    )
    return [AuditOut.model_validate(e, from_attributes=True) for e in entries]


class UnmaskedOut(BaseModel):
    kind: str
    value: str


@router.post("/customers/{customer_id}/unmask", response_model=list[UnmaskedOut])
def post_unmask(
    customer_id: int, actor: Annotated[Actor, require(P.customers_unmask)], session: SessionDep
) -> list[UnmaskedOut]:
    """A customer's phone numbers and e-mail addresses in full; the reveal is audited."""
    customer = access_customer_by_id(session, actor, customer_id)
    shown = [UnmaskedOut(kind=i.kind, value=i.value) for i in identities_of(session, customer.id)]
    revealed = [i.kind for i in shown if mask_identity(i.kind, i.value) != i.value]
    audit_by(
        session,
        actor,
        "customer.unmask",
        object_type="customer",
        object_id=customer.id,
        details={"kinds": revealed},
    )
    return shown

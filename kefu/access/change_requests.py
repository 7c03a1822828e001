"""Permission changes as requests: proposed by one person, applied only when another approves.

A change of role or team changes what data a user can see (scopes follow role and team), so both go
through here. Only an administrator may approve a change that grants or removes the administrator role;
a supervisor may approve the others. Nobody decides a request they made or one about themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.audit import audit_by
from kefu.access.models import PermissionChangeRequest, Team, User
from kefu.access.permissions import ADMIN_ONLY_ROLES
from kefu.access.roles import Role
from kefu.core import clock
from kefu.core.errors import Conflict, Forbidden, InvalidInput, NotFound

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
_UNSET: Any = object()


def _validate_changes(session: Session, user: User, role: str | None, team_id: Any) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if role is not None:
        if role not in Role.__members__:
            raise InvalidInput(f"unknown role; one of {', '.join(Role)}", field="role")
        if role != user.role:
            changes["role"] = role
    if team_id is not _UNSET:
        if team_id is not None and session.get(Team, team_id) is None:
            raise InvalidInput(f"team {team_id} does not exist", field="team_id")
        if team_id != user.team_id:
            changes["team_id"] = team_id
    if not changes:
        raise InvalidInput("nothing would change; give a new role or team", field="changes")
    return changes


def check_request_change(
    session: Session,
    actor: Actor,
    *,
    user_id: int,
    reason: str,
    role: str | None = None,
    team_id: Any = _UNSET,
) -> PermissionChangeRequest:
    """Propose a change of `user_id`'s role and/or team (team_id=None: leave the team)."""
    user = session.get(User, user_id)
    if user is None:
        raise InvalidInput(f"user {user_id} does not exist", field="user_id")
    if not reason.strip():
        raise InvalidInput("say why the change is needed", field="reason")
    request = PermissionChangeRequest(
        user_id=user_id,
        requested_by_id=actor.user_id,
        changes=_validate_changes(session, user, role, team_id),
        reason=reason.strip(),
        status=PENDING,
        created_at=clock.now(),
    )
    session.add(request)
    session.flush()
    details = {"user_id": user_id, "changes": request.changes, "reason": request.reason}
    audit_by(
        session,
        actor,
        "permission.request",
        object_type="permission_request",
        object_id=request.id,
        details=details,
    )
    return request


def _pending_for_decision(
    session: Session, actor: Actor, request_id: int, reason: str
) -> PermissionChangeRequest:
    request = session.get(PermissionChangeRequest, request_id, with_for_update=True)
    if request is None:
        raise NotFound(f"permission request {request_id} not found")
    if request.status != PENDING:
        raise Conflict(f"already {request.status}", code="already_decided")
    if actor.user_id in (request.requested_by_id, request.user_id):
        raise Forbidden("nobody decides their own request or a change about themselves", code="own_request")
    user = session.get(User, request.user_id)
    assert user is not None  # the foreign key guarantees it
    roles = {user.role, request.changes.get("role", user.role)}
    if roles & ADMIN_ONLY_ROLES and actor.role != Role.admin:
        raise Forbidden(
            "only an administrator may approve changes to administrator rights", code="admin_only"
        )
    if not reason.strip():
        raise InvalidInput("say why", field="reason")
    return request


def _decide(request: PermissionChangeRequest, actor: Actor, status: str, reason: str) -> None:
    request.status = status
    request.decided_by_id = actor.user_id
    request.decision_reason = reason.strip()
    request.decided_at = clock.now()


def check_approve(session: Session, actor: Actor, request_id: int, *, reason: str) -> PermissionChangeRequest:
    """Approve and apply the change; it governs the user's very next request."""
    request = _pending_for_decision(session, actor, request_id, reason)
    user = session.get(User, request.user_id)
    assert user is not None
    if "role" in request.changes:
        user.role = request.changes["role"]
    if "team_id" in request.changes:
        user.team_id = request.changes["team_id"]
    _decide(request, actor, APPROVED, reason)
    audit_by(
        session,
        actor,
        "permission.approve",
        object_type="permission_request",
        object_id=request.id,
        details={"user_id": user.id, "changes": request.changes, "reason": request.decision_reason},
    )
    return request


def check_reject(session: Session, actor: Actor, request_id: int, *, reason: str) -> PermissionChangeRequest:
    request = _pending_for_decision(session, actor, request_id, reason)
    _decide(request, actor, REJECTED, reason)
    audit_by(
        session,
        actor,
        "permission.reject",
        object_type="permission_request",
        object_id=request.id,
        details={"user_id": request.user_id, "reason": request.decision_reason},
    )
    return request


def list_requests(session: Session, *, status: str | None, limit: int) -> Sequence[PermissionChangeRequest]:
    query = select(PermissionChangeRequest).order_by(PermissionChangeRequest.id.desc()).limit(limit)
    if status:
        query = query.where(PermissionChangeRequest.status == status)
    return session.scalars(query).all()

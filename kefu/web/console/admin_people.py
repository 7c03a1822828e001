"""Admin: users and roles, and permission changes as requests that someone else approves.

A new account starts as an agent (kefu.access.actions.check_create_agent); any change of role or team is
requested (check_request_change) and applied only when another person approves it (check_approve), which
refuses one's own requests and changes about oneself. Every step is audited by the access domain.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Response
from fastapi.responses import HTMLResponse

from kefu.access import actions, change_requests
from kefu.access.access import display_names, list_teams, list_users
from kefu.access.permissions import MATRIX, Permission
from kefu.access.roles import Role
from kefu.core.errors import KefuError
from kefu.web.console.admin_common import (
    REQUEST_WORDS,
    error_word,
    optional_id,
    render_admin,
    text,
)
from kefu.web.console.labels import N_
from kefu.web.console.page import Page, PageDep, see_other

router = APIRouter(prefix="/console/admin/users", include_in_schema=False)
P = Permission
Field = Annotated[str, Form(max_length=2000)]

USER_ERRORS = {
    "username": N_("Use 2–60 lower-case letters, digits, '.', '_' or '-'."),
    "username_taken": N_("This username is taken."),
    "display_name": N_("Give a name of 1–120 characters."),
    "email": N_("Give an e-mail address of at most 254 characters."),
    "team_id": N_("Choose a team that exists."),
}
REQUEST_ERRORS = {
    "user_id": N_("Choose a user."),
    "role": N_("Choose a role."),
    "team_id": N_("Choose a team that exists."),
    "changes": N_("Nothing would change; choose a new role or team."),
    "reason": N_("Say why."),
}
DECISION_ERRORS = {
    "own_request": N_("Nobody decides their own request or a change about themselves."),
    "admin_only": N_("Only an administrator may decide changes to administrator rights."),
    "already_decided": N_("This request was already decided."),
    "reason": N_("Say why."),
    "not_found": N_("This request no longer exists."),
}


def _context(page: Page, **extra: Any) -> dict[str, Any]:
    assert page.actor is not None
    users = list_users(page.session, page.actor, limit=200)
    manage = page.can(P.users_manage)
    requests = change_requests.list_requests(page.session, status=None, limit=50) if manage else []
    people = {r.user_id for r in requests} | {r.requested_by_id for r in requests}
    people |= {r.decided_by_id for r in requests if r.decided_by_id}
    teams = list_teams(page.session)
    return {
        "users": users,
        "teams": teams,
        "team_names": {t.id: t.name for t in teams},
        "requests": requests,
        "names": display_names(page.session, people),
        "request_words": REQUEST_WORDS,
        "may_manage": manage,
        "may_approve": page.can(P.permissions_approve),
        "matrix": [(p, [p in MATRIX[r] for r in Role]) for p in Permission],
        "role_codes": list(Role),
        "me": page.actor.user_id,
        "errors": {},
        "values": {},
        **extra,
    }


def _page(page: Page, status_code: int = 200, **extra: Any) -> Response:
    return render_admin(page, "admin/users.html", "users", status_code, **_context(page, **extra))


@router.get("", response_class=HTMLResponse)
def get_users(page: PageDep) -> Response:
    if (denied := page.refuse(P.users_read)) is not None:
        return denied
    return _page(page)


@router.post("", response_class=HTMLResponse)
def post_user(
    page: PageDep, username: Field = "", display_name: Field = "", email: Field = "", team_id: Field = ""
) -> Response:
    """A new agent account with a temporary password, shown once."""
    if (denied := page.refuse(P.users_manage)) is not None:
        return denied
    values = {"username": text(username), "display_name": text(display_name), "email": text(email)}
    errors: dict[str, str] = {}
    if not 1 <= len(values["display_name"]) <= 120:
        errors["display_name"] = USER_ERRORS["display_name"]
    if len(values["email"]) > 254:
        errors["email"] = USER_ERRORS["email"]
    try:
        team = optional_id(team_id)
    except ValueError:
        errors["team_id"], team = USER_ERRORS["team_id"], None
    if not errors:
        try:
            with page.session.begin_nested():
                user, temporary = actions.check_create_agent(
                    page.session, page.actor, username=values["username"],
                    display_name=values["display_name"], email=values["email"] or None, team_id=team,
                )  # fmt: skip
        except KefuError as exc:
            field, word = error_word(exc, USER_ERRORS)
            errors[field] = word
        else:
            return _page(page, created=user, temporary=temporary)
    return _page(page, 422, errors=errors, values=values)


@router.post("/requests", response_class=HTMLResponse)
def post_request(
    page: PageDep, user_id: Field = "", role: Field = "", team_id: Field = "", reason: Field = ""
) -> Response:
    """Propose a change of role and/or team; it waits for someone else's approval."""
    if (denied := page.refuse(P.users_manage)) is not None:
        return denied
    values = {"user_id": user_id, "role": role, "team_id": team_id, "reason": text(reason)}
    errors: dict[str, str] = {}
    try:
        target = optional_id(user_id)
    except ValueError:
        target = None
    if target is None:
        errors["user_id"] = REQUEST_ERRORS["user_id"]
    extra: dict[str, Any] = {}
    if team_id == "none":
        extra["team_id"] = None
    elif team_id:
        try:
            extra["team_id"] = optional_id(team_id)
        except ValueError:
            errors["team_id"] = REQUEST_ERRORS["team_id"]
    if not errors:
        try:
            with page.session.begin_nested():
                change_requests.check_request_change(
                    page.session, page.actor, user_id=target, reason=values["reason"], role=role or None,
                    **extra,
                )  # fmt: skip
        except KefuError as exc:
            field, word = error_word(exc, REQUEST_ERRORS)
            errors[field] = word
        else:
            return see_other(page.request, "/console/admin/users")
    return _page(page, 422, request_errors=errors, request_values=values)


def _decide(page: Page, request_id: int, reason: str, approve: bool) -> Response:
    if (denied := page.refuse(P.permissions_approve)) is not None:
        return denied
    decide = change_requests.check_approve if approve else change_requests.check_reject
    try:
        with page.session.begin_nested():
            decide(page.session, page.actor, request_id, reason=reason)
    except KefuError as exc:
        _field, word = error_word(exc, DECISION_ERRORS)
        status = exc.status if exc.status in (403, 404, 409, 422) else 422
        return _page(page, status, decision_errors={request_id: word})
    return see_other(page.request, "/console/admin/users")


@router.post("/requests/{request_id}/approve", response_class=HTMLResponse)
def post_approve(request_id: int, page: PageDep, reason: Field = "") -> Response:
    return _decide(page, request_id, reason, approve=True)


@router.post("/requests/{request_id}/reject", response_class=HTMLResponse)
def post_reject(request_id: int, page: PageDep, reason: Field = "") -> Response:
    return _decide(page, request_id, reason, approve=False)


@router.post("/{user_id}/disable", response_class=HTMLResponse)
def post_disable(user_id: int, page: PageDep) -> Response:
    if (denied := page.refuse(P.users_manage)) is not None:
        return denied
    try:
        with page.session.begin_nested():
            actions.do_disable_user(page.session, page.actor, user_id)
    except KefuError as exc:
        words = {
            "self_disable": N_("You cannot disable your own account."),
            "not_found": REQUEST_ERRORS["user_id"],
        }
        _field, word = error_word(exc, words)
        return _page(page, exc.status, disable_errors={user_id: word})
    return see_other(page.request, "/console/admin/users")

"""Admin: channel gateways and API tokens (`tokens:manage`).

A gateway (company app, social networks, telephone platform) proves itself with an API token carrying the
channel's scope and an HMAC signature made with the channel's secret. Both are shown exactly once: a
token's raw value only when it is created (kefu.access.actions.check_create_api_token keeps a hash), a
channel secret only in the answer to an explicit, audited request to reveal it.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Response
from fastapi.responses import HTMLResponse

from kefu.access import actions
from kefu.access.access import display_names, list_api_tokens, list_users
from kefu.access.audit import audit_by
from kefu.access.permissions import Permission
from kefu.channels.gateway import channel_secret
from kefu.channels.kinds import Channel
from kefu.core.errors import KefuError
from kefu.web.console.admin_common import error_word, optional_id, render_admin, text
from kefu.web.console.labels import N_
from kefu.web.console.page import Page, PageDep, see_other

router = APIRouter(prefix="/console/admin/channels", include_in_schema=False)
P = Permission
# The channels whose gateways call kefu's signed API (web chat and e-mail are kefu's own).
GATEWAYS = (Channel.app, Channel.social, Channel.api, Channel.voice)

TOKEN_ERRORS = {
    "name": N_("Give a name of 1–120 characters."),
    "scopes": N_("Choose at least one permission."),
    "user_id": N_("Choose a user."),
    "expires_at": N_("Give a date in the future (YYYY-MM-DD)."),
}


def _context(page: Page, **extra: Any) -> dict[str, Any]:
    assert page.actor is not None
    tokens = list_api_tokens(page.session)
    return {
        "gateways": GATEWAYS,
        "tokens": tokens,
        "names": display_names(page.session, {t.user_id for t in tokens}),
        "users": list_users(page.session, page.actor, limit=200),
        "scopes": list(Permission),
        "me": page.actor.user_id,
        "errors": {},
        "values": {},
        **extra,
    }


def _page(page: Page, status_code: int = 200, **extra: Any) -> Response:
    return render_admin(page, "admin/channels.html", "channels", status_code, **_context(page, **extra))


@router.get("", response_class=HTMLResponse)
def get_channels(page: PageDep) -> Response:
    if (denied := page.refuse(P.tokens_manage)) is not None:
        return denied
    return _page(page)


@router.post("/{channel}/secret", response_class=HTMLResponse)
def post_reveal_secret(channel: str, page: PageDep) -> Response:
    """The channel's signing secret, in this answer only; each reveal is audited."""
    if (denied := page.refuse(P.tokens_manage)) is not None:
        return denied
    if channel not in {g.value for g in GATEWAYS}:
        return page.render("not_found.html", status_code=404)
    assert page.actor is not None
    settings = page.request.app.state.runtime.settings
    secret = channel_secret(settings.signing_key, Channel(channel))
    audit_by(page.session, page.actor, "channel.secret_reveal", object_type="channel", object_id=channel)
    return _page(page, revealed=(channel, secret))


@router.post("/tokens", response_class=HTMLResponse)
def post_token(
    page: PageDep,
    name: Annotated[str, Form(max_length=500)] = "",
    user_id: Annotated[str, Form(max_length=12)] = "",
    expires_on: Annotated[str, Form(max_length=20)] = "",
    scopes: Annotated[list[str] | None, Form(max_length=60)] = None,
) -> Response:
    """A new token: its raw value is shown once, on the page that answers this form."""
    if (denied := page.refuse(P.tokens_manage)) is not None:
        return denied
    assert page.actor is not None
    chosen = sorted(set(scopes or []))
    values = {"name": text(name), "user_id": user_id, "expires_on": expires_on, "scopes": chosen}
    errors: dict[str, str] = {}
    if not 1 <= len(values["name"]) <= 120:
        errors["name"] = TOKEN_ERRORS["name"]
    try:
        owner = optional_id(user_id) or page.actor.user_id
    except ValueError:
        errors["user_id"], owner = TOKEN_ERRORS["user_id"], page.actor.user_id
    expires_at = None
    if text(expires_on):
        try:
            zone = ZoneInfo(page.request.app.state.runtime.settings.timezone)
            expires_at = datetime.combine(datetime.fromisoformat(text(expires_on)).date(), time(0), zone)
        except ValueError:
            errors["expires_at"] = TOKEN_ERRORS["expires_at"]
    if not chosen:
        errors["scopes"] = TOKEN_ERRORS["scopes"]
    if not errors:
        try:
            with page.session.begin_nested():
                token, raw = actions.check_create_api_token(
                    page.session, page.actor, user_id=owner, name=values["name"], scopes=chosen,
                    expires_at=expires_at,
                )  # fmt: skip
        except KefuError as exc:
            field, word = error_word(exc, TOKEN_ERRORS)
            errors[field] = word
        else:
            return _page(page, created=token, raw=raw)
    return _page(page, 422, errors=errors, values=values)


@router.post("/tokens/{token_id}/revoke", response_class=HTMLResponse)
def post_revoke(token_id: int, page: PageDep) -> Response:
    if (denied := page.refuse(P.tokens_manage)) is not None:
        return denied
    try:
        with page.session.begin_nested():
            actions.do_revoke_api_token(page.session, page.actor, token_id)
    except KefuError:
        return page.render("not_found.html", status_code=404)
    return see_other(page.request, "/console/admin/channels")

"""Signing in and out of the console, and the language switch (which also works signed out)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from kefu.access import actions
from kefu.access.actions import check_set_language
from kefu.access.sessions import new_session
from kefu.core import clock, i18n
from kefu.core.errors import InvalidInput, KefuError, Unauthenticated
from kefu.web.console.page import AnonymousPageDep, PageDep, safe_next, see_other
from kefu.web.console.rendering import LANGUAGE_COOKIE
from kefu.web.deps import client_address
from kefu.web.security import clear_session_cookies, set_session_cookies

router = APIRouter(include_in_schema=False)
ONE_YEAR = 365 * 24 * 3600


@router.get("/sign-in", response_class=HTMLResponse)
def get_sign_in(page: PageDep, next: str | None = None) -> Response:
    if page.actor is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return page.render("sign_in.html", next=safe_next(next), error=None)


@router.post("/sign-in", response_class=HTMLResponse)
def post_sign_in(
    page: AnonymousPageDep,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2000)] = "/console",
) -> Response:
    """The form twin of POST /api/v1/auth/sign-in: same action, same throttling and audit, same cookies."""
    try:
        user = actions.sign_in(
            page.session, username=username, password=password, address=client_address(page.request)
        )
    except KefuError as exc:
        # Rendered, not raised: the request's transaction must commit so the failure counts toward throttling.
        error = "wrong" if isinstance(exc, Unauthenticated) else "locked"
        return page.render("sign_in.html", status_code=exc.status, next=safe_next(next), error=error)
    response = RedirectResponse(safe_next(next), status_code=303)
    settings = page.request.app.state.runtime.settings
    set_session_cookies(
        page.request, response, settings.signing_key, new_session(user.id, user.session_version, clock.now())
    )
    return response


@router.post("/sign-out")
def post_sign_out(page: PageDep) -> Response:
    """Signed-in readers only (the page dependency checked the CSRF header of this POST)."""
    response = see_other(page.request, "/sign-in")
    if page.actor is not None:
        clear_session_cookies(response)
    return response


@router.post("/language")
def post_language(
    page: PageDep,
    language: Annotated[str, Form(max_length=10)],
    next: Annotated[str, Form(max_length=2000)] = "/console",
) -> Response:
    """Remember the reader's language: in the profile when signed in, and in a cookie for the sign-in page."""
    try:
        chosen = i18n.require_supported(language)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="language") from None
    if page.actor is not None:
        check_set_language(page.session, page.actor, chosen)
    response = see_other(page.request, safe_next(next))
    secure = page.request.url.scheme == "https"
    response.set_cookie(
        LANGUAGE_COOKIE, chosen, max_age=ONE_YEAR, httponly=True, samesite="lax", secure=secure
    )
    return response

"""What every console page needs: who is reading (if anyone) and in which language.

Pages authenticate exactly like the API (kefu.web.deps.get_actor: session cookie, CSRF on writes) but
answer an anonymous reader with a redirect to the sign-in page instead of a JSON 401.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.models import User
from kefu.access.permissions import Permission, allows
from kefu.core import i18n
from kefu.core.errors import Unauthenticated
from kefu.web.console.rendering import LANGUAGE_COOKIE, render
from kefu.web.deps import SessionDep, get_actor


@dataclass
class Page:
    request: Request
    session: Session
    actor: Actor | None
    user: User | None
    language: str

    def render(self, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return render(
            self.request, self.language, name, {"user": self.user, "page": self, **context}, status_code
        )

    def can(self, permission: Permission) -> bool:
        """As the API's `require`: a temporary password must be replaced before anything else."""
        if self.actor is None or self.actor.must_change_password:
            return False
        return allows(self.actor, permission)

    def forbidden(self) -> HTMLResponse:
        return self.render("forbidden.html", status_code=403)

    def refuse(self, permission: Permission) -> Response | None:
        """None when the reader may see this; otherwise the answer to give: sign in, or not allowed."""
        if self.actor is None:
            return sign_in_redirect(self.request)
        if not self.can(permission):
            return self.forbidden()
        return None


def _page(request: Request, session: Session, actor: Actor | None) -> Page:
    user = session.get(User, actor.user_id) if actor else None
    preference = (user.language if user else None) or request.cookies.get(LANGUAGE_COOKIE)
    language = i18n.choose_language(
        preference, request.headers.get("accept-language"), request.app.state.runtime.settings.language
    )
    return Page(request, session, actor, user, language)


def get_page(request: Request, session: SessionDep) -> Page:
    try:
        actor: Actor | None = get_actor(request, session)
    except Unauthenticated:
        actor = None
    return _page(request, session, actor)


def get_anonymous_page(request: Request, session: SessionDep) -> Page:
    """For the sign-in form: whoever may be signed in already is not asked for (nor checked for CSRF)."""
    return _page(request, session, None)


PageDep = Annotated[Page, Depends(get_page)]
AnonymousPageDep = Annotated[Page, Depends(get_anonymous_page)]


def see_other(request: Request, url: str) -> Response:
    """Go to `url`: a 303 for the browser, or for htmx an HX-Redirect (its XMLHttpRequest would follow a
    303 silently and swap the whole next page into the fragment)."""
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def sign_in_redirect(request: Request) -> Response:
    """Send an anonymous reader to sign in, and back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return see_other(request, f"/sign-in?next={quote(target, safe='')}")


def safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would let a phishing link borrow kefu's sign-in page."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console"

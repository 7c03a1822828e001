"""Admin: each agent's routing profile — skills with levels, contacts per channel, in all, languages.

Team leads set their own team's agents, supervisors and administrators everyone's (`routing:manage`), the
same reach as the API's `PUT /agents/{id}/routing-profile`; nobody sets their own. The change goes through
kefu.routing.actions.check_set_routing_profile (levels 1–5, known channels, 0–50 contacts, supported
languages; capacity below what the agent holds now is refused), and the first profile makes an agent
routable.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Response
from fastapi.responses import HTMLResponse

from kefu.access.access import list_users
from kefu.core import clock
from kefu.core.errors import KefuError
from kefu.core.i18n import LANGUAGES
from kefu.routing.access import list_skills, routing_profiles
from kefu.routing.actions import CONTACT_ROLES, check_set_routing_profile
from kefu.routing.errors import InvalidFieldError, RoutingError
from kefu.routing.state import CHANNELS, MAX_CONTACTS, MAX_SKILL_LEVEL
from kefu.web.console.admin_common import REFUSED, P, render_admin
from kefu.web.console.labels import N_
from kefu.web.console.page import Page, PageDep, see_other

router = APIRouter(prefix="/console/admin", include_in_schema=False)
Values = Annotated[list[str] | None, Form()]

PROFILE_ERRORS = {
    "skills": N_("Choose a level from 1 to 5."),
    "unknown_skill": N_("This skill no longer exists."),
    "channel_capacity": N_("Give a number of contacts from 0 to 50."),
    "max_concurrent": N_("Give a number of contacts from 0 to 50."),
    "languages": N_("Choose languages kefu supports."),
    "capacity_exceeded": N_("The agent holds more contacts than this now; lower it once they have finished."),
}
LANGUAGE_WORDS = {"zh_CN": N_("Chinese"), "en": N_("English")}


def _agents(page: Page) -> list[Any]:
    """Who the reader may set: active agents and team leads in reach, never the reader."""
    assert page.actor is not None
    users = list_users(page.session, page.actor, limit=500)
    return [
        u for u in users if u.is_active and u.role in CONTACT_ROLES and u.id != page.actor.user_id
    ]


def _page(page: Page, status_code: int = 200, **extra: Any) -> Response:
    agents = _agents(page)
    return render_admin(
        page, "admin/agents.html", "agents", status_code,
        agents=agents, profiles=routing_profiles(page.session, [u.id for u in agents]),
        skills=list_skills(page.session), channels=sorted(CHANNELS), levels=range(1, MAX_SKILL_LEVEL + 1),
        max_contacts=MAX_CONTACTS, languages=LANGUAGES, language_words=LANGUAGE_WORDS,
        **{"errors": {}, **extra},
    )  # fmt: skip


@router.get("/agents", response_class=HTMLResponse)
def get_agents(page: PageDep) -> Response:
    if (denied := page.refuse(P.routing_manage)) is not None:
        return denied
    return _page(page)


@router.post("/agents/{user_id}/profile", response_class=HTMLResponse)
def post_profile(
    user_id: int,
    page: PageDep,
    skill_code: Values = None,
    skill_level: Values = None,
    channel: Values = None,
    capacity: Values = None,
    max_concurrent: Annotated[str, Form(max_length=10)] = "0",
    languages: Values = None,
) -> Response:
    """Replace the agent's profile with the form's (a skill left at "–" is taken away)."""
    if (denied := page.refuse(P.routing_manage)) is not None:
        return denied
    if user_id not in {u.id for u in _agents(page)}:
        return page.render("not_found.html", status_code=404)
    try:
        skills = _numbers(skill_code, skill_level, "skills")
        contacts = _numbers(channel, capacity, "channel_capacity")
        total = _number(max_concurrent, "max_concurrent")
        with page.session.begin_nested():
            check_set_routing_profile(
                page.session, user_id, skills=skills, channel_capacity=contacts, max_concurrent=total,
                languages=list(languages or []), now=clock.now(),
            )  # fmt: skip
    except (KefuError, RoutingError) as exc:
        code = getattr(exc, "code", "")
        field = (getattr(exc, "field", None) or "form").split("[")[0]
        word = PROFILE_ERRORS.get(code) or PROFILE_ERRORS.get(field) or REFUSED
        return _page(page, 409 if code == "capacity_exceeded" else 422, errors={user_id: {field: word}})
    return see_other(page.request, f"/console/admin/agents#agent-{user_id}")


def _numbers(names: list[str] | None, values: list[str] | None, field: str) -> dict[str, int]:
    """Pairs of a name and a number from the form's parallel lists; an empty number leaves the name out."""
    names, values = names or [], values or []
    if len(names) != len(values):
        raise InvalidFieldError(field, "the form's lists differ in length")
    pairs = zip(names, values, strict=True)
    return {name: _number(value, f"{field}[{name}]") for name, value in pairs if value.strip()}


def _number(value: str, field: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise InvalidFieldError(field, "not a whole number") from None

"""Admin: teams, skills and queues with their routing strategy (`routing:manage`).

Teams are created by kefu.access.actions.check_create_team (audited), skills by
kefu.routing.actions.check_create_skill, and a queue's strategy is switched by check_set_strategy, which
the next routing round uses without a restart.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Response
from fastapi.responses import HTMLResponse

from kefu.access.access import display_names, list_departments, list_teams, list_users, team_sizes
from kefu.access.actions import check_create_team
from kefu.access.permissions import Permission
from kefu.core import clock
from kefu.core.errors import KefuError
from kefu.routing.access import list_queues, list_skills, queue_statuses, skill_holders
from kefu.routing.actions import SKILL_KINDS, check_create_queue, check_create_skill, check_set_strategy
from kefu.routing.errors import RoutingError
from kefu.routing.state import CHANNELS, STRATEGIES
from kefu.web.console.admin_common import (
    REFUSED,
    STRATEGY_WORDS,
    error_word,
    optional_id,
    render_admin,
    text,
)
from kefu.web.console.labels import N_
from kefu.web.console.page import Page, PageDep, see_other

router = APIRouter(prefix="/console/admin", include_in_schema=False)
P = Permission
Field = Annotated[str, Form(max_length=200)]

TEAM_ERRORS = {
    "code": N_("Use 2–40 lower-case letters, digits or _."),
    "team_exists": N_("A team with this code exists."),
    "name": N_("Give a name of 1–120 characters."),
    "lead_id": N_("Choose an active user."),
}
SKILL_ERRORS = {
    "code": N_("Use 2–60 lower-case letters, digits or _."),
    "skill_exists": N_("A skill with this code exists."),
    "name": N_("Give a name of 1–120 characters."),
    "kind": N_("Choose a kind."),
}
QUEUE_ERRORS = {
    "code": N_("Use 2–60 lower-case letters, digits or _."),
    "queue_exists": N_("A queue with this code exists."),
    "name": N_("Give a name of 1–120 characters."),
    "unknown_skill": N_("Choose a skill."),
    "min_level": N_("Choose a level from 1 to 5."),
    "team_id": N_("Choose a team."),
}
SKILL_KIND_WORDS = {"product": N_("Product"), "language": N_("Language"), "channel": N_("Channel")}


def _teams_context(page: Page, **extra: Any) -> dict[str, Any]:
    teams = list_teams(page.session)
    skills = list_skills(page.session)
    holders = skill_holders(page.session)
    people = {t.lead_id for t in teams} | {u for held in holders.values() for u, _level in held}
    names = display_names(page.session, people)
    assert page.actor is not None
    return {
        "teams": teams,
        "sizes": team_sizes(page.session),
        "departments": list_departments(page.session),
        "skills": skills,
        "holders": holders,
        "names": names,
        "leads": list_users(page.session, page.actor, limit=200),
        "skill_kinds": SKILL_KINDS,
        "may_create_team": page.can(P.users_manage),
        "kind_words": SKILL_KIND_WORDS,
        "team_errors": {},
        "skill_errors": {},
        "team_values": {},
        "skill_values": {},
        **extra,
    }


def _teams(page: Page, status_code: int = 200, **extra: Any) -> Response:
    return render_admin(page, "admin/teams.html", "teams", status_code, **_teams_context(page, **extra))


@router.get("/teams", response_class=HTMLResponse)
def get_teams(page: PageDep) -> Response:
    if (denied := page.refuse(P.routing_manage)) is not None:
        return denied
    return _teams(page)


@router.post("/teams", response_class=HTMLResponse)
def post_team(page: PageDep, code: Field = "", name: Field = "", lead_id: Field = "") -> Response:
    """A new team: part of the organisation (who sees whose work), so it needs `users:manage`."""
    if (denied := page.refuse(P.users_manage)) is not None:
        return denied
    values = {"code": text(code), "name": text(name), "lead_id": lead_id}
    errors: dict[str, str] = {}
    try:
        lead = optional_id(lead_id)
    except ValueError:
        errors["lead_id"], lead = TEAM_ERRORS["lead_id"], None
    if not errors:
        try:
            with page.session.begin_nested():
                check_create_team(
                    page.session, page.actor, code=values["code"], name=values["name"], lead_id=lead
                )
        except KefuError as exc:
            field, word = error_word(exc, TEAM_ERRORS)
            errors[field] = word
        else:
            return see_other(page.request, "/console/admin/teams")
    return _teams(page, 422, team_errors=errors, team_values=values)


@router.post("/skills", response_class=HTMLResponse)
def post_skill(page: PageDep, code: Field = "", name: Field = "", kind: Field = "product") -> Response:
    if (denied := page.refuse(P.routing_manage)) is not None:
        return denied
    values = {"code": text(code), "name": text(name), "kind": kind}
    try:
        with page.session.begin_nested():
            check_create_skill(page.session, code=values["code"], name=values["name"], kind=kind)
    except KefuError as exc:
        field, word = error_word(exc, SKILL_ERRORS)
        return _teams(page, 422, skill_errors={field: word}, skill_values=values)
    return see_other(page.request, "/console/admin/teams")


def _queues(page: Page, status_code: int = 200, **extra: Any) -> Response:
    live = {s.code: s for s in queue_statuses(page.session, clock.now())}
    teams = {t.id: t.name for t in list_teams(page.session)}
    return render_admin(
        page, "admin/queues.html", "queues", status_code,
        queues=list_queues(page.session), live=live, team_names=teams, strategies=STRATEGIES,
        strategy_words=STRATEGY_WORDS, channels=sorted(CHANNELS), skills=list_skills(page.session),
        **{"errors": {}, "queue_errors": {}, "queue_values": {}, **extra},
    )  # fmt: skip


@router.get("/queues", response_class=HTMLResponse)
def get_queues(page: PageDep) -> Response:
    if (denied := page.refuse(P.routing_manage)) is not None:
        return denied
    return _queues(page)


@router.post("/queues/{code}/strategy", response_class=HTMLResponse)
def post_strategy(code: str, page: PageDep, strategy: Field = "") -> Response:
    """Switch the queue's strategy; the next routing round uses it."""
    if (denied := page.refuse(P.routing_manage)) is not None:
        return denied
    try:
        with page.session.begin_nested():
            check_set_strategy(page.session, code, strategy)
    except KefuError as exc:
        words = {"strategy": N_("Choose a strategy."), "unknown_queue": N_("This queue no longer exists.")}
        _field, word = error_word(exc, words)
        return _queues(page, exc.status if exc.status in (404, 422) else 422, errors={code: word})
    return see_other(page.request, "/console/admin/queues")


@router.post("/queues", response_class=HTMLResponse)
def post_queue(
    page: PageDep,
    code: Field = "",
    name: Field = "",
    channel: Field = "",
    strategy: Field = "skill_first",
    skill: Field = "",
    min_level: Field = "1",
    language: Field = "",
    team_id: Field = "",
    requires_acceptance: Field = "",
) -> Response:
    """A new queue, validated by routing itself (the same checks as the API's)."""
    if (denied := page.refuse(P.routing_manage)) is not None:
        return denied
    values = {"code": text(code), "name": text(name), "channel": channel, "skill": skill}
    try:
        level, team = int(min_level), optional_id(team_id)
        if not 1 <= level <= 5:
            raise ValueError(min_level)
    except ValueError:
        return _queues(page, 422, queue_errors={"min_level": QUEUE_ERRORS["min_level"]}, queue_values=values)
    try:
        with page.session.begin_nested():
            check_create_queue(
                page.session, code=values["code"], name=values["name"], channel=channel,
                strategy=strategy, required_skills={skill: level} if skill else {},
                language=language or None, requires_acceptance=bool(requires_acceptance), team_id=team,
            )  # fmt: skip
    except (KefuError, RoutingError) as exc:
        code = getattr(exc, "code", "")
        field = "skill" if code == "unknown_skill" else (getattr(exc, "field", None) or "form").split(".")[-1]
        word = QUEUE_ERRORS.get(code) or QUEUE_ERRORS.get(field) or REFUSED
        return _queues(page, 422, queue_errors={field: word}, queue_values=values)
    return see_other(page.request, "/console/admin/queues")

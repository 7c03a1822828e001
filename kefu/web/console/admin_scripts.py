"""Admin: the script library (话术库), canned replies by scenario with {variables} and shortcuts.

Reads and writes go through kefu.knowledge (list_scripts, do_create_script, do_update_script,
do_delete_script), which validate titles, bodies, languages, scenarios and unique shortcuts.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Response
from fastapi.responses import HTMLResponse

from kefu.access.permissions import Permission
from kefu.core import clock
from kefu.core.errors import KefuError, NotFound
from kefu.knowledge.access import list_scripts
from kefu.knowledge.lifecycle import LANGUAGES
from kefu.knowledge.scripts import (
    KNOWN_VARIABLES,
    Scenario,
    do_create_script,
    do_delete_script,
    do_update_script,
    script_by_id,
    variables_in,
)
from kefu.web.console.admin_common import error_word, render_admin, text
from kefu.web.console.labels import N_
from kefu.web.console.page import Page, PageDep, see_other

router = APIRouter(prefix="/console/admin/scripts", include_in_schema=False)
P = Permission
Field = Annotated[str, Form(max_length=10000)]
LIMIT = 200

SCENARIO_WORDS = {
    "greeting": N_("Greeting"),
    "product_introduction": N_("Product introduction"),
    "objection_handling": N_("Objection handling"),
    "complaint_soothing": N_("Soothing a complaint"),
    "closing": N_("Closing"),
    "other": N_("Other"),
}
LANGUAGE_WORDS = {"zh": N_("Chinese"), "en": N_("English")}
ERRORS = {
    "title": N_("Give a title of 1–200 characters."),
    "body": N_("Write the reply (at most 5,000 characters)."),
    "language": N_("Choose a language."),
    "scenario": N_("Choose a scenario."),
    "shortcut": N_("A shortcut is 1–40 letters, digits, '_' or '-', unique per language."),
}


def _page(page: Page, status_code: int = 200, **extra: Any) -> Response:
    language = extra.pop("language", None)
    scenario = extra.pop("scenario", None)
    scripts = list_scripts(page.session, language=language, scenario=scenario, limit=LIMIT)
    return render_admin(
        page, "admin/scripts.html", "scripts", status_code,
        scripts=scripts, scenarios=[s.value for s in Scenario], scenario_words=SCENARIO_WORDS,
        languages=list(LANGUAGES), language_words=LANGUAGE_WORDS, known_variables=KNOWN_VARIABLES,
        variables_in=variables_in, chosen_language=language, chosen_scenario=scenario,
        **{"errors": {}, "form": {"language": "zh", "scenario": "other"}, **extra},
    )  # fmt: skip


@router.get("", response_class=HTMLResponse)
def get_scripts(
    page: PageDep,
    language: Annotated[str | None, Query(max_length=10)] = None,
    scenario: Annotated[str | None, Query(max_length=30)] = None,
    edit: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    if (denied := page.refuse(P.knowledge_write)) is not None:
        return denied
    language = language if language in LANGUAGES else None
    scenario = scenario if scenario in set(Scenario) else None
    form: dict[str, Any] = {"language": language or "zh", "scenario": scenario or "other"}
    if edit is not None:
        try:
            script = script_by_id(page.session, edit)
        except NotFound:
            return page.render("not_found.html", status_code=404)
        form = {
            "id": script.id, "title": script.title, "body": script.body, "language": script.language,
            "scenario": script.scenario, "shortcut": script.shortcut or "",
        }  # fmt: skip
    return _page(page, language=language, scenario=scenario, form=form)


@router.post("", response_class=HTMLResponse)
def post_script(
    page: PageDep,
    script_id: Field = "",
    title: Field = "",
    body: Field = "",
    language: Field = "zh",
    scenario: Field = "other",
    shortcut: Field = "",
) -> Response:
    """Create a script, or replace the one named by `script_id`."""
    if (denied := page.refuse(P.knowledge_write)) is not None:
        return denied
    assert page.actor is not None
    form = {"title": title, "body": body, "language": language, "scenario": scenario, "shortcut": shortcut}
    values = {**form, "title": text(title), "shortcut": text(shortcut) or None}
    try:
        with page.session.begin_nested():
            if text(script_id):
                if not text(script_id).isdigit():
                    return page.render("not_found.html", status_code=404)
                form["id"] = int(script_id)
                script = script_by_id(page.session, int(script_id))
                do_update_script(page.session, script, values, now=clock.now())
            else:
                do_create_script(page.session, **values, created_by=page.actor.user_id, now=clock.now())
    except NotFound:
        return page.render("not_found.html", status_code=404)
    except KefuError as exc:
        field, word = error_word(exc, ERRORS)
        return _page(page, 422, errors={field: word}, form=form)
    return see_other(page.request, "/console/admin/scripts")


@router.post("/{script_id}/delete", response_class=HTMLResponse)
def post_delete(script_id: int, page: PageDep) -> Response:
    if (denied := page.refuse(P.knowledge_write)) is not None:
        return denied
    try:
        with page.session.begin_nested():
            do_delete_script(page.session, script_by_id(page.session, script_id))
    except NotFound:
        return page.render("not_found.html", status_code=404)
    return see_other(page.request, "/console/admin/scripts")

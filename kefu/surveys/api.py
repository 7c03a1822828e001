"""CSAT over HTTP: the customer's one-time link (JSON for apps and IVR, a small HTML page for e-mail),
asking for a survey after a conversation, and the report.

A reused or expired token answers with a friendly page (or a 409/410 JSON error) and records nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, Field

from kefu.access.permissions import Permission
from kefu.channels.access import access_conversation_by_id
from kefu.core import clock, i18n
from kefu.core.errors import InvalidInput, KefuError, NotFound
from kefu.surveys import access, actions
from kefu.surveys.access import CsatFigures
from kefu.web.deps import CurrentActor, RuntimeDep, SessionDep, public, require

if TYPE_CHECKING:
    from kefu.surveys.models import Survey

router = APIRouter(tags=["surveys"])
TEMPLATES = Path(__file__).resolve().parent / "templates"
Score = Field(ge=1, le=5, description="1 (very poor) to 5 (very good)")


class SurveyOut(BaseModel):
    state: Literal["open", "answered", "expired"]
    dimensions: list[str]
    expires_at: datetime


class AnswerIn(BaseModel):
    attitude: int = Score
    efficiency: int = Score
    accuracy: int = Score
    comment: str | None = Field(default=None, max_length=2000)


class SurveyRequestIn(BaseModel):
    conversation_id: int = Field(ge=1)


class CreatedOut(BaseModel):
    created: bool
    survey_id: int | None


class FiguresOut(BaseModel):
    sent: int
    answered: int
    response_rate: float | None
    csat: float | None
    attitude: float | None
    efficiency: float | None
    accuracy: float | None


class ReportOut(BaseModel):
    since: datetime
    until: datetime
    overall: FiguresOut
    by_agent: dict[int, FiguresOut]


async def _form(request: Request) -> dict[str, str]:
    """A urlencoded form body (parsed here: the page has three radio groups and a comment)."""
    return {k: v[0] for k, v in parse_qs((await request.body()).decode(errors="replace")).items()}


FormDep = Annotated[dict[str, str], Depends(_form)]


def _state(survey: Survey, now: datetime) -> str:
    if survey.answered_at is not None:
        return "answered"
    return "expired" if now > survey.sent_at + actions.VALID_FOR else "open"


def _survey(session: SessionDep, runtime: RuntimeDep, token: str, for_update: bool = False) -> Survey:
    survey = access.survey_by_token(session, runtime.settings.signing_key, token, for_update=for_update)
    if survey is None:
        raise NotFound("this survey link is not valid", field="token")
    return survey


@router.get("/surveys/{token}", dependencies=[public()])
def get_survey(token: str, session: SessionDep, runtime: RuntimeDep) -> SurveyOut:
    survey = _survey(session, runtime, token)
    state = _state(survey, clock.now())
    return SurveyOut(
        state=state, dimensions=list(actions.DIMENSIONS), expires_at=survey.sent_at + actions.VALID_FOR
    )  # type: ignore[arg-type]


@router.post("/surveys/{token}", status_code=201, dependencies=[public()])
def answer_survey(token: str, body: AnswerIn, session: SessionDep, runtime: RuntimeDep) -> SurveyOut:
    survey = _survey(session, runtime, token, for_update=True)
    scores = body.model_dump(include=set(actions.DIMENSIONS))
    actions.do_answer_survey(session, survey=survey, scores=scores, comment=body.comment, now=clock.now())
    return SurveyOut(
        state="answered", dimensions=list(actions.DIMENSIONS), expires_at=survey.sent_at + actions.VALID_FOR
    )


@cache
def _environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def _page(
    request: Request, runtime: RuntimeDep, state: str, status: int = 200, problem: str = ""
) -> HTMLResponse:
    language = i18n.choose_language(None, request.headers.get("accept-language"), runtime.settings.language)
    env = _environment(language)
    html = env.get_template("survey.html").render(
        state=state,
        action=request.url.path,
        problem=problem,
        html_lang="zh-CN" if language == "zh_CN" else language,
    )
    return HTMLResponse(html, status_code=status)


@router.get("/surveys/{token}/page", include_in_schema=False, dependencies=[public()])
def survey_page(token: str, request: Request, session: SessionDep, runtime: RuntimeDep) -> HTMLResponse:
    survey = access.survey_by_token(session, runtime.settings.signing_key, token)
    if survey is None:
        return _page(request, runtime, "invalid", 404)
    state = _state(survey, clock.now())
    return _page(request, runtime, state, {"open": 200, "answered": 409, "expired": 410}[state])


@router.post("/surveys/{token}/page", include_in_schema=False, dependencies=[public()])
def survey_form(
    token: str, request: Request, form: FormDep, session: SessionDep, runtime: RuntimeDep
) -> HTMLResponse:
    """The HTML form's answer; a bad or missing score shows the form again, naming the problem (nothing is
    changed before every check passed, so answering with a page instead of an error records nothing)."""
    survey = access.survey_by_token(session, runtime.settings.signing_key, token, for_update=True)
    if survey is None:
        return _page(request, runtime, "invalid", 404)
    try:
        scores = {d: _score(form.get(d), d) for d in actions.DIMENSIONS}
        actions.do_answer_survey(
            session, survey=survey, scores=scores, comment=form.get("comment"), now=clock.now()
        )
    except InvalidInput as exc:
        return _page(request, runtime, "open", 422, problem=exc.message)
    except KefuError as exc:
        state = "expired" if isinstance(exc, actions.SurveyExpired) else "answered"
        return _page(request, runtime, state, exc.status)
    return _page(request, runtime, "thanks")


def _score(raw: str | None, name: str) -> int:
    if raw is None or not raw.strip().isdigit():
        raise InvalidInput(f"{name}: a whole number from 1 to 5 is required", field=name)
    return int(raw)


@router.post("/surveys", status_code=201, dependencies=[require(Permission.conversations_write)])
def request_survey(body: SurveyRequestIn, session: SessionDep, actor: CurrentActor) -> CreatedOut:
    """Ask for CSAT after a conversation was solved (the channel side sends the link on `survey.created`)."""
    conversation = access_conversation_by_id(session, actor, body.conversation_id)
    survey = actions.do_create_survey(
        session, customer_id=conversation.customer_id, channel=conversation.channel, now=clock.now(),
        conversation_id=conversation.id, agent_id=conversation.agent_id,
    )  # fmt: skip
    return CreatedOut(created=survey is not None, survey_id=None if survey is None else survey.id)


def _out(figures: CsatFigures) -> FiguresOut:
    return FiguresOut.model_validate(figures, from_attributes=True)


@router.get("/csat/report", dependencies=[require(Permission.reports_read)])
def report(
    session: SessionDep,
    actor: CurrentActor,
    since: datetime | None = Query(default=None, description="default: 30 days ago"),
    until: datetime | None = Query(default=None, description="default: now"),
) -> ReportOut:
    """Response rate and CSAT of the surveys sent in the period, overall and per agent, over the agents in
    the reader's reach (a team lead's team; the whole centre for supervisors)."""
    until = until or clock.now()
    since = since or until - timedelta(days=30)
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidInput(
            "since: give times with a zone offset (e.g. 2026-03-01T00:00:00+08:00)", field="since"
        )
    overall, by_agent = access.csat_report(session, actor, since, until)
    return ReportOut(
        since=since, until=until, overall=_out(overall), by_agent={k: _out(v) for k, v in by_agent.items()}
    )

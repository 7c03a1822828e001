"""CSAT surveys: one per solved ticket or conversation, answered once on three dimensions (1–5)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.core.errors import Conflict, InvalidInput, KefuError
from kefu.core.events import Event, send_event_on_commit
from kefu.core.ids import public_id
from kefu.surveys.models import Survey
from kefu.tickets import follow_ups

DIMENSIONS = ("attitude", "efficiency", "accuracy")
VALID_FOR = timedelta(days=7)


class SurveyExpired(KefuError):
    status = 410
    code = "survey_expired"


def do_create_survey(
    session: Session,
    *,
    customer_id: int,
    channel: str,
    now: datetime,
    ticket_id: int | None = None,
    conversation_id: int | None = None,
    agent_id: int | None = None,
) -> Survey | None:
    """Ask for CSAT once per ticket or conversation (a ticket solved again after a reopen keeps its first
    survey). The channel side sends the link on `survey.created` (see `kefu.surveys.links`)."""
    if ticket_id is None and conversation_id is None:
        raise InvalidInput("ticket_id: a survey is about a ticket or a conversation", field="ticket_id")
    about = (
        Survey.ticket_id == ticket_id if ticket_id is not None else Survey.conversation_id == conversation_id
    )
    if session.scalar(select(Survey.id).where(about)) is not None:
        return None
    survey = Survey(
        public_id=public_id(), customer_id=customer_id, channel=channel, sent_at=now,
        ticket_id=ticket_id, conversation_id=conversation_id, agent_id=agent_id,
    )  # fmt: skip
    session.add(survey)
    session.flush()
    payload = {
        "survey": survey.public_id, "customer": customer_id, "channel": channel,
        "ticket": ticket_id, "conversation": conversation_id,
    }  # fmt: skip
    send_event_on_commit(session, Event("survey.created", payload, ()))
    return survey


def check_answerable(survey: Survey, now: datetime) -> None:
    if survey.answered_at is not None:
        raise Conflict("this survey has already been answered", code="survey_answered")
    if now > survey.sent_at + VALID_FOR:
        raise SurveyExpired("this survey link has expired")


def do_answer_survey(
    session: Session, *, survey: Survey, scores: dict[str, int], comment: str | None, now: datetime
) -> Survey:
    """Record the one answer; a negative one creates a follow-up."""
    check_answerable(survey, now)
    for name in DIMENSIONS:  # all checked before any is set: a refused answer changes nothing
        value = scores.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise InvalidInput(f"{name}: a whole number from 1 to 5 is required", field=name)
    for name in DIMENSIONS:
        setattr(survey, name, scores[name])
    survey.comment = (comment or "").strip() or None
    survey.answered_at = now
    session.flush()
    follow_ups.after_survey(session, survey, now)
    payload = {"survey": survey.id, "ticket": survey.ticket_id, **{d: scores[d] for d in DIMENSIONS}}
    recipients = () if survey.agent_id is None else (survey.agent_id,)
    send_event_on_commit(session, Event("survey.answered", payload, recipients))
    return survey

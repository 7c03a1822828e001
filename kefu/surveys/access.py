"""Reads of surveys: by the customer's token, and the CSAT report (response rate, scores, per agent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, case, func, select
from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.scopes import survey_scope
from kefu.surveys.links import survey_public_id
from kefu.surveys.models import Survey

DIMENSIONS = ("attitude", "efficiency", "accuracy")
SATISFIED = 4  # glossary: CSAT is the share of answers scoring 4–5 of 5 (here the mean of the dimensions)


def survey_by_token(session: Session, secret: str, token: str, *, for_update: bool = False) -> Survey | None:
    """The survey a token signs for, or None for a forged, malformed or unknown token."""
    public_id = survey_public_id(secret, token)
    if public_id is None:
        return None
    query = select(Survey).where(Survey.public_id == public_id)
    return session.scalar(query.with_for_update() if for_update else query)


@dataclass(frozen=True)
class CsatFigures:
    sent: int
    answered: int
    response_rate: float | None
    csat: float | None
    attitude: float | None
    efficiency: float | None
    accuracy: float | None


def _figures(row: tuple) -> CsatFigures:
    sent, answered, satisfied, *means = row
    rate = answered / sent if sent else None
    return CsatFigures(
        sent,
        answered,
        rate,
        satisfied / answered if answered else None,
        *(None if m is None else float(m) for m in means),
    )


def csat_report(
    session: Session, actor: Actor, since: datetime, until: datetime
) -> tuple[CsatFigures, dict[int, CsatFigures]]:
    """Surveys sent in [since, until) about agents in the reader's reach: overall figures and per agent."""
    answered = Survey.answered_at.is_not(None)
    mean = (Survey.attitude + Survey.efficiency + Survey.accuracy) / 3.0
    columns = (
        func.count(Survey.id),
        func.count(Survey.answered_at),
        func.sum(case((answered & (mean >= SATISFIED), 1), else_=0), type_=Integer),
        *(func.avg(getattr(Survey, d)) for d in DIMENSIONS),
    )
    window = (Survey.sent_at >= since, Survey.sent_at < until, survey_scope(actor))
    total = session.execute(select(*columns).where(*window)).one()
    per_agent = session.execute(
        select(Survey.agent_id, *columns)
        .where(*window, Survey.agent_id.is_not(None))
        .group_by(Survey.agent_id)
    ).all()
    overall = _figures((total[0], total[1], total[2] or 0, *total[3:]))
    return overall, {r[0]: _figures((r[1], r[2], r[3] or 0, *r[4:])) for r in per_agent}


def answered_surveys_of(session: Session, customer_id: int, *, limit: int = 10) -> list[Survey]:
    """The customer's answered surveys, newest first (the caller already checked the customer is visible)."""
    query = (
        select(Survey)
        .where(Survey.customer_id == customer_id, Survey.answered_at.is_not(None))
        .order_by(Survey.answered_at.desc(), Survey.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))

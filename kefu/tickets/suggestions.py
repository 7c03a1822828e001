"""The suggestions digest: tickets of type suggestion in a period, by kind, for product and operations."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kefu.tickets.models import Ticket

CSV_COLUMNS = ("public_id", "created_at", "kind", "category", "status", "channel", "subject", "description")


def suggestions_in(session: Session, since: datetime, until: datetime) -> Sequence[Ticket]:
    query = select(Ticket).where(
        Ticket.type == "suggestion", Ticket.created_at >= since, Ticket.created_at < until
    )
    return session.scalars(query.order_by(Ticket.suggestion_kind, Ticket.created_at, Ticket.id)).all()


def counts_by_kind(session: Session, since: datetime, until: datetime) -> dict[str, int]:
    query = (
        select(Ticket.suggestion_kind, func.count(Ticket.id))
        .where(Ticket.type == "suggestion", Ticket.created_at >= since, Ticket.created_at < until)
        .group_by(Ticket.suggestion_kind)
    )
    return {kind or "other": count for kind, count in session.execute(query)}


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (text starting with = + - @)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def digest_csv(tickets: Sequence[Ticket]) -> str:
    """The digest as CSV (UTF-8 with a BOM so that spreadsheet programs read Chinese correctly)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for t in tickets:
        row = (
            t.public_id,
            t.created_at.isoformat(),
            t.suggestion_kind,
            t.category,
            t.status,
            t.channel,
            t.subject,
            t.description,
        )
        writer.writerow([_cell(v) for v in row])
    return "\ufeff" + out.getvalue()

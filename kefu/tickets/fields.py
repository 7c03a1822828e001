"""Custom field schemas per ticket type, stored, and the check every ticket write goes through."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.core.db import once_per_transaction
from kefu.core.errors import InvalidInput
from kefu.tickets.custom_fields import CustomFieldError, FieldDef, check_values, parse_schema
from kefu.tickets.kinds import TicketType
from kefu.tickets.models import TicketFieldSchema

SCHEMAS_KEY = "kefu.ticket_field_schemas"


_SCHEMAS = select(TicketFieldSchema.__table__.c.ticket_type, TicketFieldSchema.__table__.c.fields)


def schema_for(session: Session, ticket_type: str) -> list[FieldDef] | None:
    """The type's schema (None: none stored, any flat values go). Every type's schema is read in one
    query once per transaction (several ticket creations share one under group commit), through Core:
    no autoflush of what the creations before left pending. A schema edit in the session forgets them."""
    schemas = once_per_transaction(session, SCHEMAS_KEY, lambda: _read_schemas(session))
    return schemas.get(ticket_type)


def _read_schemas(session: Session) -> dict[str, list[FieldDef]]:
    return {t: parse_schema(raw) for t, raw in session.connection().execute(_SCHEMAS)}


def checked_custom_fields(session: Session, ticket_type: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values checked against the type's schema; 422 naming `custom_fields.<name>` otherwise."""
    try:
        return check_values(schema_for(session, ticket_type), values)
    except CustomFieldError as exc:
        raise InvalidInput(str(exc), field=exc.field) from exc


def all_schemas(session: Session) -> Sequence[TicketFieldSchema]:
    return session.scalars(select(TicketFieldSchema).order_by(TicketFieldSchema.ticket_type)).all()


def do_set_schema(
    session: Session, *, ticket_type: str, fields: list[dict[str, Any]], now: datetime
) -> TicketFieldSchema:
    """Store (replace) a type's schema. Tickets keep the values they have; the next write checks them."""
    if ticket_type not in {t.value for t in TicketType}:
        raise InvalidInput(
            f"ticket_type: {ticket_type!r} is not one of {', '.join(t.value for t in TicketType)}",
            field="ticket_type",
        )
    try:
        defs = parse_schema(fields)
    except CustomFieldError as exc:
        raise InvalidInput(str(exc), field=exc.field) from exc
    session.info.pop(SCHEMAS_KEY, None)
    row = session.scalar(select(TicketFieldSchema).where(TicketFieldSchema.ticket_type == ticket_type))
    if row is None:
        row = TicketFieldSchema(ticket_type=ticket_type, fields=[], updated_at=now)
        session.add(row)
    row.fields = [d.as_dict() for d in defs]
    row.updated_at = now
    session.flush()
    return row


def do_delete_schema(session: Session, *, ticket_type: str) -> bool:
    session.info.pop(SCHEMAS_KEY, None)
    row = session.scalar(select(TicketFieldSchema).where(TicketFieldSchema.ticket_type == ticket_type))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True

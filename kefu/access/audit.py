"""The append-only audit log with a hash chain.

Each entry stores the hash of the previous entry and a hash over its own content plus that previous hash,
so changing, inserting or deleting a row in the middle breaks the chain at that row (`verify_chain`).
Nothing in kefu updates or deletes audit rows; no API offers it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.models import AuditEntry
from kefu.core import clock
from kefu.core.dialect import lock_for_transaction

GENESIS = "0" * 64
# Serialises appends on PostgreSQL so that two transactions never chain onto the same previous row.
# (SQLite has one writer at a time already.)
_CHAIN_LOCK_KEY = 0x6B65_6675_0A0D


def _canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_content(entry: AuditEntry) -> dict[str, Any]:
    """The fields the hash covers (everything except the id and the hashes themselves)."""
    return {
        "at": entry.at.isoformat(),
        "actor_id": entry.actor_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "address": entry.address,
        "details": entry.details,
    }


def entry_hash(prev_hash: str, content: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + _canonical(content)).hexdigest()


def do_audit(
    session: Session,
    action: str,
    *,
    actor_id: int | None = None,
    object_type: str | None = None,
    object_id: int | str | None = None,
    address: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (so it exists exactly when the audited change does)."""
    lock_for_transaction(session, _CHAIN_LOCK_KEY)
    prev = last_hash(session)
    entry = AuditEntry(
        at=clock.now(),
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        address=address,
        # Round-tripped through JSON so the hash covers exactly what the database will give back.
        details=json.loads(json.dumps(details or {}, default=str)),
        prev_hash=prev,
    )
    entry.hash = entry_hash(prev, entry_content(entry))
    session.add(entry)
    session.flush()
    return entry


def audit_by(
    session: Session,
    actor: Actor,
    action: str,
    *,
    object_type: str | None = None,
    object_id: int | str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record what an actor did, from where."""
    return do_audit(
        session,
        action,
        actor_id=actor.user_id,
        object_type=object_type,
        object_id=object_id,
        address=actor.address,
        details=details,
    )


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_bad_id: int | None  # the first entry whose content or link does not match

    @property
    def intact(self) -> bool:
        return self.first_bad_id is None


def check_entries(entries: Iterable[AuditEntry]) -> ChainReport:
    """Recompute the chain over entries in id order; the first entry that does not match is reported."""
    prev = GENESIS
    checked = 0
    for entry in entries:
        checked += 1
        if entry.prev_hash != prev or entry.hash != entry_hash(prev, entry_content(entry)):
            return ChainReport(checked, entry.id)
        prev = entry.hash
    return ChainReport(checked, None)


def verify_chain(session: Session) -> ChainReport:
    """Walk the whole log in order. (Cutting rows off the end needs an outside copy of the last hash to
    detect; `kefu audit verify` prints it for that purpose.)"""
    query = select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)
    return check_entries(session.scalars(query))


def last_hash(session: Session) -> str:
    return session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS


def search_audit(
    session: Session,
    *,
    actor_id: int | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> Sequence[AuditEntry]:
    """Newest first; page with `before_id` (the smallest id of the previous page)."""
    conditions = [
        column == value
        for column, value in (
            (AuditEntry.actor_id, actor_id),
            (AuditEntry.action, action),
            (AuditEntry.object_type, object_type),
            (AuditEntry.object_id, object_id),
        )
        if value is not None
    ]
    if since is not None:
        conditions.append(AuditEntry.at >= since)
    if until is not None:
        conditions.append(AuditEntry.at < until)
    if before_id is not None:
        conditions.append(AuditEntry.id < before_id)
    return session.scalars(
        select(AuditEntry).where(*conditions).order_by(AuditEntry.id.desc()).limit(limit)
    ).all()

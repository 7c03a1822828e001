"""Sign-in throttling per account and per address, kept in the database so every process agrees.

Ten failures within 15 minutes lock the account (or address) for 15 minutes from the tenth failure.
Attempts refused while locked are not counted, so the lock ends on time instead of extending forever.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kefu.access.models import SignInFailure
from kefu.core.errors import KefuError

LIMIT = 10
WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)


class TooManyAttempts(KefuError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds, for the Retry-After header


def throttle_keys(username: str, address: str | None) -> list[str]:
    keys = [f"account:{username.strip().lower()[:200]}"]
    if address:
        keys.append(f"address:{address[:64]}")
    return keys


def lock_end(newest_first: list[datetime], now: datetime) -> datetime | None:
    """The rule itself: the latest LIMIT failures (newest first) within WINDOW lock until LOCK after the
    newest of them; None when that is not the case or the lock is over."""
    if len(newest_first) < LIMIT:
        return None
    newest, tenth = newest_first[0], newest_first[LIMIT - 1]
    return newest + LOCK if newest - tenth <= WINDOW and now < newest + LOCK else None


def locked_until(session: Session, keys: list[str], now: datetime) -> datetime | None:
    """The end of the longest current lock over `keys`, or None when none is locked."""
    ends = []
    for key in keys:
        recent = session.scalars(
            select(SignInFailure.failed_at)
            .where(SignInFailure.key == key, SignInFailure.failed_at > now - WINDOW - LOCK)
            .order_by(SignInFailure.failed_at.desc())
            .limit(LIMIT)
        ).all()
        end = lock_end(list(recent), now)
        if end is not None:
            ends.append(end)
    return max(ends, default=None)


def refuse_if_locked(session: Session, keys: list[str], now: datetime) -> None:
    until = locked_until(session, keys, now)
    if until is not None:
        seconds = math.ceil((until - now).total_seconds())
        minutes = math.ceil(seconds / 60)
        raise TooManyAttempts(
            f"too many failed sign-ins; try again in {minutes} minutes", retry_after=seconds
        )


def record_failure(session: Session, keys: list[str], now: datetime) -> None:
    session.add_all(SignInFailure(key=key, failed_at=now) for key in keys)
    # Failures older than any lock could need are dropped here, so the table stays small without a job.
    session.execute(
        delete(SignInFailure).where(
            SignInFailure.key.in_(keys), SignInFailure.failed_at <= now - WINDOW - LOCK
        )
    )


def clear_account_failures(session: Session, username: str) -> None:
    """A successful sign-in forgives the account's failures (the address keeps its count)."""
    session.execute(delete(SignInFailure).where(SignInFailure.key == throttle_keys(username, None)[0]))

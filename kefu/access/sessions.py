"""Console sessions carried in a signed cookie (pure: the caller supplies the key and the time).

The cookie holds the user id, the user's `session_version` when it was issued, the issue time and the
CSRF token of this session. Nothing else is trusted from it: role and team are read from the database on
every request, and a bumped `session_version` (password change, disabled account) voids older cookies.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

SESSION_COOKIE = "kefu_session"
CSRF_COOKIE = "kefu_csrf"
CSRF_HEADER = "x-csrf-token"
# One long shift; after that the user signs in again.
MAX_AGE = timedelta(hours=12)
_SALT = "kefu.session.v1"


@dataclass(frozen=True)
class SessionData:
    user_id: int
    session_version: int
    issued_at: int  # Unix seconds
    csrf: str

    def expired(self, now: datetime) -> bool:
        age = now.timestamp() - self.issued_at
        return age < -60 or age > MAX_AGE.total_seconds()  # a minute of tolerance for clock skew


def new_session(user_id: int, session_version: int, now: datetime) -> SessionData:
    return SessionData(user_id, session_version, int(now.timestamp()), secrets.token_urlsafe(32))


def encode_session(key: str, data: SessionData) -> str:
    return URLSafeSerializer(key, salt=_SALT).dumps(
        [data.user_id, data.session_version, data.issued_at, data.csrf]
    )


def decode_session(key: str, raw: str) -> SessionData | None:
    """The session in a cookie, or None when the cookie was not signed by us or is malformed."""
    try:
        value = URLSafeSerializer(key, salt=_SALT).loads(raw)
    except BadSignature:
        return None
    if not (isinstance(value, list) and len(value) == 4):
        return None
    user_id, version, issued_at, csrf = value
    if not (isinstance(user_id, int) and isinstance(version, int) and isinstance(issued_at, int)):
        return None
    return SessionData(user_id, version, issued_at, str(csrf))

"""The customer's survey link: a signed one-time token (see kefu.tickets.links)."""

from __future__ import annotations

from kefu.tickets.links import read_token, sign_token

PURPOSE = "survey"


def survey_token(secret: str, survey_public_id: str) -> str:
    return sign_token(secret, PURPOSE, survey_public_id)


def survey_url(public_url: str, secret: str, survey_public_id: str) -> str:
    """What the channel side sends to the customer (e-mail link, widget card)."""
    return f"{public_url.rstrip('/')}/api/v1/surveys/{survey_token(secret, survey_public_id)}/page"


def survey_public_id(secret: str, token: str) -> str | None:
    return read_token(secret, PURPOSE, token)

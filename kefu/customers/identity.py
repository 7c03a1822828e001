"""Normalising the handles a customer is recognised by (pure).

Two contacts belong to the same customer when one of their normalised identities is equal, so every
channel must reduce the same handle to the same string: e-mail lower-cased and trimmed, phone numbers
in E.164, visitor ids and external ids checked against a conservative alphabet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from kefu.core.errors import InvalidInput
from kefu.customers.tiers import IdentityKind

DEFAULT_REGION = "CN"
MAX_VALUE_LENGTH = 254
_VISITOR = re.compile(r"[A-Za-z0-9_-]{8,64}")
_NAMESPACE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,39}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class InvalidIdentity(InvalidInput, ValueError):
    """A handle that cannot identify anyone; `field` names the identity kind."""


@dataclass(frozen=True)
class Identity:
    kind: IdentityKind
    value: str
    namespace: str = ""


def normalise_email(raw: str) -> str:
    value = raw.strip().lower()
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain or _CONTROL.search(value) or " " in value:
        raise InvalidIdentity(f"email: {raw!r} is not an e-mail address", field="email")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidIdentity(f"email: domain of {raw!r} is not valid", field="email") from exc
    return _bounded(f"{local}@{domain}", "email")


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """E.164; numbers without a country code are read in `region` (mainland China by default)."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentity(f"phone: {raw!r} is not a phone number ({exc})", field="phone") from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidIdentity(f"phone: {raw!r} has the wrong length for its country", field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_visitor(raw: str) -> str:
    value = raw.strip()
    if not _VISITOR.fullmatch(value):
        raise InvalidIdentity("visitor: must be 8-64 characters of A-Z, a-z, 0-9, _ or -", field="visitor")
    return value


def normalise_external(raw: str, namespace: str) -> tuple[str, str]:
    """An id in another system; the namespace (e.g. `wechat`, `app`) keeps two systems' ids apart."""
    space = namespace.strip().lower()
    if not _NAMESPACE.fullmatch(space):
        raise InvalidIdentity(
            "external: namespace must be 1-40 characters of a-z, 0-9, _, . or -", field="namespace"
        )
    value = raw.strip()
    if not value or _CONTROL.search(value):
        raise InvalidIdentity(
            "external: id must be non-empty text without control characters", field="external"
        )
    return _bounded(value, "external"), space


def normalise_identity(kind: str, value: str, namespace: str = "", region: str = DEFAULT_REGION) -> Identity:
    """One entry point for every channel, so that the same handle always lands on the same row."""
    try:
        identity_kind = IdentityKind(kind)
    except ValueError as exc:
        allowed = ", ".join(k.value for k in IdentityKind)
        raise InvalidIdentity(f"kind: {kind!r} is not one of {allowed}", field="kind") from exc
    if identity_kind is IdentityKind.email:
        return Identity(identity_kind, normalise_email(value))
    if identity_kind is IdentityKind.phone:
        return Identity(identity_kind, normalise_phone(value, region))
    if identity_kind is IdentityKind.visitor:
        return Identity(identity_kind, normalise_visitor(value))
    external, space = normalise_external(value, namespace)
    return Identity(identity_kind, external, space)


def _bounded(value: str, field: str) -> str:
    if len(value) > MAX_VALUE_LENGTH:
        raise InvalidIdentity(f"{field}: longer than {MAX_VALUE_LENGTH} characters", field=field)
    return value

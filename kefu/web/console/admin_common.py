"""What the admin pages share: the sections and who may see them, the words for codes, form errors.

Every admin change goes through a domain's own action (`check_*`/`do_*`), which validates and audits;
a refusal is shown next to its field in the reader's language (the msgids below), never as a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Response

from kefu.access.permissions import Permission
from kefu.core.errors import KefuError
from kefu.web.console.labels import N_
from kefu.web.console.page import Page

P = Permission


@dataclass(frozen=True)
class Section:
    slug: str
    title: str  # msgid
    permission: Permission


SECTIONS = (
    Section("users", N_("Users and roles"), P.users_read),
    Section("teams", N_("Teams and skills"), P.routing_manage),
    Section("agents", N_("Agents' skills and capacity"), P.routing_manage),
    Section("queues", N_("Queues and routing"), P.routing_manage),
    Section("sla", N_("SLA policies and calendars"), P.config_manage),
    Section("channels", N_("Channels and tokens"), P.tokens_manage),
    Section("scripts", N_("Scripts library"), P.knowledge_write),
    Section("audit", N_("Audit log"), P.audit_read),
)

ROLE_WORDS = {
    "agent": N_("Agent"),
    "team_lead": N_("Team lead"),
    "qa_specialist": N_("QA specialist"),
    "trainer": N_("Trainer"),
    "supervisor": N_("Supervisor"),
    "admin": N_("Administrator"),
}
REQUEST_WORDS = {"pending": N_("Awaiting decision"), "approved": N_("Approved"), "rejected": N_("Rejected")}
STRATEGY_WORDS = {"skill_first": N_("Best skill first"), "idle_first": N_("Longest idle first")}

REFUSED = N_("Not accepted; check this field.")


def visible_sections(page: Page) -> list[Section]:
    return [s for s in SECTIONS if page.can(s.permission)]


def render_admin(page: Page, template: str, section: str, status_code: int = 200, **context: Any) -> Response:
    return page.render(
        template,
        status_code=status_code,
        active="admin",
        section=section,
        sections=visible_sections(page),
        roles=ROLE_WORDS,
        **context,
    )


def error_word(exc: KefuError, words: Mapping[str, str]) -> tuple[str, str]:
    """(field, msgid) for a domain refusal: by its code first, then by its field, else a general word."""
    field = exc.field or "form"
    return field, words.get(exc.code) or words.get(field) or REFUSED


def text(value: str | None) -> str:
    return (value or "").strip()


def optional_id(value: str | None) -> int | None:
    """A select's value: empty means none; anything else must be a positive number (ValueError)."""
    value = text(value)
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(value)
    return int(value)

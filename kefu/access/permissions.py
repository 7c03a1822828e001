"""The permission matrix: which role may do what, as data in one place (pure).

Routers declare the permission each endpoint needs (`kefu.web.deps.require`); API tokens carry a subset
of these names as their scopes, and a token may do only what both its scopes and its owner's role allow.
docs/access.md renders this matrix; a test fails when the document is stale.
"""

from __future__ import annotations

from enum import StrEnum

from kefu.access.actor import Actor
from kefu.access.roles import Role


class Permission(StrEnum):
    customers_read = "customers:read"
    customers_write = "customers:write"
    # Phone numbers and e-mail addresses in full, always; without it they are masked (138****5678).
    customers_pii = "customers:pii"
    # Reveal one customer's masked contact details on demand; every use is audited.
    customers_unmask = "customers:unmask"
    conversations_read = "conversations:read"
    conversations_write = "conversations:write"
    tickets_read = "tickets:read"
    tickets_write = "tickets:write"
    reports_read = "reports:read"
    qa_score = "qa:score"
    training_manage = "training:manage"
    # The knowledge base and the script library: read (every staff role), write (drafts, edits, scripts),
    # review (publish, archive, withdraw a published article).
    knowledge_read = "knowledge:read"
    knowledge_write = "knowledge:write"
    knowledge_review = "knowledge:review"
    users_read = "users:read"
    users_manage = "users:manage"
    permissions_approve = "permissions:approve"
    tokens_manage = "tokens:manage"
    audit_read = "audit:read"
    config_manage = "config:manage"
    # Switch a queue's routing strategy, run a routing round, move another agent's presence.
    routing_manage = "routing:manage"
    # The centre-wide workforce plan and surge check (not limited to a team, so not for team leads).
    workforce_read = "workforce:read"
    # The bot's intents, examples, training and channel switches.
    bot_manage = "bot:manage"
    channel_webchat = "channel:webchat"
    channel_email = "channel:email"
    channel_api = "channel:api"


P = Permission
_WORK = {P.customers_read, P.customers_write, P.customers_unmask, P.conversations_read}
_WORK |= {P.conversations_write, P.tickets_read, P.tickets_write}

MATRIX: dict[Role, frozenset[Permission]] = {
    Role.agent: frozenset(_WORK),
    Role.team_lead: frozenset(_WORK | {P.reports_read, P.users_read, P.routing_manage}),
    Role.qa_specialist: frozenset({P.customers_read, P.conversations_read, P.tickets_read, P.qa_score}),
    Role.trainer: frozenset({P.training_manage, P.reports_read, P.bot_manage}),
    Role.supervisor: frozenset(
        _WORK
        | {P.customers_pii, P.reports_read, P.qa_score, P.training_manage, P.users_read, P.users_manage}
        | {P.permissions_approve, P.audit_read, P.routing_manage, P.workforce_read, P.bot_manage}
    ),
    Role.admin: frozenset(set(Permission) - {P.customers_pii}),
}

# Knowledge: every staff role reads; trainers, team leads and supervisors write; trainers and supervisors
# publish (administrators have every permission already).
_KNOWLEDGE: dict[Role, set[Permission]] = {
    Role.agent: {P.knowledge_read},
    Role.team_lead: {P.knowledge_read, P.knowledge_write},
    Role.qa_specialist: {P.knowledge_read},
    Role.trainer: {P.knowledge_read, P.knowledge_write, P.knowledge_review},
    Role.supervisor: {P.knowledge_read, P.knowledge_write, P.knowledge_review},
}
MATRIX = {role: permissions | _KNOWLEDGE.get(role, set()) for role, permissions in MATRIX.items()}

# The changes only an administrator may approve: granting or removing administrator rights.
ADMIN_ONLY_ROLES = frozenset({Role.admin})


def permissions_of(role: str) -> frozenset[Permission]:
    """What a role may do; an unknown role (e.g. one removed from the code) may do nothing."""
    return MATRIX.get(Role(role), frozenset()) if role in Role.__members__ else frozenset()


def allows(actor: Actor, permission: Permission) -> bool:
    """The role must allow it and, for an API token, so must the token's scopes."""
    if permission not in permissions_of(actor.role):
        return False
    return actor.token_scopes is None or permission.value in actor.token_scopes


def parse_scopes(scopes: list[str]) -> list[str]:
    """Validate token scopes: each must name a permission of the matrix."""
    if not scopes:
        raise ValueError("scopes: give at least one, e.g. 'tickets:write'")
    unknown = sorted(set(scopes) - {p.value for p in Permission})
    if unknown:
        raise ValueError(f"scopes: unknown {', '.join(unknown)}")
    return sorted(set(scopes))


def matrix_table() -> str:
    """The matrix as a Markdown table (one row per permission, one column per role)."""
    roles = list(Role)
    lines = ["| permission | " + " | ".join(r.value for r in roles) + " |", "|---" * (len(roles) + 1) + "|"]
    for permission in Permission:
        marks = ["✔" if permission in MATRIX[r] else "" for r in roles]
        lines.append(f"| `{permission.value}` | " + " | ".join(marks) + " |")
    return "\n".join(lines)

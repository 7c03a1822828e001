"""Automation rules (triggers) stored and run on ticket events, in the event's own transaction.

Every ticket event (created, updated, status_changed, assigned, reply_added, note_added,
customer_message, escalated, conversation_linked, attachment_added, sla_warning, sla_breach) calls
`run_automation`. The pure `evaluate` decides which rules fire and in what order (by position, then name;
each rule at most once per event; field changes restart the evaluation). Here the result is applied:
field changes (priority, category, severity, tags, custom fields) are written at once; status,
assignment, queue, script replies, notifications and follow-ups are carried out in order, each in its
own SAVEPOINT so that an action that cannot run (e.g. a transition the status machine refuses) is
recorded as failed without undoing the event that triggered it. Events caused by automation run at
`depth + 1` (kept in `session.info`); at `MAX_DEPTH` nothing fires and the stop is recorded (loop guard).
Each rule that fired is recorded in `automation_runs` with what every action did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kefu.access.models import User
from kefu.core.db import once_per_transaction
from kefu.core.errors import InvalidInput, KefuError, NotFound
from kefu.core.events import Event, send_event_on_commit
from kefu.customers.models import Customer
from kefu.tickets.automation import (
    MAX_DEPTH,
    Action,
    ActionKind,
    AutomationError,
    Condition,
    PlannedAction,
    Rule,
    TicketEvent,
    evaluate,
)
from kefu.tickets.kinds import Priority, Severity
from kefu.tickets.lifecycle import TicketStatus
from kefu.tickets.models import AutomationRuleRow, AutomationRun, FollowUp, Ticket
from kefu.tickets.models import TicketEvent as HistoryRow
from kefu.tickets.notify import supervisors, team_lead_of
from kefu.tickets.once import insert_once

EVENTS = (
    "created", "updated", "status_changed", "assigned", "reply_added", "note_added", "customer_message",
    "escalated", "conversation_linked", "attachment_added", "sla_warning", "sla_breach",
)  # fmt: skip
# Fields rules may set, with their allowed values (None: any text up to 80 characters)
SETTABLE: dict[str, tuple[str, ...] | None] = {
    "priority": tuple(p.value for p in Priority),
    "severity": tuple(s.value for s in Severity),
    "category": None,
    "status": tuple(s.value for s in TicketStatus),
}
DIRECT = ("priority", "severity", "category", "tags")  # written as they are; custom.<name> too
NOTIFY_TARGETS = ("assignee", "team_lead", "supervisors")
FOLLOW_UP_ROLES = ("team_lead", "assignee")
DEPTH_KEY = "kefu.automation_depth"
RULES_KEY = "kefu.automation_rules"


# --- rules: checked, stored, loaded -------------------------------------------------------------------


def _field_of(message: str) -> str:
    head = message.split(":", 1)[0].strip()
    return head if head and " " not in head else "rule"


def rule_of(row: AutomationRuleRow | Mapping[str, Any]) -> Rule:
    """The pure rule of a stored row (or of the API's fields); AutomationError when it is malformed."""
    get = row.get if isinstance(row, Mapping) else lambda k, d=None: getattr(row, k, d)
    conditions = tuple(Condition(**c) for c in get("conditions") or ())
    any_conditions = tuple(Condition(**c) for c in get("any_conditions") or ())
    actions = tuple(Action(a["kind"], a.get("params") or {}) for a in get("actions") or ())
    return Rule(
        name=get("name"), events=frozenset(get("events") or ()), actions=actions, conditions=conditions,
        any_conditions=any_conditions, position=get("position") or 0, active=bool(get("active", True)),
    )  # fmt: skip


def check_rule(session: Session, fields: Mapping[str, Any]) -> Rule:
    """A rule from the API's fields, checked beyond its shape: known events, settable fields with valid
    values, existing queues and scripts, known notification targets. 422 naming the field otherwise."""
    try:
        rule = rule_of(fields)
    except (AutomationError, TypeError) as exc:
        raise InvalidInput(str(exc), field=_field_of(str(exc))) from exc
    unknown = sorted(set(rule.events) - set(EVENTS))
    if unknown:
        raise InvalidInput(f"events: {unknown[0]!r} is not one of {', '.join(EVENTS)}", field="events")
    for i, action in enumerate(rule.actions):
        _check_action(session, action, f"actions[{i}]")
    return rule


def _check_action(session: Session, action: Action, where: str) -> None:
    p = action.params
    match action.kind:
        case ActionKind.set_field:
            field, value = p["field"], p["value"]
            if isinstance(field, str) and field.startswith("custom."):
                if len(field) > 47 or isinstance(value, dict | list):
                    raise InvalidInput(
                        f"{where}.params.value: a custom field takes a plain value",
                        field=f"{where}.params.value",
                    )
                return
            if field not in SETTABLE:
                allowed = ", ".join([*SETTABLE, "custom.<name>"])
                raise InvalidInput(
                    f"{where}.params.field: {field!r} cannot be set (settable: {allowed})",
                    field=f"{where}.params.field",
                )
            choices = SETTABLE[field]
            if choices is not None and value not in choices:
                raise InvalidInput(
                    f"{where}.params.value: {value!r} is not one of {', '.join(choices)}",
                    field=f"{where}.params.value",
                )
            if choices is None and (not isinstance(value, str) or len(value) > 80):
                raise InvalidInput(
                    f"{where}.params.value: a text of at most 80 characters", field=f"{where}.params.value"
                )
        case ActionKind.add_tag | ActionKind.remove_tag:
            if not isinstance(p["tag"], str) or not 1 <= len(p["tag"]) <= 40:
                raise InvalidInput(
                    f"{where}.params.tag: a text of 1 to 40 characters", field=f"{where}.params.tag"
                )
        case ActionKind.assign_queue:
            from kefu.routing.models import Queue  # noqa: PLC0415 - routing's table, read once per rule edit

            if session.scalar(select(Queue.id).where(Queue.code == p["queue"])) is None:
                raise InvalidInput(
                    f"{where}.params.queue: no queue {p['queue']!r}", field=f"{where}.params.queue"
                )
        case ActionKind.send_script:
            _script(session, p["script"], f"{where}.params.script")
        case ActionKind.notify:
            targets = p["recipients"]
            if (
                not isinstance(targets, list)
                or not targets
                or not all(
                    t in NOTIFY_TARGETS or (isinstance(t, int) and not isinstance(t, bool)) for t in targets
                )
            ):
                raise InvalidInput(
                    f"{where}.params.recipients: a list of user ids or {', '.join(NOTIFY_TARGETS)}",
                    field=f"{where}.params.recipients",
                )
        case ActionKind.create_follow_up:
            due = p["due_in_seconds"]
            if isinstance(due, bool) or not isinstance(due, int | float) or not 0 < due <= 90 * 86400:
                raise InvalidInput(
                    f"{where}.params.due_in_seconds: between 1 second and 90 days",
                    field=f"{where}.params.due_in_seconds",
                )
            if p["assignee_role"] not in FOLLOW_UP_ROLES:
                raise InvalidInput(
                    f"{where}.params.assignee_role: one of {', '.join(FOLLOW_UP_ROLES)}",
                    field=f"{where}.params.assignee_role",
                )


def _script(session: Session, script_id: Any, field: str) -> Any:
    """The script library's script (helper "knowledge" builds it in kefu.knowledge.scripts)."""
    if isinstance(script_id, bool) or not isinstance(script_id, int):
        raise InvalidInput(f"{field}: the id of a script of the script library", field=field)
    from kefu.knowledge.scripts import script_by_id  # noqa: PLC0415 - only for rules that send scripts

    try:
        return script_by_id(session, script_id)
    except NotFound as exc:
        raise InvalidInput(f"{field}: no script {script_id}", field=field) from exc


def _forget_rules(session: Session) -> None:
    session.info.pop(RULES_KEY, None)


def list_rules(session: Session) -> Sequence[AutomationRuleRow]:
    return session.scalars(
        select(AutomationRuleRow).order_by(AutomationRuleRow.position, AutomationRuleRow.name)
    ).all()


def rule_by_id(session: Session, rule_id: int) -> AutomationRuleRow:
    row = session.get(AutomationRuleRow, rule_id)
    if row is None:
        raise NotFound(f"automation rule {rule_id} not found", field="rule_id")
    return row


def _refuse_taken_name(session: Session, name: str, rule_id: int | None) -> None:
    taken = session.scalar(select(AutomationRuleRow.id).where(AutomationRuleRow.name == name))
    if taken is not None and taken != rule_id:
        raise InvalidInput(f"name: a rule named {name!r} exists already", field="name")


def do_save_rule(
    session: Session, *, fields: Mapping[str, Any], now: datetime, row: AutomationRuleRow | None = None
) -> AutomationRuleRow:
    """Create a rule (row None) or replace one; checked first (see `check_rule`)."""
    check_rule(session, fields)
    _refuse_taken_name(session, fields["name"], row.id if row else None)
    if row is None:
        row = AutomationRuleRow(created_at=now)
        session.add(row)
    for key in ("name", "events", "conditions", "any_conditions", "actions", "position", "active"):
        setattr(row, key, fields[key])
    row.updated_at = now
    session.flush()
    _forget_rules(session)
    return row


def do_delete_rule(session: Session, *, row: AutomationRuleRow) -> None:
    """The rule goes; the record of its runs stays (with its name)."""
    session.execute(update(AutomationRun).where(AutomationRun.rule_id == row.id).values(rule_id=None))
    session.delete(row)
    session.flush()
    _forget_rules(session)


def runs_of(
    session: Session, *, ticket_id: int | None, rule_id: int | None, limit: int
) -> Sequence[AutomationRun]:
    query = select(AutomationRun)
    if ticket_id is not None:
        query = query.where(AutomationRun.ticket_id == ticket_id)
    if rule_id is not None:
        query = query.where(AutomationRun.rule_id == rule_id)
    return session.scalars(query.order_by(AutomationRun.id.desc()).limit(limit)).all()


# Read through Core, as mappings: once per transaction, i.e. once per ticket at low concurrency, where the
# ORM query of the rules cost more than the creation's own INSERTs.
_ACTIVE_RULES = select(AutomationRuleRow.__table__).where(AutomationRuleRow.__table__.c.active.is_(True))


def _active_rules(session: Session) -> tuple[list[Rule], dict[str, int]]:
    """The active rules, read once per transaction (a rule edit in it forgets them; a session that lives
    across transactions reads them again in the next one)."""
    return once_per_transaction(session, RULES_KEY, lambda: _read_rules(session))


def _read_rules(session: Session) -> tuple[list[Rule], dict[str, int]]:
    session.flush()  # a rule changed in this session counts (the Core read below does not autoflush)
    rows = session.connection().execute(_ACTIVE_RULES).mappings().all()
    rules, ids = [], {}
    for row in rows:
        try:
            rules.append(rule_of(row))
            ids[row["name"]] = row["id"]
        except AutomationError:
            continue  # checked when saved; a row edited by hand into nonsense is skipped
    return rules, ids


def listening(session: Session, events: set[str]) -> bool:
    """Whether an active rule fires on any of `events` (the sweeper asks before loading tickets)."""
    rules, _ = _active_rules(session)
    return any(r.events & events for r in rules)


# --- running the rules on an event --------------------------------------------------------------------


def snapshot_of(ticket: Ticket) -> dict[str, Any]:
    """What conditions test: the ticket's fields, and each custom field as `custom.<name>`."""
    snapshot = {
        name: getattr(ticket, name)
        for name in (
            "id", "public_id", "type", "severity", "category", "priority", "status", "channel", "subject",
            "description", "assignee_id", "team_id", "customer_id", "conversation_id", "sla_state",
            "sla_policy", "escalation_level", "suggestion_kind", "reopen_count",
        )
    }  # fmt: skip
    snapshot["tags"] = list(ticket.tags or [])
    snapshot["queue"] = None
    for key, value in (ticket.custom_fields or {}).items():
        snapshot[f"custom.{key}"] = value
    return snapshot


def run_automation(
    session: Session, ticket: Ticket, event: str, now: datetime, changes: Mapping[str, Any] | None = None
) -> list[AutomationRun]:
    """Evaluate the active rules on one ticket event and apply what fires (see the module docstring)."""
    rules, ids = _active_rules(session)
    if not rules or not any(event in r.events for r in rules):
        return []
    depth = session.info.get(DEPTH_KEY, 0)
    snapshot = snapshot_of(ticket)
    if event == "created" and changes is None:  # every field given at creation counts as changed
        changes = {k: None for k, v in snapshot.items() if v not in (None, "", [])}
    try:
        result = evaluate(rules, TicketEvent(event, snapshot, dict(changes or {}), depth))
    except AutomationError as exc:  # a condition that cannot be tested on this ticket: told, not fatal
        session.add(HistoryRow(ticket_id=ticket.id, actor_id=None, kind="automation_error",
                               data={"event": event, "error": str(exc)[:300]}, created_at=now))  # fmt: skip
        return []
    if result.depth_limited:
        session.add(HistoryRow(ticket_id=ticket.id, actor_id=None, kind="automation_stopped",
                               data={"event": event, "depth": depth, "max_depth": MAX_DEPTH},
                               created_at=now))  # fmt: skip
        return []
    if not result.actions:
        return []
    outcomes = _write_fields(session, ticket, result.snapshot, result.changes, now)
    session.info[DEPTH_KEY] = depth + 1
    runs: dict[str, AutomationRun] = {}
    try:
        for planned in result.actions:
            run = runs.get(planned.rule)
            if run is None:
                run = runs[planned.rule] = AutomationRun(
                    ticket_id=ticket.id, rule_id=ids.get(planned.rule), rule_name=planned.rule, event=event,
                    depth=depth, results=[], created_at=now,
                )  # fmt: skip
            run.results = [*run.results, _carry_out(session, ticket, planned, outcomes, now)]
    finally:
        session.info[DEPTH_KEY] = depth
    session.add_all(runs.values())
    session.add(HistoryRow(ticket_id=ticket.id, actor_id=None, kind="automation",
                           data={"event": event, "rules": list(runs), "changes": sorted(result.changes)},
                           created_at=now))  # fmt: skip
    session.flush()
    return list(runs.values())


def _write_fields(
    session: Session, ticket: Ticket, snapshot: Mapping[str, Any], changes: Mapping[str, Any], now: datetime
) -> dict[str, str]:
    """Write the net field changes (priority, severity, category, tags, custom fields) through the
    ticket's own update (history, SLA policy); returns each field's outcome for the run record."""
    from kefu.tickets import actions  # noqa: PLC0415 - actions calls this module on every event

    direct: dict[str, Any] = {}
    custom = dict(ticket.custom_fields or {})
    for field in changes:
        if field in DIRECT:
            direct[field] = snapshot.get(field)
        elif field.startswith("custom."):
            value = snapshot.get(field)
            if value is None:
                custom.pop(field[7:], None)
            else:
                custom[field[7:]] = value
            direct["custom_fields"] = custom
    outcomes = {f: "done" for f in changes if f in DIRECT or f.startswith("custom.")}
    if direct:
        try:
            with session.begin_nested():
                actions.do_update_ticket(
                    session, ticket=ticket, changes=direct, actor_id=None, now=now, automate=False
                )
        except KefuError as exc:
            session.refresh(ticket)
            outcomes = {f: f"failed: {exc.message}"[:300] for f in outcomes}
    return outcomes


def _carry_out(
    session: Session, ticket: Ticket, planned: PlannedAction, outcomes: Mapping[str, str], now: datetime
) -> dict[str, Any]:
    action, p = planned.action, planned.action.params
    record: dict[str, Any] = {"kind": action.kind.value, "params": dict(p)}
    field = {ActionKind.add_tag: "tags", ActionKind.remove_tag: "tags"}.get(action.kind)
    if action.kind is ActionKind.set_field and p["field"] != "status":
        field = p["field"]
    if field is not None:
        record["result"] = outcomes.get(field, "unchanged")
        return record
    try:
        with session.begin_nested():
            record["result"] = _side_effect(session, ticket, action, now)
    except KefuError as exc:
        session.refresh(ticket)
        record["result"] = f"failed: {exc.message}"[:300]
    return record


def _side_effect(session: Session, ticket: Ticket, action: Action, now: datetime) -> str:
    from kefu.tickets import actions  # noqa: PLC0415 - actions calls this module on every event

    p = action.params
    match action.kind:
        case ActionKind.set_field:  # status: through the status machine (409 → failed)
            if ticket.status == p["value"]:
                return "unchanged"
            actions.do_change_status(
                session, ticket=ticket, status=p["value"], actor_id=None, now=now, reason="automation"
            )
            return "done"
        case ActionKind.assign_queue:
            entry = actions.do_queue_ticket(session, ticket=ticket, queue=p["queue"], actor_id=None, now=now)
            return f"queued (entry {entry})"
        case ActionKind.send_script:
            body = _render(session, ticket, p["script"])
            actions.do_reply(session, ticket=ticket, body=body, public=True, actor_id=None, now=now)
            return "sent"
        case ActionKind.notify:
            recipients = _recipients(session, ticket, p["recipients"])
            payload = {"ticket": ticket.id, "public_id": ticket.public_id, "status": ticket.status,
                       "message": str(p.get("message") or "")[:500]}  # fmt: skip
            send_event_on_commit(session, Event("ticket.automation_notice", payload, recipients))
            return f"notified {len(recipients)}"
        case ActionKind.create_follow_up:
            return _follow_up(session, ticket, p, now)
    return "skipped"


def _render(session: Session, ticket: Ticket, script_id: int) -> str:
    from kefu.knowledge.scripts import render_script  # noqa: PLC0415 - only for rules that send scripts

    script = _script(session, script_id, "script")
    customer = session.get(Customer, ticket.customer_id)
    agent = session.get(User, ticket.assignee_id) if ticket.assignee_id else None
    variables = {
        "customer_name": customer.name if customer else None,
        "customer_tier": customer.tier if customer else None,
        "agent_name": agent.display_name if agent else None,
        "ticket_id": ticket.public_id, "ticket_subject": ticket.subject, "conversation_id": None,
    }  # fmt: skip
    return render_script(script.body, variables)


def _recipients(session: Session, ticket: Ticket, targets: Sequence[Any]) -> tuple[int, ...]:
    ids: set[int] = set()
    for target in targets:
        if target == "assignee" and ticket.assignee_id is not None:
            ids.add(ticket.assignee_id)
        elif target == "team_lead":
            lead = team_lead_of(session, ticket.team_id)
            if lead is not None:
                ids.add(lead)
        elif target == "supervisors":
            ids.update(supervisors(session))
        elif isinstance(target, int):
            ids.add(target)
    return tuple(sorted(ids))


def _follow_up(session: Session, ticket: Ticket, p: Mapping[str, Any], now: datetime) -> str:
    lead = team_lead_of(session, ticket.team_id)
    assignee = (lead or ticket.assignee_id) if p["assignee_role"] == "team_lead" else ticket.assignee_id
    row = FollowUp(
        source=f"ticket:{ticket.id}", reason="automation", customer_id=ticket.customer_id,
        ticket_id=ticket.id, assignee_id=assignee, team_id=ticket.team_id, status="open",
        due_at=now + timedelta(seconds=float(p["due_in_seconds"])), created_at=now,
    )  # fmt: skip
    if not insert_once(session, row):
        return "exists"
    payload = {
        "follow_up": row.id,
        "reason": "automation",
        "customer": ticket.customer_id,
        "ticket": ticket.id,
    }
    send_event_on_commit(
        session, Event("follow_up.created", payload, () if assignee is None else (assignee,))
    )
    return f"follow-up {row.id}"

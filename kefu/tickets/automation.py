"""Automation rules (triggers): conditions on a ticket event → actions (pure).

`evaluate` takes the rules, the event and a snapshot of the ticket's fields and returns the actions to
apply; the caller applies them. The order is defined: rules run by `position` (then name), and after a
rule fires whose actions change the ticket, evaluation starts again from the top against the changed
snapshot, because an earlier rule may now match. Two loop guards: each rule fires at most once per event,
and events caused by automation carry a `depth`; at `MAX_DEPTH` nothing fires, so two rules that answer
each other's replies stop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

MAX_DEPTH = 3


class AutomationError(ValueError):
    """A rule is misconfigured; the message names the rule, the field and the reason."""


class Operator(StrEnum):
    eq = "eq"
    ne = "ne"
    in_ = "in"
    not_in = "not_in"
    contains = "contains"  # a tag in the list, or a substring of a text
    not_contains = "not_contains"
    gt = "gt"
    lt = "lt"
    changed = "changed"  # the event changed this field
    changed_to = "changed_to"


class ActionKind(StrEnum):
    set_field = "set_field"
    add_tag = "add_tag"
    remove_tag = "remove_tag"
    assign_queue = "assign_queue"
    send_script = "send_script"
    notify = "notify"
    create_follow_up = "create_follow_up"


# The parameters each action needs; the first three also change the snapshot rules are tested against.
ACTION_PARAMS: dict[ActionKind, tuple[str, ...]] = {
    ActionKind.set_field: ("field", "value"),
    ActionKind.add_tag: ("tag",),
    ActionKind.remove_tag: ("tag",),
    ActionKind.assign_queue: ("queue",),
    ActionKind.send_script: ("script",),
    ActionKind.notify: ("recipients",),
    ActionKind.create_follow_up: ("due_in_seconds", "assignee_role"),
}


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    op: Operator
    value: Any = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "op", Operator(self.op))
        except ValueError as exc:
            raise AutomationError(f"conditions.op: {self.op!r} is not one of {', '.join(Operator)}") from exc
        if not isinstance(self.field, str) or not self.field:
            raise AutomationError("conditions.field: must name a ticket field")
        if self.op in (Operator.in_, Operator.not_in) and not isinstance(
            self.value, list | tuple | set | frozenset
        ):
            raise AutomationError(f"conditions.value: {self.op} needs a list, got {self.value!r}")

    def holds(self, snapshot: Mapping[str, Any], changes: Mapping[str, Any]) -> bool:
        try:
            return self._holds(snapshot.get(self.field), changes)
        except TypeError as exc:  # e.g. "gt" on a text field: a rule error, not a silent False
            raise AutomationError(
                f"conditions.{self.field}: cannot apply {self.op} to {self.value!r}"
            ) from exc

    def _holds(self, actual: object, changes: Mapping[str, Any]) -> bool:
        match self.op:
            case Operator.eq:
                return actual == self.value
            case Operator.ne:
                return actual != self.value
            case Operator.in_:
                return actual in self.value
            case Operator.not_in:
                return actual not in self.value
            case Operator.contains:
                return actual is not None and self.value in actual
            case Operator.not_contains:
                return actual is None or self.value not in actual
            case Operator.gt:
                return actual is not None and actual > self.value
            case Operator.lt:
                return actual is not None and actual < self.value
            case Operator.changed:
                return self.field in changes
            case Operator.changed_to:
                return self.field in changes and actual == self.value
        return False


@dataclass(frozen=True, slots=True)
class Action:
    kind: ActionKind
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", ActionKind(self.kind))
        except ValueError as exc:
            raise AutomationError(
                f"actions.kind: {self.kind!r} is not one of {', '.join(ActionKind)}"
            ) from exc
        missing = [p for p in ACTION_PARAMS[self.kind] if p not in self.params]
        if missing:
            raise AutomationError(f"actions.params: {self.kind} needs {', '.join(missing)}")


@dataclass(frozen=True)
class Rule:
    """Fires on any of `events` when all of `conditions` and (if given) any of `any_conditions` hold."""

    name: str
    events: frozenset[str]
    actions: tuple[Action, ...]
    conditions: tuple[Condition, ...] = ()
    any_conditions: tuple[Condition, ...] = ()
    position: int = 0
    active: bool = True

    def __post_init__(self) -> None:
        if not self.name:
            raise AutomationError("name: a rule needs a name")
        if not self.events or isinstance(self.events, str):
            raise AutomationError(f"rule {self.name!r}: events must be a non-empty set of event kinds")
        if not self.actions:
            raise AutomationError(f"rule {self.name!r}: actions must not be empty")
        object.__setattr__(self, "events", frozenset(self.events))
        for name in ("actions", "conditions", "any_conditions"):  # lists from JSON become tuples
            object.__setattr__(self, name, tuple(getattr(self, name)))

    def matches(self, event: str, snapshot: Mapping[str, Any], changes: Mapping[str, Any]) -> bool:
        return (
            self.active
            and event in self.events
            and all(c.holds(snapshot, changes) for c in self.conditions)
            and (not self.any_conditions or any(c.holds(snapshot, changes) for c in self.any_conditions))
        )


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """`kind` e.g. created, updated, status_changed, reply_added, sla_warning, sla_breach; `changes` maps
    each changed field to its old value; `depth` counts how many automation steps led to this event."""

    kind: str
    snapshot: Mapping[str, Any]
    changes: Mapping[str, Any] = field(default_factory=dict)
    depth: int = 0


@dataclass(frozen=True, slots=True)
class PlannedAction:
    rule: str
    action: Action


@dataclass(frozen=True)
class AutomationResult:
    """What the caller does: write `changes`' fields from `snapshot` (set field, tags, queue, already
    folded together), then carry out the other actions in order (script replies, notifications,
    follow-ups), each as an event of depth `event.depth + 1`."""

    actions: list[PlannedAction]
    snapshot: dict[str, Any]  # the ticket's fields after the field-changing actions
    changes: dict[str, Any]  # field → value before this evaluation, for the fields the rules changed
    depth_limited: bool = False


def _apply(action: Action, snapshot: dict[str, Any]) -> tuple[str, Any] | None:
    """Apply a field-changing action to the snapshot; returns (field, old value) if it changed one."""
    p = action.params
    match action.kind:
        case ActionKind.set_field:
            target, value = p["field"], p["value"]
        case ActionKind.assign_queue:
            target, value = "queue", p["queue"]
        case ActionKind.add_tag | ActionKind.remove_tag:
            tags = list(snapshot.get("tags") or [])
            if action.kind is ActionKind.add_tag and p["tag"] not in tags:
                tags.append(p["tag"])
            elif action.kind is ActionKind.remove_tag and p["tag"] in tags:
                tags.remove(p["tag"])
            target, value = "tags", tags
        case _:
            return None
    old = snapshot.get(target)
    if old == value:
        return None
    snapshot[target] = value
    return target, old


def check_rules(rules: Sequence[Rule]) -> list[Rule]:
    """The rules in evaluation order; refuses two rules with one name (results name rules)."""
    names = [r.name for r in rules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise AutomationError(f"name: rules {duplicates} are defined twice")
    return sorted(rules, key=lambda r: (r.position, r.name))


def evaluate(rules: Sequence[Rule], event: TicketEvent) -> AutomationResult:
    """The actions to apply for one event, in order (see the module docstring for the order and guards)."""
    snapshot = dict(event.snapshot)
    if event.depth >= MAX_DEPTH:
        return AutomationResult([], snapshot, {}, depth_limited=True)
    ordered, fired = check_rules(rules), set()
    changes, planned, touched = dict(event.changes), [], set()
    restart = True
    while restart:
        restart = False
        for rule in ordered:
            if rule.name in fired or not rule.matches(event.kind, snapshot, changes):
                continue
            fired.add(rule.name)
            for action in rule.actions:
                changed = _apply(action, snapshot)
                if changed is not None:
                    changes.setdefault(*changed)
                    touched.add(changed[0])
                    restart = True
                planned.append(PlannedAction(rule.name, action))
            if restart:
                break
    # net changes only: a field set and set back by two rules did not change (a field the event itself
    # changed counts when the rules changed it again)
    own = {k: event.snapshot.get(k) for k in touched if snapshot.get(k) != event.snapshot.get(k)}
    return AutomationResult(planned, snapshot, own)

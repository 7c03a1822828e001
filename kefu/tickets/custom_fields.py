"""Custom fields per ticket type (pure): a schema per type, and values checked against it.

A schema is a list of field definitions `{name, kind, required, choices, max_length, min, max}`; `kind`
is text, integer, number, boolean, date (YYYY-MM-DD) or choice. A type without a schema takes any flat
values (as before schemas existed); a type with one takes only its fields, each of its kind, and its
required ones. Errors name the field as `custom_fields.<name>` and say why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

MAX_FIELDS = 50
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class FieldKind(StrEnum):
    text = "text"
    integer = "integer"
    number = "number"
    boolean = "boolean"
    date = "date"
    choice = "choice"


class CustomFieldError(ValueError):
    """A value or a schema is refused; `field` names it (custom_fields.<name> or fields[i].<key>)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True, slots=True)
class FieldDef:
    name: str
    kind: FieldKind
    required: bool = False
    choices: tuple[str, ...] = ()
    max_length: int = 500
    min: float | None = None
    max: float | None = None
    label: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "kind": self.kind.value, "required": self.required,
            "choices": list(self.choices), "max_length": self.max_length, "min": self.min, "max": self.max,
            "label": self.label,
        }  # fmt: skip


_KEYS = {"name", "kind", "required", "choices", "max_length", "min", "max", "label"}


def parse_schema(raw: Sequence[Mapping[str, Any]]) -> list[FieldDef]:
    """Field definitions from JSON, checked: names unique and well formed, choices for a choice field."""
    if len(raw) > MAX_FIELDS:
        raise CustomFieldError("fields", f"at most {MAX_FIELDS} fields per type")
    defs, seen = [], set()
    for i, item in enumerate(raw):
        where = f"fields[{i}]"
        unknown = sorted(set(item) - _KEYS)
        if unknown:
            raise CustomFieldError(
                f"{where}.{unknown[0]}", f"unknown key (known: {', '.join(sorted(_KEYS))})"
            )
        name = item.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise CustomFieldError(
                f"{where}.name", "lower-case letters, digits and _, starting with a letter"
            )
        if name in seen:
            raise CustomFieldError(f"{where}.name", f"{name!r} is defined twice")
        seen.add(name)
        try:
            kind = FieldKind(item.get("kind", "text"))
        except ValueError:
            raise CustomFieldError(f"{where}.kind", f"not one of {', '.join(FieldKind)}") from None
        choices = tuple(item.get("choices") or ())
        if kind is FieldKind.choice and (not choices or not all(isinstance(c, str) and c for c in choices)):
            raise CustomFieldError(f"{where}.choices", "a choice field needs a list of non-empty texts")
        if kind is not FieldKind.choice and choices:
            raise CustomFieldError(f"{where}.choices", "only choice fields have choices")
        max_length = item.get("max_length", 500)
        if not isinstance(max_length, int) or isinstance(max_length, bool) or not 1 <= max_length <= 5000:
            raise CustomFieldError(f"{where}.max_length", "a whole number from 1 to 5000")
        bounds = {}
        for key in ("min", "max"):
            value = item.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise CustomFieldError(f"{where}.{key}", "must be a number")
            bounds[key] = value
        if bounds["min"] is not None and bounds["max"] is not None and bounds["min"] > bounds["max"]:
            raise CustomFieldError(f"{where}.min", "is above max")
        label = item.get("label") or ""
        if not isinstance(label, str) or len(label) > 80:
            raise CustomFieldError(f"{where}.label", "a text of at most 80 characters")
        defs.append(
            FieldDef(
                name,
                kind,
                bool(item.get("required", False)),
                choices,
                max_length,
                bounds["min"],
                bounds["max"],
                label,
            )  # fmt: skip
        )
    return defs


def _check_value(field: FieldDef, value: Any) -> Any:
    where = f"custom_fields.{field.name}"
    match field.kind:
        case FieldKind.text:
            if not isinstance(value, str):
                raise CustomFieldError(where, "must be a text")
            if len(value) > field.max_length:
                raise CustomFieldError(where, f"longer than {field.max_length} characters")
            return value
        case FieldKind.choice:
            if value not in field.choices:
                raise CustomFieldError(where, f"{value!r} is not one of {', '.join(field.choices)}")
            return value
        case FieldKind.boolean:
            if not isinstance(value, bool):
                raise CustomFieldError(where, "must be true or false")
            return value
        case FieldKind.date:
            try:
                return date.fromisoformat(value).isoformat() if isinstance(value, str) else _no_date()
            except ValueError:
                raise CustomFieldError(where, f"{value!r} is not a date (YYYY-MM-DD)") from None
        case FieldKind.integer | FieldKind.number:
            whole = field.kind is FieldKind.integer
            if isinstance(value, bool) or not isinstance(value, int if whole else int | float):
                raise CustomFieldError(where, "must be a whole number" if whole else "must be a number")
            if field.min is not None and value < field.min:
                raise CustomFieldError(where, f"{value} is below the minimum {field.min:g}")
            if field.max is not None and value > field.max:
                raise CustomFieldError(where, f"{value} is above the maximum {field.max:g}")
            return value
    return value  # pragma: no cover - every kind is matched above


def _no_date() -> str:
    raise ValueError("not a text")


def check_values(schema: Sequence[FieldDef] | None, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values checked against the type's schema (None: no schema, any flat values). None or an
    empty text counts as not given; a required field must be given."""
    if schema is None:
        return dict(values)
    by_name = {f.name: f for f in schema}
    unknown = sorted(set(values) - set(by_name))
    if unknown:
        known = ", ".join(by_name) or "none"
        raise CustomFieldError(
            f"custom_fields.{unknown[0]}", f"not a field of this ticket type (fields: {known})"
        )
    checked = {}
    for field in schema:
        value = values.get(field.name)
        if value is None or value == "":
            if field.required:
                raise CustomFieldError(f"custom_fields.{field.name}", "is required for this ticket type")
            continue
        checked[field.name] = _check_value(field, value)
    return checked

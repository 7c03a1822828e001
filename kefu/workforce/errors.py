"""The one exception type for bad workforce input, so callers can catch a single class."""

from __future__ import annotations


class WorkforceInputError(ValueError):
    """An input field is missing, out of range or inconsistent; the message names the field and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

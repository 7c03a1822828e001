"""Ticket vocabulary of the glossary (pure)."""

from enum import StrEnum


class TicketType(StrEnum):
    inquiry = "inquiry"
    complaint = "complaint"
    suggestion = "suggestion"
    repair = "repair"
    refund = "refund"


class Severity(StrEnum):
    normal = "normal"
    major = "major"


class Priority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"

"""The console's words for the glossary's codes (channels, statuses, senders, presence, tiers) (pure).

Kept as data rather than template macros: each environment translates the table once, so a page of fifty
rows looks its labels up instead of calling gettext hundreds of times.
"""

from __future__ import annotations

from collections.abc import Callable


def N_(message: str) -> str:
    """Marks a msgid for the catalog (Babel extracts N_ calls); translated when the table is built."""
    return message


LABELS: dict[str, dict[str, str]] = {
    "channel": {
        "webchat": N_("Web chat"),
        "email": N_("E-mail"),
        "voice": N_("Voice"),
        "app": N_("App"),
        "social": N_("Social"),
        "api": N_("API"),
        "ticket": N_("Ticket"),
    },
    "status": {
        "bot": N_("With the bot"),
        "queued": N_("Waiting"),
        "active": N_("In progress"),
        "ended": N_("Ended"),
    },
    "sender": {"customer": N_("Customer"), "agent": N_("Agent"), "bot": N_("Bot"), "system": N_("System")},
    "presence": {
        "available": N_("Available"),
        "busy": N_("Busy"),
        "after_contact_work": N_("After-contact work"),
        "break": N_("Break"),
        "training": N_("Training"),
        "offline": N_("Offline"),
    },
    "break_reason": {
        "rest": N_("Rest"),
        "meal": N_("Meal"),
        "meeting": N_("Meeting"),
        "other": N_("Other"),
        "console_disconnected": N_("Console disconnected"),
    },
    "tier": {"new": N_("New"), "active": N_("Active"), "high_value": N_("High value"), "vip": N_("VIP")},
    # Tickets, as the workspace lists them (the same words as the ticket pages).
    "ticket_status": {
        "new": N_("New ticket"),
        "open": N_("Open"),
        "pending": N_("Pending"),
        "on_hold": N_("On hold"),
        "solved": N_("Solved"),
        "closed": N_("Closed"),
    },
    "ticket_type": {
        "inquiry": N_("Inquiry"),
        "complaint": N_("Complaint"),
        "suggestion": N_("Suggestion"),
        "repair": N_("Repair"),
        "refund": N_("Refund"),
    },
    "sla_state": {"ok": N_("On track"), "at_risk": N_("At risk"), "breached": N_("Breached")},
    "timeline": {
        "conversation": N_("Conversation"),
        "ticket": N_("Ticket"),
        "csat": N_("Rating"),
        "follow_up": N_("Follow-up"),
    },
    "follow_up": {
        "high_value": N_("High-value customer"),
        "repeat_complainant": N_("Repeat complaint"),
        "negative_csat": N_("Low rating"),
    },
    "identity": {
        "phone": N_("Phone"),
        "email": N_("E-mail"),
        "visitor": N_("Web visitor"),
        "external": N_("Customer account"),
    },
}


def translated_labels(translate: Callable[[str], str]) -> dict[str, dict[str, str]]:
    return {kind: {code: translate(msgid) for code, msgid in codes.items()} for kind, codes in LABELS.items()}


def label_filter(table: dict[str, dict[str, str]]) -> Callable[[str, str], str]:
    """`{{ code|label("channel") }}`: the reader's word for a code; an unknown code shows as itself."""

    def label(code: str, kind: str) -> str:
        if kind not in table:
            raise ValueError(f"kind: {kind!r} is not one of {', '.join(table)}")
        return table[kind].get(code, code)

    return label

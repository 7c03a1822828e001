"""How the domains react to each other, registered in one visible place (called by create_app)."""

from __future__ import annotations

from kefu.bot.actions import bot_takes_conversation
from kefu.channels import assignment
from kefu.routing.actions import on_contact_assigned
from kefu.tickets.actions import do_take_routed_ticket


def connect_domains() -> None:
    # Routing never imports the domains whose work it routes; they tell it what assignment means.
    on_contact_assigned(assignment.CONTACT_KIND, assignment.do_assign_agent)
    on_contact_assigned("ticket", do_take_routed_ticket)
    # A new conversation on a channel where the bot is on goes to the bot first (its handoff queues it).
    assignment.on_new_conversation(bot_takes_conversation)

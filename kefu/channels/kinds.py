"""Channel and message vocabulary of the glossary (pure)."""

from enum import StrEnum


class Channel(StrEnum):
    webchat = "webchat"
    email = "email"
    voice = "voice"
    app = "app"
    social = "social"
    api = "api"


class Sender(StrEnum):
    customer = "customer"
    agent = "agent"
    bot = "bot"
    system = "system"


class ConversationStatus(StrEnum):
    bot = "bot"  # the bot is answering
    queued = "queued"  # waiting for an agent
    active = "active"  # an agent is handling it
    ended = "ended"

"""Handing agents' replies to the outside: the mail relay and the channels' webhooks (after commit)."""

from __future__ import annotations

from kefu.channels.email_out import Relay, deliver_outbox
from kefu.channels.gateway import channel_secret
from kefu.channels.kinds import Channel
from kefu.channels.settings import ChannelSettings
from kefu.channels.targets import parse_allowed
from kefu.channels.webhooks import WebhookPolicy
from kefu.core.runtime import Runtime


def deliver_mail(runtime: Runtime, settings: ChannelSettings) -> None:
    relay = Relay(settings.smtp_relay_host, settings.smtp_relay_port)
    deliver_outbox(runtime.write_sessions, relay, settings.support_address)


def webhook_policy(runtime: Runtime, settings: ChannelSettings) -> WebhookPolicy:
    signing_key = runtime.settings.signing_key
    return WebhookPolicy(
        secret_for=lambda channel: channel_secret(signing_key, Channel(channel)),
        allowed=parse_allowed(settings.webhook_allow_networks),
        max_attempts=settings.webhook_max_attempts,
        backoff_seconds=settings.webhook_backoff_seconds,
    )

"""Channel settings (KEFU_* variables): mail ports and relay, web chat sites, webhook allow-list."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from pydantic import Field
from starlette.requests import HTTPConnection

from kefu.core.config import KefuSettings


class ChannelSettings(KefuSettings):
    support_address: str = Field(
        default="support@localhost", description="kefu's own mailbox (From of replies)"
    )
    support_name: str = Field(default="客服 Customer Service", description="display name on replies")
    smtp_listen_host: str = "127.0.0.1"
    smtp_listen_port: int = Field(default=2525, description="the inbound SMTP receiver's port")
    smtp_relay_host: str = Field(default="127.0.0.1", description="where outbound mail is handed over")
    smtp_relay_port: int = 25
    max_mail_bytes: int = Field(default=25 * 1024 * 1024, description="larger inbound mail is refused (552)")
    max_upload_bytes: int = Field(
        default=10 * 1024 * 1024, description="largest file a chat visitor may send"
    )
    webchat_sites: dict[str, str] = Field(
        default_factory=dict, description="site key → secret that signs logged-in customers' identities"
    )
    webchat_greeting: str = "您好，欢迎咨询！请问有什么可以帮您？ / Hello, how can we help you?"
    imap_host: str | None = Field(default=None, description="mailbox polled for inbound mail, if set")
    imap_port: int = 993
    imap_ssl: bool = True
    imap_username: str = ""
    imap_password: str = ""
    imap_folder: str = "INBOX"
    imap_poll_seconds: float = Field(default=60.0, gt=0)
    webhook_targets: dict[str, str] = Field(
        default_factory=dict, description="channel (app, social, api) → URL that receives agents' replies"
    )
    webhook_allow_networks: list[str] = Field(
        default_factory=list, description="networks webhooks may reach despite being private (admin only)"
    )
    webhook_max_attempts: int = Field(default=6, ge=1)
    webhook_backoff_seconds: float = Field(
        default=30.0, gt=0, description="first retry delay; doubles each time"
    )


def get_channel_settings(request: HTTPConnection) -> ChannelSettings:
    """Cached on the app, so a test (or an embedding program) can set `app.state.channel_settings`."""
    state = request.app.state
    if not hasattr(state, "channel_settings"):
        state.channel_settings = ChannelSettings()
    return state.channel_settings


ChannelSettingsDep = Annotated[ChannelSettings, Depends(get_channel_settings)]

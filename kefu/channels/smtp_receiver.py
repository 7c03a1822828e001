"""kefu's inbound SMTP receiver (aiosmtpd), started on a configurable port by `start_smtp_receiver`.

Mail is acknowledged (250) only after it is committed, as a message or in quarantine; a database
failure answers 451 so the sending server retries: inbound mail is never lost silently.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller

from kefu.channels.attachments import attachments_root
from kefu.channels.email_in import do_receive_mail
from kefu.channels.settings import ChannelSettings
from kefu.core.runtime import Runtime
from kefu.customers.tiers import TierRules

log = logging.getLogger(__name__)


class InboundMailHandler:
    def __init__(self, runtime: Runtime, rules: TierRules) -> None:
        self.runtime = runtime
        self.rules = rules

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        raw = envelope.original_content or envelope.content
        try:
            await asyncio.to_thread(self._store, bytes(raw), envelope.mail_from)
        except Exception:  # noqa: BLE001 - any failure to store means "try again later", never "accepted"
            log.exception("inbound mail from %s not stored", envelope.mail_from)
            return "451 4.3.0 temporary failure storing the message, try again later"
        return "250 2.0.0 message accepted"

    def _store(self, raw: bytes, envelope_sender: str | None) -> None:
        with self.runtime.write_sessions() as session, session.begin():
            do_receive_mail(
                session,
                raw,
                envelope_sender=envelope_sender,
                rules=self.rules,
                attachments_dir=attachments_root(self.runtime.settings.data_dir),
            )


def start_smtp_receiver(runtime: Runtime, settings: ChannelSettings, rules: TierRules) -> Controller:
    """Start listening in a background thread; call `.stop()` on the result to shut it down."""
    controller = Controller(
        InboundMailHandler(runtime, rules),
        hostname=settings.smtp_listen_host,
        port=settings.smtp_listen_port,
        data_size_limit=settings.max_mail_bytes,
    )
    controller.start()
    return controller

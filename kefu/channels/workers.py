"""The channels' background work in a server process: the inbound SMTP receiver, IMAP polling, and
retries of outbound mail and webhooks. Started by create_app unless `KEFU_CHANNEL_WORKERS=false`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kefu.channels.attachments import attachments_root
from kefu.channels.delivery import deliver_mail, webhook_policy
from kefu.channels.imap_poll import imap_poll_loop
from kefu.channels.settings import ChannelSettings
from kefu.channels.smtp_receiver import start_smtp_receiver
from kefu.channels.webhooks import deliver_due_webhooks
from kefu.core.runtime import Runtime
from kefu.customers.settings import TierSettings

log = logging.getLogger(__name__)
RETRY_SECONDS = 30.0  # outbound mail and webhooks that failed are tried again at most this late


def start_channel_workers(runtime: Runtime) -> Callable[[], None]:
    """Start what is configured; returns the function that stops it all."""
    settings, rules = ChannelSettings(), TierSettings().rules()
    stop = threading.Event()
    stoppers: list[Callable[[], None]] = [stop.set]
    if settings.smtp_listen_port:
        try:
            stoppers.append(start_smtp_receiver(runtime, settings, rules).stop)
        except OSError as error:  # several server processes: the first one receives the mail
            log.warning("SMTP receiver not started on port %s: %s", settings.smtp_listen_port, error)
    if settings.imap_host:
        _thread(
            "kefu-imap",
            imap_poll_loop,
            runtime.write_sessions,
            settings,
            rules=rules,
            attachments_dir=attachments_root(runtime.settings.data_dir),
            stop=stop,
        )
    _thread("kefu-delivery-retries", _retry_deliveries, runtime, settings, stop)

    def stop_all() -> None:
        for stopper in reversed(stoppers):
            stopper()

    return stop_all


def _retry_deliveries(runtime: Runtime, settings: ChannelSettings, stop: threading.Event) -> None:
    policy = webhook_policy(runtime, settings)
    while not stop.wait(RETRY_SECONDS):
        try:
            deliver_mail(runtime, settings)
            deliver_due_webhooks(runtime.write_sessions, policy)
        except Exception:  # noqa: BLE001 - logged; the next pass tries again
            log.exception("delivery retry pass failed")


def _thread(name: str, target: Callable[..., None], *args: object, **kwargs: object) -> None:
    threading.Thread(target=target, args=args, kwargs=kwargs, name=name, daemon=True).start()

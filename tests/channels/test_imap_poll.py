"""IMAP polling against a real Dovecot started by the test (skipped where Dovecot is not installed)."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from kefu.channels.imap_poll import Mailbox, poll_mailbox
from kefu.channels.models import Conversation, Message, QuarantinedMail
from kefu.core.runtime import Runtime
from kefu.customers.tiers import TierRules

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
pytestmark = pytest.mark.skipif(DOVECOT is None, reason="dovecot not installed (apt: dovecot-imapd)")

CONFIG = """base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A throw-away Dovecot with one user; mail belongs to an unprivileged user, as Dovecot insists."""
    owner = pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    root = Path(tempfile.mkdtemp(prefix="kefu-imap-"))
    root.chmod(0o755)
    (root / "mail").mkdir()
    if os.geteuid() == 0:
        os.chown(root / "mail", owner.pw_uid, owner.pw_gid)
    (root / "passwd").write_text("li:{PLAIN}secret\n")
    port = _free_port()
    (root / "dovecot.conf").write_text(
        CONFIG.format(root=root, uid=owner.pw_uid, gid=owner.pw_gid, port=port)
    )
    server = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port)
        yield Mailbox("127.0.0.1", port, "li", "secret", ssl=False, timeout=10)
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(root, ignore_errors=True)


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("dovecot did not start")


def _deliver(mailbox: Mailbox, raw: bytes) -> None:
    with imaplib.IMAP4(mailbox.host, mailbox.port) as imap:
        imap.login(mailbox.username, mailbox.password)
        imap.append("INBOX", None, None, raw)


def _mail(message_id: str, body: str, **headers: str) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "li@example.com", "support@kefu.test", "退款"
    mail["Message-ID"] = f"<{message_id}>"
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    return mail.as_bytes()


def test_polling_ingests_unseen_mail_once(runtime: Runtime, mailbox: Mailbox, tmp_path: Path) -> None:
    _deliver(mailbox, _mail("i1@example.com", "我要退款"))
    _deliver(mailbox, _mail("i2@example.com", "I am away", Auto_Submitted="auto-replied"))

    def poll() -> int:
        return poll_mailbox(runtime.write_sessions, mailbox, rules=TierRules(), attachments_dir=tmp_path)

    assert poll() == 2
    assert poll() == 0  # flagged \Seen after commit: not fetched again
    with runtime.sessions() as session:
        assert session.scalar(select(Message.body)) == "我要退款"
        assert len(session.scalars(select(Conversation)).all()) == 1
        assert session.scalar(select(QuarantinedMail.reason)) == "auto-reply: Auto-Submitted: auto-replied"
    _deliver(mailbox, _mail("i1@example.com", "我要退款"))  # the same mail again, e.g. after a crash
    assert poll() == 1
    with runtime.sessions() as session:
        assert len(session.scalars(select(Message)).all()) == 1

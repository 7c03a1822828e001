"""A real server receives mail over SMTP on its configured port and threads it into a conversation."""

import os
import smtplib
import socket
import subprocess
import sys
import time
from email.message import EmailMessage

import httpx
from sqlalchemy import create_engine, text


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_kefu_serve_receives_mail_into_a_conversation(tmp_path):
    web, smtp = _port(), _port()
    env = {
        **os.environ,
        "KEFU_DATA_DIR": str(tmp_path),
        "KEFU_SMTP_LISTEN_PORT": str(smtp),
        "KEFU_PLAN_WARMUP": "false",
    }
    env.pop("KEFU_DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "kefu.cli", "serve", "--port", str(web)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(150):
            try:
                if httpx.get(f"http://127.0.0.1:{web}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = (
            "王芳 <wang.fang@example.com>",
            "support@localhost",
            "发票",
        )
        mail["Message-ID"] = "<first@example.com>"
        mail.set_content("请帮我开发票。")
        for _ in range(50):
            try:
                with smtplib.SMTP("127.0.0.1", smtp, timeout=5) as client:
                    client.send_message(mail)
                break
            except OSError:
                time.sleep(0.2)
        engine = create_engine(f"sqlite:///{tmp_path / 'kefu.db'}")
        with engine.connect() as connection:
            row = connection.execute(
                text(
                    "SELECT c.channel, m.body FROM messages m"
                    " JOIN conversations c ON c.id = m.conversation_id"
                )
            ).one()
        engine.dispose()
        assert row.channel == "email" and "发票" in row.body
    finally:
        server.terminate()
        server.wait(10)

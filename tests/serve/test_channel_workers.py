"""A real server receives mail over SMTP on its configured port and threads it into a conversation."""

import smtplib
import time
from email.message import EmailMessage

from sqlalchemy import create_engine, text


def test_kefu_serve_receives_mail_into_a_conversation(tmp_path, serve, free_port):
    smtp = free_port
    with serve(tmp_path, KEFU_SMTP_LISTEN_PORT=str(smtp)):
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

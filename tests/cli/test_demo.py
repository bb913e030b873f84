"""`sealgate demo`: a first-time user submits a message and sees the notification in the
demo mailbox, with no outside server."""

from __future__ import annotations

import os
import re
import signal
import smtplib
import ssl
import subprocess
import sys
import time
from email.message import EmailMessage

import httpx

from tests.conftest import free_port


def test_demo_catches_the_notification_in_its_mailbox(tmp_path):
    ports = {name: free_port() for name in ("smtp", "web", "box_smtp", "box_web")}
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEALGATE_")}
    env.update(
        SEALGATE_SUBMISSION__LISTEN=f"127.0.0.1:{ports['smtp']}",
        SEALGATE_WEB__LISTEN=f"127.0.0.1:{ports['web']}",
        SEALGATE_WEB__BASE_URL=f"http://127.0.0.1:{ports['web']}",
        SEALGATE_DELIVERY__RELAY=f"127.0.0.1:{ports['box_smtp']}",
        SEALGATE_DELIVERY__POLL_INTERVAL="0.1",
    )
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sealgate",
            "demo",
            "--data-dir",
            str(tmp_path / "demo"),
            "--mailbox-smtp",
            f"127.0.0.1:{ports['box_smtp']}",
            "--mailbox-web",
            f"127.0.0.1:{ports['box_web']}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        printed = ""
        for line in demo.stdout:
            printed += line
            if "sealgate: ready" in line:
                break
        assert "swaks --server" in printed and "smtplib" in printed
        user = re.search(r"user (sg-[0-9a-f]+)", printed).group(1)
        password = re.search(r"password ([A-Za-z0-9]+)", printed).group(1)

        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = (
            "alice@demo.example",
            "patient@example.org",
            "Test results",
        )
        mail.set_content("Your results are ready.")
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        with smtplib.SMTP("127.0.0.1", ports["smtp"], timeout=30) as smtp:
            smtp.starttls(context=context)
            smtp.login(user, password)
            smtp.send_message(mail)

        page = ""
        for _ in range(200):
            page = httpx.get(f"http://127.0.0.1:{ports['box_web']}/").text
            if "/m/" in page:
                break
            time.sleep(0.1)
        assert "Secure message from" in page and f"127.0.0.1:{ports['web']}/m/" in page
        assert "Your results are ready." not in page
        assert list((tmp_path / "demo" / "mailbox").glob("*.eml"))
    finally:
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=30) == 0

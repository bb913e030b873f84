"""sealgate demo: a demo organisation, every stage, and a local mailbox to read what it sends."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
from pathlib import Path

from sealgate.bootstrap import Runtime, open_runtime
from sealgate.cli.common import CliError, common_options
from sealgate.cli.init import initialise
from sealgate.cli.serve import ROLES, _WebServer, configure_logging, serve
from sealgate.config import load, split_hostport
from sealgate.demo import Mailbox, mailbox_app
from sealgate.directory import (
    CREDENTIAL_KEY_PURPOSE,
    DirectoryError,
    add_account,
    create_credential,
    create_org,
)

ORG, DOMAIN, SENDER = "Demo Hospital", "demo.example", "alice@demo.example"


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("demo", parents=[common_options()], help="try sealgate locally")
    parser.add_argument(
        "--data-dir",
        default="sealgate-demo",
        metavar="DIR",
        help="the demo's data folder (default sealgate-demo)",
    )
    parser.add_argument(
        "--mailbox-smtp",
        default="127.0.0.1:2525",
        metavar="HOST:PORT",
        help="where the demo mailbox takes mail (default 127.0.0.1:2525)",
    )
    parser.add_argument(
        "--mailbox-web",
        default="127.0.0.1:8025",
        metavar="HOST:PORT",
        help="where the demo mailbox's web page listens (default 127.0.0.1:8025)",
    )
    parser.add_argument("--setup-only", action="store_true", help="prepare, print, don't serve")
    parser.set_defaults(run=run)


def _credentials(rt: Runtime, data_dir: Path) -> dict[str, str]:
    """The demo org, sender and SMTP credential; made once, kept in demo-credentials.json."""
    saved = data_dir / "demo-credentials.json"
    if saved.exists():
        return dict(json.loads(saved.read_text()))
    try:
        with rt.db.begin() as session:
            create_org(session, ORG, [DOMAIN])
            add_account(session, SENDER, ORG, display_name="Alice Demo")
            credential, password = create_credential(
                session, ORG, "demo", key=rt.subkey(CREDENTIAL_KEY_PURPOSE)
            )
    except DirectoryError as exc:
        raise CliError(f"demo data folder is inconsistent ({exc}); remove {data_dir}") from None
    values = {"username": credential.username, "password": password}
    descriptor = os.open(saved, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(values, handle)
    return values


def _instructions(rt: Runtime, credentials: dict[str, str], mailbox_web: str) -> str:
    host, port = split_hostport(rt.settings.submission.listen)
    user, password = credentials["username"], credentials["password"]
    return f"""
sealgate demo is running.
  submission (SMTP + STARTTLS): {host}:{port}   user {user}   password {password}
  guest portal:                 {rt.settings.web.base_url}
  demo mailbox (caught mail):   http://{mailbox_web}/   files in {rt.settings.data_dir / "mailbox"}

Send a test message with swaks:
  swaks --server {host}:{port} --tls --auth-user {user} --auth-password {password} \\
        --from {SENDER} --to patient@example.org --header "Subject: Test results" \\
        --body "Your results are ready."

or with Python:
  python3 - <<'PY'
import smtplib, ssl
from email.message import EmailMessage
msg = EmailMessage()
msg["From"], msg["To"], msg["Subject"] = "{SENDER}", "patient@example.org", "Test results"
msg.set_content("Your results are ready.")
with smtplib.SMTP("{host}", {port}) as smtp:
    smtp.starttls(context=ssl._create_unverified_context())  # the demo certificate is self-signed
    smtp.login("{user}", "{password}")
    smtp.send_message(msg)
PY

Then open the demo mailbox, follow the link in the notification, ask for a code
(it arrives in the demo mailbox too) and read the message. Ctrl-C stops everything.
"""


def run(args: argparse.Namespace) -> int:
    configure_logging()
    data_dir = Path(args.data_dir).resolve()
    config_file = data_dir / "sealgate.toml"
    if not config_file.exists():
        initialise(
            data_dir,
            config_file,
            "localhost",
            relay=args.mailbox_smtp,
            system_from=f"noreply@{DOMAIN}",
        )
    settings = load(config_file, os.environ)
    rt = open_runtime(settings, migrate=True)  # the demo's own data folder: keep it current
    try:
        print(_instructions(rt, _credentials(rt, data_dir), args.mailbox_web), flush=True)
        if not args.setup_only:
            asyncio.run(_serve_with_mailbox(rt, args.mailbox_smtp, args.mailbox_web))
    except OSError as exc:
        raise CliError(f"cannot start: {exc}") from None
    finally:
        rt.close()
    return 0


async def _serve_with_mailbox(rt: Runtime, mailbox_smtp: str, mailbox_web: str) -> None:
    folder = rt.settings.data_dir / "mailbox"
    mailbox = Mailbox(folder, *split_hostport(mailbox_smtp))
    await mailbox.start()
    from sealgate.portal import portal_config

    # The mailbox pages get the portal's limits too (request deadline, connections, backlog).
    web = _WebServer(portal_config(mailbox_app(folder, rt.settings.data_dir), rt.settings.web))
    listener = socket.create_server(split_hostport(mailbox_web), backlog=rt.settings.web.backlog)
    page = asyncio.create_task(web.serve(sockets=[listener]))
    try:
        await serve(rt, ROLES)
    finally:
        web.should_exit = True
        await page
        await mailbox.stop()

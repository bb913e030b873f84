"""sealgate init --data-dir DIR [--hostname NAME] [--base-url URL]: a commented
sealgate.toml with every section, the database (0600), keys and a development certificate.

--hostname is the gateway's public name: the SMTP greeting, Message-IDs and the outbound
HELO name. --base-url is the portal's public https:// address used in every link.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from urllib.parse import urlsplit

from sealgate.bootstrap import open_runtime
from sealgate.cli.common import CliError, common_options, emit
from sealgate.config import ConfigError, Settings, load
from sealgate.submission import write_self_signed

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
CONFIG_TEMPLATE = """\
# sealgate configuration. Every key can be overridden by an environment variable
# SEALGATE_<SECTION>__<KEY>, e.g. SEALGATE_DELIVERY__RELAY=127.0.0.1:2525.

[submission]
# Where client MTAs and applications submit mail (587 in production).
listen = "127.0.0.1:2587"
# Name in the SMTP greeting and in Message-IDs.
hostname = "{hostname}"
# Certificate and key for STARTTLS (a self-signed one was made for development).
tls_cert = "tls/cert.pem"
tls_key = "tls/key.pem"
# max_message_size = 52428800   # bytes; larger mail gets 552 5.3.4
# max_recipients = 100          # more gets 452 4.5.3

[web]
# The guest portal.
listen = "127.0.0.1:8080"
# Public address used in notification links: https:// behind a TLS reverse proxy.
base_url = "{base_url}"
# link_ttl_days = 90            # a notification link works this long
# session_ttl = 3600            # seconds a verified guest stays signed in

[delivery]
# "" delivers by MX look-up; "host:port" hands outbound mail without content (notifications,
# code mails, reports) to that relay. Direct deliveries always go to the recipient's MX.
relay = "{relay}"
# relay_starttls = false         # true: STARTTLS required, certificate verified
# relay_ca_file = ""             # CA bundle for the relay's certificate; "" = system store
# relay_username = ""
# relay_password = ""           # better: SEALGATE_DELIVERY__RELAY_PASSWORD
# The gateway's own name: outbound EHLO, the DSN's Reporting-MTA, the SPF record that
# dns-records suggests. Must be a public name that resolves to this host when mail goes by MX.
helo_name = "{hostname}"
# Address that sends verification-code mails and delivery reports.
system_from = "{system_from}"
# expiry_seconds = 432000       # give up (and report to the sender) after 5 days

[storage]
# Relative paths are relative to this file.
data_dir = "."
# "" = SQLite in the data folder; e.g. "postgresql+psycopg://user@host/db".
database_url = ""
# The master key is read from master.key in the data folder unless
# SEALGATE_STORAGE__MASTER_KEY (base64 of 32 bytes) is set.

[accounts]
# Invitation and password-reset links, and how often /forgot may send them.
# invite_ttl_hours = 168        # an invitation works for 7 days
# reset_ttl_minutes = 60
# link_requests_per_address = 3 # per link_request_window seconds; then nothing is sent
# link_requests_per_client = 20
# link_request_window = 3600

[audit]
# Days audit entries are kept; `sealgate audit prune` (e.g. daily from cron) deletes older ones.
# retention_days = 2190         # 6 years

[transport]
# A validating resolver (unbound on loopback): DANE and "secure" answers need its AD bit.
# "" uses the system resolver; `serve` warns when it does not validate.
resolver = ""
# ca_file = ""                  # CA bundle for PKIX checks of recipient servers; "" = system

[policy]
# Region assumed for phone numbers written without a country code.
default_phone_region = "NL"

[sms]
# "outbox" writes each SMS to sms-outbox.jsonl in the data folder (tests, demo);
# "messagebird" sends through the MessageBird API.
provider = "outbox"
# api_key = ""                  # better: SEALGATE_SMS__API_KEY
# org_hourly_limit = 200        # SMS per organisation per hour

[log]
# "debug", "info", "warning" or "error". Logs name ids, never message content.
level = "info"
# "text" for a terminal; "json": one object a line (time, level, logger, event, ids).
format = "text"

[retention]
# Seconds between the worker's passes that delete the content of messages past their
# organisation's retention (`sealgate policy set --retention-days`, default 30 days after
# the last recipient finished). `sealgate retention run` does one pass, e.g. from cron.
# interval = 3600
"""


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    init = commands.add_parser("init", parents=[common_options()], help="create a data folder")
    init.add_argument(
        "--data-dir", required=True, metavar="DIR", help="the folder to create (keys, vault, db)"
    )
    init.add_argument(
        "--hostname", default="localhost", help="this gateway's public name (default localhost)"
    )
    init.add_argument(
        "--base-url",
        default=DEFAULT_BASE_URL,
        metavar="URL",
        help="the portal's public address, e.g. https://mail.example.org",
    )
    init.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir).resolve()
    config_file = Path(args.config).resolve() if args.config else data_dir / "sealgate.toml"
    settings = initialise(
        data_dir, config_file, check_hostname(args.hostname), base_url=check_base_url(args.base_url)
    )
    emit(
        args,
        {"config": str(config_file), "data_dir": str(data_dir), "database": settings.database_url},
        f"wrote {config_file}\ncreated {settings.database_url}\n"
        f"next: sealgate serve --config {config_file}",
    )
    return 0


def check_hostname(name: str) -> str:
    """A DNS name (letters, digits, hyphens, dots): it goes into TOML and SMTP greetings."""
    labels = name.rstrip(".").split(".")
    if (
        not name
        or len(name) > 253
        or not all(
            label and len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii()
            for label in labels
        )
    ):
        raise CliError(f"--hostname {name!r} is not a host name")
    return name.rstrip(".").lower()


def check_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or '"' in url:
        raise CliError(f"--base-url {url!r} is not an https:// address")
    return url.rstrip("/")


def initialise(
    data_dir: Path,
    config_file: Path,
    hostname: str,
    relay: str = "",
    system_from: str = "",
    base_url: str = "",
) -> Settings:
    """Write the config file, a development certificate, the master key and the database."""
    if config_file.exists():
        raise CliError(f"{config_file} already exists; not overwriting it")
    # The data folder holds the master key, the database and the vault: owner only.
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    text = CONFIG_TEMPLATE.format(
        hostname=hostname,
        system_from=system_from or f"noreply@{hostname}",
        relay=relay,
        base_url=base_url or DEFAULT_BASE_URL,
    )
    if config_file.parent != data_dir:
        text = text.replace('data_dir = "."', f'data_dir = "{data_dir}"')
        text = text.replace('"tls/', f'"{data_dir}/tls/')
    config_file.write_text(text)
    try:
        settings = load(config_file, os.environ)
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    write_self_signed(data_dir / "tls" / "cert.pem", data_dir / "tls" / "key.pem", hostname)
    open_runtime(settings, create=True).close()
    return settings

"""Settings: one typed, frozen object read once from a TOML file and SEALGATE_* variables.

`load(path, environ)` is the only way in; nothing here reads the environment at import time.
An environment variable `SEALGATE_<SECTION>__<KEY>` overrides `[section] key` of the file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

ENV_PREFIX = "SEALGATE_"


class ConfigError(Exception):
    """The configuration is invalid."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_listen(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("must be HOST:PORT, e.g. 127.0.0.1:2587")
    return value


class SubmissionSettings(_Section):
    listen: str = "127.0.0.1:2587"
    hostname: str = "localhost"
    tls_cert: str = ""
    tls_key: str = ""
    max_message_size: int = Field(50 * 1024 * 1024, gt=0)
    max_recipients: int = Field(100, gt=0)
    # DATA limits in bytes: a line without its CRLF (RFC 5321 allows 998; applications send
    # unwrapped HTML), one header field with its folded lines (Postfix header_size_limit),
    # and the whole header section.
    max_line_length: int = Field(1024 * 1024, ge=998)
    max_header_field: int = Field(102400, gt=0)
    max_header_section: int = Field(256 * 1024, gt=0)
    idle_timeout: float = Field(300.0, gt=0)
    session_timeout: float = Field(1800.0, gt=0)
    # A command line must be complete this many seconds after its first byte; DATA must arrive
    # at min_data_rate bytes/s on average after a grace of command_timeout (Postfix
    # smtpd_per_request_deadline, smtpd_min_data_rate).
    command_timeout: float = Field(60.0, gt=0)
    min_data_rate: int = Field(500, gt=0)
    # Connections: open at once in total and per client address (IPv6: per /64), and new ones
    # per client per minute (Postfix anvil); 0 = no limit for the per-client ones.
    max_connections: int = Field(1000, gt=0)
    max_connections_per_client: int = Field(50, ge=0)
    max_connection_rate: int = Field(300, ge=0)
    # Failed AUTH attempts counted in the database per (client address, username), per
    # username from anywhere and per client address with any username; each key locks for
    # auth_lockout_seconds after its first counted failure once it reaches its limit.
    auth_max_failures: int = Field(10, gt=0)
    auth_max_failures_per_username: int = Field(50, gt=0)
    auth_max_failures_per_client: int = Field(30, gt=0)
    auth_lockout_seconds: float = Field(900.0, ge=0)
    # SMTP listener processes on the one listen address (SO_REUSEPORT: the kernel spreads
    # connections over them): a number, or "auto" for one per CPU. Each has its own database
    # engine and group committer; connection limits count per process.
    processes: Annotated[int, Field(ge=1, le=64)] | Literal["auto"] = 1

    _listen = field_validator("listen")(_check_listen)


class WebSettings(_Section):
    listen: str = "127.0.0.1:8080"
    base_url: str = "http://127.0.0.1:8080"
    link_ttl_days: int = Field(90, gt=0)
    # A portal session ends after session_idle_timeout seconds without a request, and
    # session_ttl seconds after it opened at the latest; its cookie ends with the browser.
    session_ttl: int = Field(3600, gt=0)
    session_idle_timeout: int = Field(900, gt=0)
    code_ttl: int = Field(600, gt=0)
    code_attempts: int = Field(5, gt=0)
    code_sends: int = Field(3, gt=0)
    code_resend_interval: int = Field(30, ge=0)
    # Codes sent for one link over any 24 hours and over its whole life; past either the
    # link sends no more codes, asks the recipient to contact the sender and tells the sender.
    code_sends_per_day: int = Field(10, gt=0)
    code_sends_per_link: int = Field(30, gt=0)
    # The portal's HTTP server: seconds a client has to send a whole request (from its first
    # byte, or from connecting), idle seconds between requests on one connection, open
    # connections before new requests get 503, the listen backlog, and the largest request
    # head (request line + headers) in bytes.
    request_timeout: float = Field(20.0, gt=0)
    keepalive_timeout: int = Field(5, gt=0)
    max_connections: int = Field(400, gt=0)
    backlog: int = Field(511, gt=0)
    max_header_bytes: int = Field(16384, ge=1024)

    _listen = field_validator("listen")(_check_listen)

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


class DeliverySettings(_Section):
    relay: str = ""
    relay_starttls: bool = False
    relay_username: str = ""
    relay_password: SecretStr = SecretStr("")
    # With relay_starttls, the relay's certificate must validate against this PEM bundle
    # ("" = the system CA store) and name the relay host.
    relay_ca_file: str = ""
    helo_name: str = "localhost"
    system_from: str = ""
    retry_base_seconds: float = Field(60.0, gt=0)
    retry_max_seconds: float = Field(4 * 3600.0, gt=0)
    expiry_seconds: float = Field(5 * 24 * 3600.0, gt=0)
    poll_interval: float = Field(1.0, gt=0)
    timeout: float = Field(60.0, gt=0)
    # Delivery loops per process, each claiming its own batches (SKIP LOCKED on PostgreSQL;
    # on SQLite they queue for the one writer, so more than a few buys nothing).
    workers: int = Field(2, ge=1, le=64)

    @field_validator("relay")
    @classmethod
    def _check_relay(cls, value: str) -> str:
        return _check_listen(value) if value else value

    @property
    def sender(self) -> str:
        """Who code mails and delivery reports come from: `system_from`, else noreply@HELO."""
        return self.system_from or f"noreply@{self.helo_name}"


class PolicySettings(_Section):
    # Region assumed for phone numbers written without a country code (ISO 3166 code).
    default_phone_region: str = "NL"


class SmsSettings(_Section):
    # "outbox" writes each SMS to <data_dir>/sms-outbox.jsonl (demo, tests); "messagebird"
    # sends through the MessageBird (Bird) REST API.
    provider: str = "outbox"
    base_url: str = "https://rest.messagebird.com"
    api_key: SecretStr = SecretStr("")
    originator: str = "sealgate"
    timeout: float = Field(10.0, gt=0)
    # SMS costs money: caps per organisation per hour (per recipient: [web] code_sends).
    org_hourly_limit: int = Field(200, gt=0)

    @field_validator("provider")
    @classmethod
    def _check_provider(cls, value: str) -> str:
        if value not in ("outbox", "messagebird"):
            raise ValueError("must be 'outbox' or 'messagebird'")
        return value


class TransportSettings(_Section):
    # Validating resolver for SPF, MX, address and TLSA look-ups: "IP" or "IP:PORT";
    # "" uses the system resolver. DNSSEC status is read from its AD bit, so it must validate.
    resolver: str = ""
    # CA bundle (PEM) for PKIX checks of recipient mail servers; "" = the system CA store.
    ca_file: str = ""
    # The port recipient mail servers listen on (25; other values are for labs).
    smtp_port: int = Field(25, gt=0, lt=65536)
    # Seconds for one DNS look-up, and for one SMTP connection of a probe or delivery.
    dns_timeout: float = Field(5.0, gt=0)
    connect_timeout: float = Field(20.0, gt=0)
    # Probe results are kept for their DNS TTLs, bounded by these (seconds).
    cache_min_seconds: int = Field(60, ge=0)
    cache_max_seconds: int = Field(3600, gt=0)


class AccountSettings(_Section):
    """Account set-up links (invitation, password reset) and how often they may be asked for."""

    invite_ttl_hours: int = Field(7 * 24, gt=0)
    reset_ttl_minutes: int = Field(60, gt=0)
    # "Forgot password" and "send me an invitation" requests per address and per client
    # (IP) within `link_request_window` seconds; past either, nothing is sent.
    link_requests_per_address: int = Field(3, gt=0)
    link_requests_per_client: int = Field(20, gt=0)
    link_request_window: int = Field(3600, gt=0)


class AuditSettings(_Section):
    # Days an audit entry is kept (`sealgate audit prune`); 2190 = 6 years, as Zivver keeps it.
    retention_days: int = Field(2190, gt=0)


class LogSettings(_Section):
    # "debug" shows every runner pass; "info" every message's steps by id; never content.
    level: Literal["debug", "info", "warning", "error"] = "info"
    # "text" for a terminal; "json": one object a line (time, level, logger, event, ids).
    format: Literal["text", "json"] = "text"


class RetentionSettings(_Section):
    # Seconds between the reaper's passes (`serve --role worker`); the days themselves are
    # per organisation (`sealgate policy set --retention-days`).
    interval: float = Field(3600.0, gt=0)
    # Messages whose content one transaction marks deleted; their blobs go after its commit.
    batch_size: int = Field(100, gt=0)


class StorageSettings(_Section):
    data_dir: str = "./data"
    database_url: str = ""
    master_key: SecretStr = SecretStr("")
    # Empty: blobs are files under `<data_dir>/blobs`. "s3://bucket/prefix": objects in an
    # S3-compatible store, which several gateway machines can share.
    blob_url: str = ""
    # For MinIO, Ceph RGW or another S3-compatible server; empty is AWS S3.
    s3_endpoint_url: str = ""
    s3_region: str = ""
    # Empty: boto3's own chain (AWS_* environment, shared credentials file, instance role).
    s3_access_key_id: str = ""
    s3_secret_access_key: SecretStr = SecretStr("")

    @field_validator("blob_url")
    @classmethod
    def _check_blob_url(cls, value: str) -> str:
        if value:
            parts = urlsplit(value)
            if parts.scheme != "s3" or not parts.netloc or "@" in parts.netloc:
                raise ValueError("must be empty or look like s3://bucket/prefix")
            if parts.query or parts.fragment:
                raise ValueError("must be empty or look like s3://bucket/prefix")
        return value

    @field_validator("s3_endpoint_url")
    @classmethod
    def _check_endpoint(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value


class Settings(_Section):
    submission: SubmissionSettings = SubmissionSettings()
    web: WebSettings = WebSettings()
    delivery: DeliverySettings = DeliverySettings()
    storage: StorageSettings = StorageSettings()
    policy: PolicySettings = PolicySettings()
    transport: TransportSettings = TransportSettings()
    sms: SmsSettings = SmsSettings()
    accounts: AccountSettings = AccountSettings()
    audit: AuditSettings = AuditSettings()
    log: LogSettings = LogSettings()
    retention: RetentionSettings = RetentionSettings()
    config_path: str = ""

    @property
    def data_dir(self) -> Path:
        return Path(self.storage.data_dir)

    @property
    def database_url(self) -> str:
        return self.storage.database_url or f"sqlite:///{self.data_dir / 'sealgate.db'}"


def split_hostport(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host.strip("[]"), int(port)


def _env_overrides(environ: Mapping[str, str]) -> dict[str, dict[str, str]]:
    overrides: dict[str, dict[str, str]] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("__")
        overrides.setdefault(section, {})[key] = value
    return overrides


def _describe(error: ValidationError, origin: str) -> str:
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"])
    return f"{origin}: invalid setting {key}: {first['msg']}"


def load(path: str | Path | None, environ: Mapping[str, str]) -> Settings:
    """Read the TOML file (if any), apply SEALGATE_* overrides, validate once."""
    raw: dict[str, Any] = {}
    origin = "defaults"
    base = Path.cwd()
    if path is not None:
        path = Path(path)
        origin = str(path)
        try:
            raw = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        base = path.resolve().parent
    for section, values in _env_overrides(environ).items():
        target = raw.setdefault(section, {})
        if not isinstance(target, dict):
            raise ConfigError(f"environment: {section} is not a section")
        target.update(values)
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origin)) from None
    # Relative paths in the file are relative to the file, not to the working directory.
    data_dir = (base / settings.storage.data_dir).resolve()
    storage = settings.storage.model_copy(update={"data_dir": str(data_dir)})
    tls = {
        key: str((base / value).resolve())
        for key in ("tls_cert", "tls_key")
        if (value := getattr(settings.submission, key))
    }
    submission = settings.submission.model_copy(update=tls)
    return settings.model_copy(
        update={"storage": storage, "submission": submission, "config_path": str(path or "")}
    )

"""A private Postfix instance that relays to sealgate the way an organisation's MTA does.

Debian's postfix package (installed by scripts/test) provides the programs; this lab writes
its own main.cf and master.cf into a directory of its own and runs Postfix's `master` in the
foreground as a child process, ended by its PID. Nothing of the system's Postfix is used: the
package's own service stays unconfigured and stopped.

The instance listens with smtpd on a loopback address of its own (lab_address(POSTFIX)), relays
everything it receives from that address to sealgate's submission port with SASL over STARTTLS
at `smtp_tls_security_level = secure` (the certificate must chain to the lab's CA and name the
relay host), and retries deferred mail within seconds.

The instance lives under /tmp rather than pytest's tmp_path: Postfix's daemons run as the
`postfix` user and must be able to enter the queue directory, and pytest's base folders are
0700 root.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self

from tests.lab.loopback import lab_address

POSTFIX = 60  # the last octet of the Postfix instance's loopback address
POSTFIX_COMMAND = "/usr/sbin/postfix"
MASTER = "/usr/lib/postfix/sbin/master"
POSTMAP = "/usr/sbin/postmap"

# The services a relay-only instance needs (master.cf); no chroot, no local delivery.
MASTER_CF = """\
{listen} inet n - n - - smtpd
pickup    unix  n - n 60   1 pickup
cleanup   unix  n - n -    0 cleanup
qmgr      unix  n - n 300  1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -    - trivial-rewrite
bounce    unix  - - n -    0 bounce
defer     unix  - - n -    0 bounce
trace     unix  - - n -    0 bounce
verify    unix  - - n -    1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -    - proxymap
smtp      unix  - - n -    - smtp
relay     unix  - - n -    - smtp
showq     unix  n - n -    - showq
error     unix  - - n -    - error
retry     unix  - - n -    - error
discard   unix  - - n -    - discard
anvil     unix  - - n -    1 anvil
scache    unix  - - n -    1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


def missing_postfix() -> list[str]:
    """The programs this lab needs that are not installed (scripts/test installs them)."""
    programs = [POSTFIX_COMMAND, MASTER, POSTMAP]
    missing = [p for p in programs if not os.access(p, os.X_OK)]
    if not list(Path("/usr/lib").glob("*/sasl2/libplain.so")):
        missing.append("libsasl2-modules (SASL PLAIN)")
    if os.geteuid() != 0:
        missing.append("root (Postfix's master must start as root)")
    return missing


def free_port_on(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class PrivatePostfix:
    """A Postfix instance of its own under /tmp: `master` as a child process on a loopback
    address of its own, ended by its PID. Subclasses say what it does (`settings`) and
    write what else their configuration needs (`write_extra`)."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.port = free_port_on(self.address)
        self.root = Path(tempfile.mkdtemp(prefix="sealgate-postfix-"))
        self.config = self.root / "etc"
        self.maillog = self.root / "log" / "maillog"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Configuration.

    def base_settings(self) -> dict[str, str]:
        """What every private instance shares: its own folders, loopback only, no local
        delivery, its log in a file of its own."""
        return {
            "compatibility_level": "3.6",
            "queue_directory": str(self.root / "queue"),
            "data_directory": str(self.root / "data"),
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            # smtpd binds the lab address itself (master.cf); Postfix accepts only an
            # interface address here, and 127.0.0.1 keeps everything else on loopback.
            "inet_interfaces": "loopback-only",
            "inet_protocols": "ipv4",
            "mydestination": "",
            "local_recipient_maps": "",
            "alias_maps": "",
            "alias_database": "",
            "biff": "no",
            "smtpd_recipient_restrictions": "",
            "maillog_file": str(self.maillog),
            "maillog_file_prefixes": str(self.root),
        }

    def settings(self) -> dict[str, str]:
        return self.base_settings()

    def main_cf(self) -> str:
        return "".join(f"{name} = {value}\n" for name, value in self.settings().items())

    def write_config(self) -> None:
        self.root.chmod(0o755)
        self.config.mkdir(mode=0o755)
        (self.root / "log").mkdir(mode=0o755)
        (self.root / "queue").mkdir(mode=0o755)
        (self.config / "main.cf").write_text(self.main_cf())
        listen = f"{self.address}:{self.port}"
        (self.config / "master.cf").write_text(MASTER_CF.format(listen=listen))
        self.write_extra()

    def write_extra(self) -> None:
        """Files beyond main.cf and master.cf (maps, SASL): none here."""

    def run(self, *command: str) -> str:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()}\n{self.log()}")
        return done.stdout

    # Life cycle.

    def start(self) -> None:
        self.write_config()
        # Creates the queue and data directories with the owners Postfix insists on.
        self.run(POSTFIX_COMMAND, "-c", str(self.config), "check")
        self.process = subprocess.Popen(
            [MASTER, "-c", str(self.config), "-s"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.wait_for_smtpd()

    def wait_for_smtpd(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"postfix master exited: {error}\n{self.log()}")
            try:
                with socket.create_connection((self.address, self.port), timeout=2) as probe:
                    if probe.recv(512).startswith(b"220"):
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"postfix smtpd did not answer on {self.address}:{self.port}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                subprocess.run(
                    [POSTFIX_COMMAND, "-c", str(self.config), "stop"],
                    capture_output=True,
                    timeout=30,
                )
                process.kill()
                process.wait(10)
        if process is not None and process.stderr is not None:
            process.stderr.close()
        shutil.rmtree(self.root, ignore_errors=True)

    # What happened.

    def log(self) -> str:
        try:
            return self.maillog.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_for_log(self, pattern: str, timeout: float = 30, count: int = 1) -> list[str]:
        """Lines of the mail log matching `pattern`, once there are `count` of them."""
        deadline = time.monotonic() + timeout
        while True:
            lines = [line for line in self.log().splitlines() if re.search(pattern, line)]
            if len(lines) >= count or time.monotonic() > deadline:
                return lines
            time.sleep(0.2)

    def queue_is_empty(self) -> bool:
        listing = subprocess.run(
            ["/usr/sbin/postqueue", "-c", str(self.config), "-j"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return listing.returncode == 0 and not listing.stdout.strip()

    def flush(self) -> None:
        """Ask the queue manager to retry deferred mail now (`postqueue -f`), as an admin would.

        With short backoff times Postfix retries by itself, but a retry that comes while the
        first delivery agent is still finishing is skipped and waits for the next queue scan.
        """
        subprocess.run(
            ["/usr/sbin/postqueue", "-c", str(self.config), "-f"],
            capture_output=True,
            timeout=30,
            check=False,
        )


class PostfixLab(PrivatePostfix):
    """`with PostfixLab(relay_port, username, password, ca_file) as postfix:` ..."""

    def __init__(self, relay_port: int, username: str, password: str, ca_file: Path) -> None:
        super().__init__(lab_address(POSTFIX))
        self.relay_port = relay_port
        self.username = username
        self.password = password
        self.ca_file = ca_file

    def settings(self) -> dict[str, str]:
        return {
            **self.base_settings(),
            "myhostname": "mta.hospital.example",
            "mydomain": "hospital.example",
            "myorigin": "$myhostname",
            "mynetworks": f"{self.address}/32",
            # Relay only: nothing is delivered on this host.
            "local_transport": "error:5.1.1 local delivery is disabled",
            "smtpd_relay_restrictions": "permit_mynetworks, reject",
            "smtputf8_enable": "yes",
            # The relay hop to sealgate: SASL over STARTTLS, the certificate checked.
            "relayhost": f"[127.0.0.1]:{self.relay_port}",
            "smtp_bind_address": self.address,
            "smtp_sasl_auth_enable": "yes",
            "smtp_sasl_password_maps": f"hash:{self.config / 'sasl_passwd'}",
            "smtp_sasl_security_options": "noanonymous",
            "smtp_sasl_tls_security_options": "noanonymous",
            "smtp_sasl_mechanism_filter": "plain, login",
            "smtp_tls_security_level": "secure",
            "smtp_tls_secure_cert_match": "nexthop",
            "smtp_tls_CAfile": str(self.config / "ca.pem"),
            "smtp_tls_mandatory_protocols": ">=TLSv1.2",
            "smtp_tls_loglevel": "1",
            # Deliver the 110 recipients of one message in one transaction as far as the
            # next hop takes them (the default would split them into batches of 50).
            "smtp_destination_recipient_limit": "1000",
            # Applications send unwrapped HTML; Postfix would fold lines over 998 bytes with
            # <CR><LF><SPACE>, which changes the content before sealgate ever sees it.
            "smtp_line_length_limit": "0",
            # Deferred mail is retried within seconds, not minutes.
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "queue_run_delay": "1s",
            "smtp_connect_timeout": "10s",
        }

    def write_extra(self) -> None:
        shutil.copyfile(self.ca_file, self.config / "ca.pem")
        passwords = self.config / "sasl_passwd"
        descriptor = os.open(passwords, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(f"[127.0.0.1]:{self.relay_port} {self.username}:{self.password}\n")
        self.run(POSTMAP, "-c", str(self.config), f"hash:{passwords}")

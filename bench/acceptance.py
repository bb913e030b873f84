"""Acceptance: sealgate against a real Postfix smtpd and bare aiosmtpd, all in one run.

Each server in turn takes the same load: 16 concurrent STARTTLS sessions, each AUTHs once and
then sends its share of 20 KB messages (aiosmtplib, as in bench/submission.py). Printed per
server: messages/second, server CPU milliseconds per message (user + system of the server's
whole process tree during the load, from /proc), and p50/p99 latency from MAIL FROM to the
final 250; then the ratios against Postfix and the issue 9 goals (msg/s >= 1.0x Postfix,
CPU/msg <= 2x, p99 <= 2x).

- Postfix 3.7: a private instance started here (under /tmp, master as a child process, ended
  by its PID): smtpd on a loopback address of its own with STARTTLS required, Cyrus SASL
  PLAIN/LOGIN from a sasldb of its own, its default fsync'd queue files, and `discard` as
  the next hop. `max_use` and `max_idle` are raised so no Postfix process exits during the
  load (its CPU would leave the tree uncounted); no per-message work changes.
- sealgate: `sealgate serve --role smtp` on SQLite in a temporary data folder, once per
  `--processes` count ([submission] processes: 1 is one event loop, 2 is two listener
  processes on one port, like Postfix's many smtpd). The goals are checked for each count.
- bare aiosmtpd: bench/bare_smtp.py, the Python ceiling (same TLS, no work).

Needs root (Postfix's master), /usr/sbin/postfix and saslpasswd2 (sasl2-bin).

    .venv/bin/python -m bench.acceptance [--messages 1600] [--clients 16] [--rounds 3]
        [--processes 1 2] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.submission import load_run, prepare_sealgate, start
from sealgate.config import load
from sealgate.submission.tls import write_self_signed
from tests.conftest import free_port
from tests.lab.loopback import lab_address
from tests.lab.postfix_lab import PrivatePostfix

POSTFIX_OCTET = 61
SASLPASSWD = "/usr/sbin/saslpasswd2"
BENCH_USER, BENCH_PASSWORD = "bench", "bench-password-0123456789"
HOSTNAME = "mx.bench.example"
GOALS = {"rate": 1.0, "cpu": 2.0, "p99": 2.0}


def tree_cpu_seconds(root: int) -> float:
    """CPU time of `root` and every live descendant, all their threads, from /proc.

    Each thread's schedstat (nanoseconds on a CPU, user and system) is summed: the stat
    file's clock ticks (10 ms) are too coarse for a few dozen Postfix processes.
    """
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    total, frontier = 0.0, [root]
    while frontier:
        pid = frontier.pop()
        total += _process_cpu_seconds(pid)
        frontier.extend(child for child, parent in parents.items() if parent == pid)
    return total


def _process_cpu_seconds(pid: int) -> float:
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    for task in tasks:
        try:
            total += int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total / 1e9


def measure(
    pid: int, port: int, host: str, user: str, password: str, messages: int, clients: int
) -> dict[str, Any]:
    """One load run against the server whose process is `pid`, with its CPU per message."""
    before = tree_cpu_seconds(pid)
    result: dict[str, Any] = asyncio.run(
        load_run(port, user, password, messages, clients, host=host)
    )
    result["cpu"] = (tree_cpu_seconds(pid) - before) / messages * 1000
    return result


class PostfixSmtpd(PrivatePostfix):
    """A private Postfix 3.7 that accepts over STARTTLS + SASL and discards, in /tmp."""

    def __init__(self, cert: Path, key: Path) -> None:
        super().__init__(lab_address(POSTFIX_OCTET))
        self.cert, self.key = cert, key

    def settings(self) -> dict[str, str]:
        return {
            **self.base_settings(),
            "myhostname": HOSTNAME,
            "mynetworks": "",
            # Submission as sealgate does it: STARTTLS first, then AUTH, then relay.
            "smtpd_tls_security_level": "encrypt",
            "smtpd_tls_cert_file": str(self.cert),
            "smtpd_tls_key_file": str(self.key),
            "smtpd_tls_auth_only": "yes",
            "smtpd_sasl_auth_enable": "yes",
            "smtpd_sasl_type": "cyrus",
            "smtpd_sasl_path": "smtpd",
            # Debian's Postfix reads <config>/sasl/smtpd.conf whatever this says; say it too.
            "cyrus_sasl_config_path": str(self.config / "sasl"),
            "smtpd_sasl_local_domain": HOSTNAME,
            "smtpd_relay_restrictions": "permit_sasl_authenticated, reject",
            # No DNS here: a reverse look-up of 127.x would only wait for a timeout.
            "smtpd_peername_lookup": "no",
            "smtpd_client_connection_count_limit": "0",
            # The next hop throws the mail away once it has been queued (and fsynced).
            "default_transport": "discard:bench",
            "relay_transport": "discard:bench",
            # Keep every process alive during the load so that its CPU stays countable.
            "max_use": "1000000",
            "max_idle": "3600s",
        }

    def write_extra(self) -> None:
        sasldb = self.config / "sasldb2"
        (self.config / "sasl").mkdir(mode=0o755)
        (self.config / "sasl" / "smtpd.conf").write_text(
            f"pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\n"
            f"sasldb_path: {sasldb}\n"
        )
        subprocess.run(
            [SASLPASSWD, "-f", str(sasldb), "-c", "-p", "-u", HOSTNAME, BENCH_USER],
            input=BENCH_PASSWORD.encode(),
            check=True,
            timeout=30,
        )
        shutil.chown(sasldb, "postfix", "postfix")
        sasldb.chmod(0o600)


def run_bare(folder: Path, env: dict[str, str], messages: int, clients: int) -> dict[str, Any]:
    port = free_port()
    command = [sys.executable, "-m", "bench.bare_smtp", str(port)]
    process = start([*command, str(folder / "cert.pem"), str(folder / "key.pem")], env)
    try:
        return measure(process.pid, port, "127.0.0.1", "x", "y", messages, clients)
    finally:
        process.terminate()
        process.wait()


def run_postfix(folder: Path, messages: int, clients: int) -> dict[str, Any]:
    postfix = PostfixSmtpd(folder / "cert.pem", folder / "key.pem")
    try:
        postfix.start()
        assert postfix.process is not None
        user, password = f"{BENCH_USER}@{HOSTNAME}", BENCH_PASSWORD
        return measure(
            postfix.process.pid, postfix.port, postfix.address, user, password, messages, clients
        )
    finally:
        postfix.stop()


def run_sealgate(
    folder: Path, env: dict[str, str], messages: int, clients: int, processes: int
) -> dict[str, Any]:
    folder = folder / f"sealgate-{processes}"
    folder.mkdir()
    config, user, password = prepare_sealgate(folder)
    command = [sys.executable, "-m", "sealgate", "serve", "--role", "smtp", "--config"]
    env = {**env, "SEALGATE_SUBMISSION__PROCESSES": str(processes)}
    process = start([*command, str(config)], env)
    try:
        port = int(load(config, {}).submission.listen.rpartition(":")[2])
        return measure(process.pid, port, "127.0.0.1", user, password, messages, clients)
    finally:
        process.terminate()
        process.wait()


def report(results: dict[str, dict[str, Any]], messages: int, clients: int) -> None:
    print(f"{messages} messages of 20 KB per server, {clients} STARTTLS+AUTH sessions, one run")
    print(f"{'server':<24}{'msg/s':>9}{'CPU ms/msg':>12}{'p50 ms':>9}{'p99 ms':>9}")
    for name, result in results.items():
        print(
            f"{name:<24}{result['rate']:>9.1f}{result['cpu']:>12.2f}"
            f"{result['p50']:>9.1f}{result['p99']:>9.1f}"
        )
    postfix = results["postfix 3.7 smtpd"]
    ratios: dict[str, Callable[[dict[str, Any]], float]] = {
        "rate": lambda r: r["rate"] / postfix["rate"],
        "cpu": lambda r: r["cpu"] / postfix["cpu"],
        "p99": lambda r: r["p99"] / postfix["p99"],
    }
    for name, result in results.items():
        print(
            f"{name} vs postfix: msg/s {ratios['rate'](result):.2f}x, "
            f"CPU/msg {ratios['cpu'](result):.2f}x, p99 {ratios['p99'](result):.2f}x"
        )
    for name, sealgate in results.items():
        if not name.startswith("sealgate"):
            continue
        met = {
            "rate": ratios["rate"](sealgate) >= GOALS["rate"],
            "cpu": ratios["cpu"](sealgate) <= GOALS["cpu"],
            "p99": ratios["p99"](sealgate) <= GOALS["p99"],
        }
        print(
            f"{name} goals (msg/s >= 1.0x, CPU/msg <= 2x, p99 <= 2x): "
            + ", ".join(f"{goal} {'met' if ok else 'NOT met'}" for goal, ok in met.items())
        )


def median_of(rounds: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per server and figure, the median over the rounds (the host is shared and noisy)."""
    return {
        name: {
            figure: statistics.median(r[name][figure] for r in rounds) for figure in rounds[0][name]
        }
        for name in rounds[0]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1600)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1, help="repeat, report the medians")
    parser.add_argument("--quick", action="store_true", help="a short run (640 messages)")
    parser.add_argument(
        "--processes",
        type=int,
        nargs="+",
        default=[1, 2],
        help="sealgate runs, one per [submission] processes count",
    )
    args = parser.parse_args()
    messages = 640 if args.quick else args.messages
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEALGATE_")}
    rounds: list[dict[str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory() as temporary:
        for number in range(args.rounds):
            folder = Path(temporary) / f"round-{number}"
            folder.mkdir()
            write_self_signed(folder / "cert.pem", folder / "key.pem", "localhost")
            results: dict[str, dict[str, Any]] = {}
            results["bare aiosmtpd"] = run_bare(folder, env, messages, args.clients)
            results["postfix 3.7 smtpd"] = run_postfix(folder, messages, args.clients)
            for count in args.processes:
                name = f"sealgate (SQLite, {count}p)"
                results[name] = run_sealgate(folder, env, messages, args.clients, count)
            rounds.append(results)
            if args.rounds > 1:
                print(f"round {number + 1}:")
                report(results, messages, args.clients)
    if args.rounds > 1:
        print(f"median of {args.rounds} rounds:")
    report(median_of(rounds), messages, args.clients)


if __name__ == "__main__":
    main()

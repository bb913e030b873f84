"""Submission throughput: sealgate against a bare aiosmtpd server, measured in the same run.

N messages of 20 KB, STARTTLS + AUTH, 16 concurrent client sessions (aiosmtplib), each
session sending its share of messages. Prints messages/second and p50/p99 latency from
MAIL FROM to the final 250, for both servers, and sealgate's ratio to the baseline.
Each server runs in its own process so that it does not share a GIL with the clients.

    .venv/bin/python -m bench.submission [--messages 800] [--clients 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

from sealgate.bootstrap import open_runtime
from sealgate.config import load
from sealgate.directory import CREDENTIAL_KEY_PURPOSE, add_account, create_credential, create_org
from sealgate.submission.tls import write_self_signed
from tests.conftest import free_port

SENDER = "bench@bench.example"


def message(size: int = 20 * 1024) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = SENDER, "patient@example.org", "Benchmark"
    line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\n"
    mail.set_content(line * (size // len(line)))
    return mail.as_bytes()


async def client(
    port: int, user: str, password: str, count: int, raw: bytes, host: str = "127.0.0.1"
) -> list[float]:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    latencies = []
    async with aiosmtplib.SMTP(
        hostname=host, port=port, start_tls=True, tls_context=context, timeout=60
    ) as smtp:
        await smtp.login(user, password)
        for _ in range(count):
            started = time.perf_counter()
            await smtp.sendmail(SENDER, ["patient@example.org"], raw)
            latencies.append(time.perf_counter() - started)
    return latencies


async def load_run(
    port: int, user: str, password: str, messages: int, clients: int, host: str = "127.0.0.1"
) -> dict:
    raw = message()
    share = [messages // clients + (1 if i < messages % clients else 0) for i in range(clients)]
    started = time.perf_counter()
    results = await asyncio.gather(*(client(port, user, password, n, raw, host) for n in share))
    elapsed = time.perf_counter() - started
    latencies = sorted(x for r in results for x in r)
    return {
        "rate": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, env=env, text=True)
    for line in process.stdout:
        if "ready" in line:
            return process
    raise RuntimeError(f"{command[0]} did not start")


def prepare_sealgate(
    folder: Path, database_url: str | None = None, sections: str = ""
) -> tuple[Path, str, str]:
    """A gateway's config in `folder` (free loopback ports, a self-signed certificate, the
    database at `database_url` or SQLite in the data folder, then `sections` as TOML), its
    organisation, the sender's account and an SMTP credential: (config, user, password)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    write_self_signed(cert, key, "localhost")
    config = folder / "sealgate.toml"
    database = f'database_url = "{database_url}"\n' if database_url else ""
    config.write_text(
        f'[submission]\nlisten = "127.0.0.1:{free_port()}"\ntls_cert = "{cert}"\n'
        f'tls_key = "{key}"\n[web]\nlisten = "127.0.0.1:{free_port()}"\n'
        f'[storage]\ndata_dir = "{folder / "data"}"\n{database}{sections}'
    )
    rt = open_runtime(load(config, {}), create=True)
    with rt.db.begin() as session:
        create_org(session, "Bench", ["bench.example"])
        add_account(session, SENDER, "Bench")
        credential, password = create_credential(
            session, "Bench", key=rt.subkey(CREDENTIAL_KEY_PURPOSE)
        )
    rt.close()
    return config, credential.username, password


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=800)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEALGATE_")}
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        config, user, password = prepare_sealgate(folder)
        bare_port = free_port()
        bare = start(
            [
                sys.executable,
                "-m",
                "bench.bare_smtp",
                str(bare_port),
                str(folder / "cert.pem"),
                str(folder / "key.pem"),
            ],
            env,
        )
        try:
            baseline = asyncio.run(load_run(bare_port, "x", "y", args.messages, args.clients))
        finally:
            bare.terminate()
            bare.wait()
        gateway = start(
            [sys.executable, "-m", "sealgate", "serve", "--role", "smtp", "--config", str(config)],
            env,
        )
        try:
            port = int(load(config, {}).submission.listen.rpartition(":")[2])
            measured = asyncio.run(load_run(port, user, password, args.messages, args.clients))
        finally:
            gateway.terminate()
            gateway.wait()
    print(f"{args.messages} messages of 20 KB, {args.clients} concurrent STARTTLS+AUTH sessions")
    print(f"{'server':<22}{'msg/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name, result in (("bare aiosmtpd", baseline), ("sealgate (SQLite)", measured)):
        print(f"{name:<22}{result['rate']:>10.1f}{result['p50']:>10.1f}{result['p99']:>10.1f}")
    print(f"ratio sealgate/bare throughput: {measured['rate'] / baseline['rate']:.2f}")


if __name__ == "__main__":
    main()

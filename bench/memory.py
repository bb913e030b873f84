"""Peak memory of a large message at every stage: receive, intake, direct rewrite, direct
delivery, download.

Each stage runs in a process of its own, and its peak resident set (VmHWM in
/proc/<pid>/status, which includes the process's start-up) is what is measured:

- receive: `sealgate serve --role smtp`; this process sends the message(s) over STARTTLS +
  AUTH (ten sessions at once for the parallel run) and reads the server's VmHWM after the
  last 250;
- intake: a process that opens the runtime and runs `process_incoming` once;
- direct: a process that makes the direct-delivery mail of every message as route does
  (`MessageContext.direct_mail.render` with a link for the large attachment) and queues it
  (`delivery.queue.enqueue`, kind direct);
- delivery: a process that runs one pass of the delivery worker (`deliver_due`: read the
  queued mail, DKIM-sign it with both keys of the sender's domain, send it over SMTP) for a
  direct mail of the message's full size, i.e. one whose attachments are all under the link
  threshold, so they travel inline (`direct_message`; queued beforehand by another process,
  as route would queue it). It goes to `[delivery] relay`, a discarding SMTP server in the
  bench's own process; a direct delivery's level changes the next hop and how its TLS is
  graded, not how the mail is read and sent;
- download: a process that streams the largest attachment of every message through the
  portal's download body (`recorded_download` over `vault.stream`), ten threads at once for
  the parallel run, as Starlette's thread pool would.

The message: a short text body, one attachment of 72 % of the size (above the 10 MB link
threshold for a 50 MB message) and one of 2 %, base64 as mail programs send them. The direct
mail of the delivery stage: the same size, in attachments of 7 MB (9.5 MB as base64).
Goal (issue 13): peak <= 100 MB + 1.5 x the message for one message at every stage, and
<= 100 MB + 1.2 x the total for ten in parallel (MB = 2**20 bytes). The same run measures the
code at --baseline for the ratios: a git revision of this repository, checked out into a
temporary worktree (default: 742c603, the last commit before streaming), a src folder, or
'none'.

    .venv/bin/python -m bench.memory [--size-mb 50] [--parallel 10] [--baseline REV|PATH|none]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path

MB = 1 << 20
ROOT = Path(__file__).resolve().parent.parent
# The last commit before large messages were streamed: what the ratios compare against.
BASELINE_REVISION = "742c603"


def baseline_src(baseline: str) -> Path:
    """The src folder of `baseline`: a folder as given, else a git revision checked out
    (once) into a temporary worktree that is removed when this process ends."""
    if Path(baseline).is_dir():
        return Path(baseline)
    checkout = Path(tempfile.mkdtemp(prefix="sealgate-baseline-")) / "tree"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(checkout), baseline],
        check=True,
    )
    import atexit

    atexit.register(
        subprocess.run,
        ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(checkout)],
        check=False,
    )
    return checkout / "src"


STAGES = ("receive", "intake", "direct", "delivery", "download")
RECIPIENT = "patient@example.org"


def peak_kb(pid: int | str = "self") -> tuple[int, int]:
    """(VmHWM, VmRSS) of a process in kB."""
    return _status(pid)


def reset_peak(pid: int | str = "self") -> None:
    """Start a new peak: Linux sets VmHWM to the current RSS (clear_refs, value 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def _status(pid: int | str) -> tuple[int, int]:
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            found[key] = int(value.split()[0])
    return found["VmHWM"], found["VmRSS"]


def message(size: int, seed: int) -> bytes:
    """A message of about `size` bytes: text, one large and one small attachment."""
    from bench.submission import SENDER

    rng = random.Random(seed)
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = SENDER, "patient@example.org", "Scans"
    mail.set_content("Dear patient,\nthe scans are attached.\n")
    large, small = int(size * 0.72), int(size * 0.02)
    mail.add_attachment(rng.randbytes(large), "application", "dicom", filename="scan.dcm")
    mail.add_attachment(rng.randbytes(small), "application", "pdf", filename="letter.pdf")
    return mail.as_bytes().replace(b"\n", b"\r\n")


def direct_message(size: int, seed: int) -> bytes:
    """A message of about `size` bytes whose attachments all travel inline in a direct
    delivery (each under the 10 MB link threshold): its direct mail is itself."""
    from bench.submission import SENDER

    rng = random.Random(seed)
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = SENDER, RECIPIENT, "Scans, inline"
    mail.set_content("Dear patient,\nthe scans are attached.\n")
    left, number = int(size * 0.74), 0
    while left > 0:
        part = min(left, 7 * MB)
        number += 1
        mail.add_attachment(rng.randbytes(part), "application", "dicom", filename=f"{number}.dcm")
        left -= part
    return mail.as_bytes().replace(b"\n", b"\r\n")


class DropSink(socketserver.ThreadingTCPServer):
    """An SMTP server on loopback that counts what DATA brings and keeps none of it."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _DropSession)
        self.sizes: list[int] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class _DropSession(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        reply = self.wfile.write
        reply(b"220 drop ESMTP\r\n")
        for line in iter(self.rfile.readline, b""):
            verb = line[:4].upper()
            if verb == b"EHLO":
                reply(b"250-drop\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
            elif verb == b"DATA":
                reply(b"354 go ahead\r\n")
                size = 0
                for data_line in iter(self.rfile.readline, b""):
                    if data_line == b".\r\n":
                        break
                    size += len(data_line)
                assert isinstance(self.server, DropSink)
                self.server.sizes.append(size)
                reply(b"250 2.0.0 dropped\r\n")
            elif verb == b"QUIT":
                reply(b"221 bye\r\n")
                return
            else:
                reply(b"250 ok\r\n")


# Child processes: one stage each, printing one JSON line.


def _runtime(config: str):  # noqa: ANN202 - the runtime of the code under test
    from sealgate.bootstrap import open_runtime
    from sealgate.config import load

    return open_runtime(load(Path(config), {}))


def stage_intake(config: str) -> dict:
    from sealgate.intake import process_incoming

    rt = _runtime(config)
    idle = peak_kb()[1]
    reset_peak()
    done = process_incoming(rt)
    rt.close()
    return {"done": done, "idle_kb": idle}


def _contexts(rt):  # noqa: ANN001, ANN202
    from sqlalchemy import select

    from sealgate.route.rows import MessageContext
    from sealgate.store import Message, Submission

    with rt.db.begin() as session:
        rows = session.execute(
            select(Message, Submission).join(Submission, Message.submission_id == Submission.id)
        ).all()
        session.expunge_all()
    return [MessageContext(rt, rt.vault, m, s, None) for m, s in rows]  # type: ignore[arg-type]


def _queue_direct(rt, mail: bytes | bytearray) -> None:  # noqa: ANN001
    """Queue `mail` as route queues a direct mail (to the relay: no level, see above)."""
    from datetime import timedelta

    from bench.submission import SENDER
    from sealgate.delivery.queue import enqueue
    from sealgate.store import utcnow

    # Older trees' enqueue takes bytes only; a copy there, as their route made one too.
    mail = mail if isinstance(mail, bytes) else bytes(mail)
    with rt.db.begin(write=True) as session:
        enqueue(
            session,
            rt.vault,
            kind="direct",
            mail=mail,
            mail_from=SENDER,
            rcpt_to=RECIPIENT,
            now=utcnow(),
            expiry=timedelta(days=1),
        )


def stage_direct(config: str) -> dict:
    rt = _runtime(config)
    idle = peak_kb()[1]
    reset_peak()
    sizes = []
    for ctx in _contexts(rt):
        mail = ctx.direct_mail.render("https://portal.example/m/abc", None)
        sizes.append(len(mail))
        _queue_direct(rt, mail)
        if hasattr(ctx, "release_content"):  # route's batch lets go of each message's content
            ctx.release_content()
        del mail, ctx
    rt.close()
    return {"idle_kb": idle, "mail_sizes": sizes}


def queue_main(config: str, files: list[str]) -> None:
    """Replace the queue with the full-size direct mails in `files` (not measured)."""
    from sqlalchemy import delete

    from sealgate.store import OutboundJob

    rt = _runtime(config)
    with rt.db.begin(write=True) as session:
        session.execute(delete(OutboundJob))
    for file in files:
        _queue_direct(rt, Path(file).read_bytes())
    rt.close()
    print(json.dumps({"queued": len(files)}))


def stage_delivery(config: str) -> dict:
    from sqlalchemy import select

    from sealgate.delivery import deliver_due
    from sealgate.store import OutboundJob

    rt = _runtime(config)
    idle = peak_kb()[1]
    reset_peak()
    tried = asyncio.run(deliver_due(rt))
    with rt.db.begin() as session:
        states = sorted(session.scalars(select(OutboundJob.state)))
    rt.close()
    return {"idle_kb": idle, "tried": tried, "states": states}


def stage_download(config: str) -> dict:
    from sqlalchemy import select

    from sealgate.intake import ReadableMessage
    from sealgate.portal.proof import recorded_download
    from sealgate.store import Message, Recipient

    rt = _runtime(config)
    idle = peak_kb()[1]
    reset_peak()
    with rt.db.begin() as session:
        targets = []
        for message_row in session.scalars(select(Message)):
            readable = ReadableMessage.from_json(rt.vault.get_bytes(message_row.content_blob_id))
            index = max(
                range(len(readable.attachments)), key=lambda i: readable.attachments[i].size
            )
            recipient = session.scalars(
                select(Recipient.id).where(Recipient.message_id == message_row.id)
            ).first()
            targets.append((recipient, index, readable.attachments[index].blob_id))
    sizes: list[int] = []

    def download(recipient: str, index: int, blob_id: str) -> None:
        body = recorded_download(rt, recipient, index, rt.vault.stream(blob_id), via="link")
        sizes.append(sum(len(chunk) for chunk in body))

    threads = [threading.Thread(target=download, args=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rt.close()
    return {"idle_kb": idle, "sizes": sizes}


def child_main(stage: str, config: str) -> None:
    stages = {
        "intake": stage_intake,
        "direct": stage_direct,
        "delivery": stage_delivery,
        "download": stage_download,
    }
    result = stages[stage](config)
    result["peak_kb"] = peak_kb()[0]
    print(json.dumps(result), flush=True)


# The parent: prepares a gateway per code tree and runs the stages.


def _env(src: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEALGATE_")}
    env["PYTHONPATH"] = f"{src}{os.pathsep}{ROOT}"
    return env


def _child(env: dict[str, str], *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.memory", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"bench.memory {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def prepare_main(folder: str, max_size: int, relay: str) -> None:
    from bench.submission import prepare_sealgate

    sections = f'[delivery]\nrelay = "{relay}"\n'
    config, user, password = prepare_sealgate(Path(folder), sections=sections)
    text = config.read_text().replace(
        "[submission]\n", f"[submission]\nmax_message_size = {max_size}\n", 1
    )
    config.write_text(text)
    print(json.dumps({"config": str(config), "user": user, "password": password}))


async def _send(
    port: int, user: str, password: str, raws: list[bytes], server_pid: int, auth_peak: list[int]
) -> list[str]:
    import ssl

    import aiosmtplib

    from bench.submission import SENDER

    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE

    logged_in = asyncio.Barrier(len(raws) + 1)

    async def one(raw: bytes) -> str:
        async with aiosmtplib.SMTP(
            hostname="127.0.0.1", port=port, start_tls=True, tls_context=context, timeout=600
        ) as smtp:
            await smtp.login(user, password)
            await logged_in.wait()
            await logged_in.wait()  # the peak is reset between the two
            _, reply = await smtp.sendmail(SENDER, ["patient@example.org"], raw)
            return reply

    async def all_of() -> list[str]:
        sessions = asyncio.gather(*(one(raw) for raw in raws))
        await logged_in.wait()
        # argon2 (64 MiB per AUTH) has peaked by now: the measured peak is the messages'.
        auth_peak.append(peak_kb(server_pid)[0])
        reset_peak(server_pid)
        await logged_in.wait()
        return await sessions

    return await all_of()


def receive(env: dict[str, str], setup: dict, raws: list[bytes]) -> dict:
    from sealgate.config import load

    server = subprocess.Popen(
        [sys.executable, "-m", "sealgate", "serve", "--role", "smtp", "--config", setup["config"]],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        for line in server.stdout:
            if "ready" in line:
                break
        time.sleep(0.5)
        idle = peak_kb(server.pid)[1]
        port = int(load(Path(setup["config"]), {}).submission.listen.rpartition(":")[2])
        auth_peak: list[int] = []
        replies = asyncio.run(
            _send(port, setup["user"], setup["password"], raws, server.pid, auth_peak)
        )
        peak = peak_kb(server.pid)[0]
    finally:
        server.terminate()
        server.wait()
    return {"peak_kb": peak, "idle_kb": idle, "auth_peak_kb": auth_peak[0], "replies": replies}


def run_tree(src: Path, raws: list[bytes], max_size: int) -> dict[str, dict]:
    env = _env(src)
    results: dict[str, dict] = {}
    sink = DropSink()
    try:
        with tempfile.TemporaryDirectory() as folder:
            setup = _child(env, "prepare", folder, str(max_size), sink.address)
            results["receive"] = receive(env, setup, raws)
            for stage in STAGES[1:]:
                if stage == "delivery":
                    files = _direct_files(Path(folder), [len(raw) for raw in raws])
                    _child(env, "queue", setup["config"], *files)
                results[stage] = _child(env, "stage", stage, setup["config"])
            delivered = results["delivery"]
            if delivered["states"] != ["done"] * len(raws) or len(sink.sizes) != len(raws):
                raise RuntimeError(f"delivery stage: {delivered['states']}, {sink.sizes}")
            delivered["sent_sizes"] = sink.sizes
    finally:
        sink.shutdown()
        sink.server_close()
    return results


def _direct_files(folder: Path, sizes: list[int]) -> list[str]:
    """The delivery stage's direct mails, one file each, as large as the messages."""
    files = []
    for seed, size in enumerate(sizes):
        path = folder / f"direct-{seed}.eml"
        path.write_bytes(direct_message(size, seed))
        files.append(str(path))
    return files


def report(label: str, results: dict[str, dict], total: int, factor: float) -> bool:
    goal = 100 + factor * total / MB
    ok = True
    print(f"  {label}: goal peak <= 100 MB + {factor} x {total / MB:.1f} MB = {goal:.0f} MB")
    for stage in STAGES:
        peak = results[stage]["peak_kb"] / 1024
        idle = results[stage]["idle_kb"] / 1024
        ok &= peak <= goal
        print(
            f"    {stage:<9} peak {peak:7.1f} MB  (idle {idle:5.1f} MB, "
            f"above idle {peak - idle:7.1f} MB = {(peak - idle) * MB / total:4.2f} x)  "
            f"{'ok' if peak <= goal else 'OVER'} ({peak / goal:.2f} of goal)"
        )
        if "sent_sizes" in results[stage]:
            sent = ", ".join(f"{size / MB:.1f}" for size in results[stage]["sent_sizes"])
            print(f"              (sent over SMTP: {sent} MB)")
        if "auth_peak_kb" in results[stage]:
            auth = results[stage]["auth_peak_kb"] / 1024
            print(f"              (before DATA, after AUTH: {auth:.1f} MB)")
    return ok


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "stage":
        child_main(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "prepare":
        prepare_main(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "queue":
        queue_main(sys.argv[2], sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=50.0, help="size of each message")
    parser.add_argument("--parallel", type=int, default=10, help="messages in the parallel run")
    parser.add_argument(
        "--baseline",
        default=BASELINE_REVISION,
        help="the code to compare with: a git revision, a src folder, or 'none'",
    )
    parser.add_argument("--only", choices=("one", "parallel"), help="run one of the two runs")
    args = parser.parse_args()
    size = int(args.size_mb * MB)
    max_size = int(max(size * 1.1, 160 * MB))
    trees = [("this branch", ROOT / "src")]
    if args.baseline != "none":
        baseline = baseline_src(args.baseline)
        if baseline.resolve() != (ROOT / "src").resolve():
            trees.append(("baseline", baseline))
    runs = [("one", 1, 1.5), ("parallel", args.parallel, 1.2)]
    all_ok = True
    for run, count, factor in runs:
        if args.only and args.only != run:
            continue
        raws = [message(size, seed) for seed in range(count)]
        total = sum(map(len, raws))
        print(f"{run}: {count} message(s) of {len(raws[0]) / MB:.1f} MB, total {total / MB:.1f} MB")
        measured = {}
        for label, src in trees:
            try:
                measured[label] = run_tree(src, raws, max_size)
            except Exception as error:  # noqa: BLE001 - the baseline may fail at this size
                print(f"  {label}: failed: {str(error).splitlines()[0][:200]}")
                continue
            ok = report(label, measured[label], total, factor)
            if label == "this branch":
                all_ok &= ok
        if len(measured) == 2:
            print("    ratio this branch / baseline (peak):")
            for stage in STAGES:
                now = measured["this branch"][stage]["peak_kb"]
                before = measured["baseline"][stage]["peak_kb"]
                change = f"{before / 1024:.0f} -> {now / 1024:.0f} MB"
                print(f"      {stage:<9} {now / before:.2f}  ({change})")
    print("goal met" if all_ok else "goal NOT met")


if __name__ == "__main__":
    main()

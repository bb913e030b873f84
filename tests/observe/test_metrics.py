"""`/metrics` parses with the Prometheus text parser and moves as mail flows, over real sockets."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from sealgate.cli.serve import serve
from sealgate.config import split_hostport
from tests.conftest import make_settings
from tests.e2e.mailflow import Browser, follow, link_in, parse, running_gateway, send

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse_metrics(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(base_url: str) -> Samples:
    async with httpx.AsyncClient(timeout=20) as client:
        response = await client.get(f"{base_url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return parse_metrics(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


@pytest.fixture
async def gateway(tmp_path, database_url, tls_files, sink, sender):
    settings = make_settings(
        tmp_path, database_url, tls_files, SEALGATE_DELIVERY__RELAY=f"127.0.0.1:{sink.port}"
    )
    async with running_gateway(settings) as rt:
        yield rt


async def wait_until(check, timeout: float = 20.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


def refused_mail_from(port: int, username: str, password: str) -> int:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.starttls(context=context)
        smtp.login(username, password)
        code, _ = smtp.mail("mallory@elsewhere.example")
    return code


async def test_metrics_move_as_mail_flows(gateway, sink, sender, caplog):
    caplog.set_level(logging.INFO, logger="sealgate")
    base = gateway.settings.web.base_url
    before = await scrape(base)
    assert (
        "sealgate_queue_items",
        frozenset({("queue", "outbound_jobs"), ("state", "deferred")}),
    ) in before
    await send(
        gateway,
        sender,
        "quinn@example.org",
        "Scan report",
        zivver_access_right="quinn@example.org access-code 4711-xy",
    )

    async def notified() -> bool:
        return any(b"Secure message" in m.content for m in sink.messages)

    await wait_until(notified)

    async def delivered() -> bool:
        now = await scrape(base)
        return (
            moved(
                before,
                now,
                "sealgate_deliveries_total",
                kind="notification",
                level="any",
                outcome="delivered",
            )
            == 1
        )

    await wait_until(delivered)
    after_mail = await scrape(base)
    accepted = {"command": "DATA", "code": "250", "outcome": "accepted"}
    assert moved(before, after_mail, "sealgate_submissions_total", **accepted) == 1
    assert moved(before, after_mail, "sealgate_submission_seconds_count", outcome="accepted") == 1
    assert (
        moved(before, after_mail, "sealgate_decisions_total", method="access_right_access_code")
        == 1
    )
    assert moved(before, after_mail, "sealgate_delivery_seconds_count", kind="notification") == 1
    # Everything was delivered: the gauges, read from the database, say nothing waits.
    waiting = value(after_mail, "sealgate_queue_items", queue="outbound_jobs", state="incoming")
    assert waiting == 0
    assert (
        "sealgate_queue_oldest_seconds",
        frozenset({("queue", "submissions"), ("state", "incoming")}),
    ) in after_mail

    note = next(m for m in sink.messages if b"Secure message" in m.content)
    link = link_in(parse(note.content))
    token = link.rsplit("/", 1)[1]
    async with httpx.AsyncClient(timeout=20) as client:
        browser = Browser(client)
        landing = await browser.request("GET", link)
        wrong = await follow(browser, await browser.submit_form(landing, access_code="0000"))
        assert "wrong" in wrong.text.lower()
        page = await follow(browser, await browser.submit_form(wrong, access_code="4711-xy"))
        assert "Scan report" in page.text
    after_portal = await scrape(base)
    proof = {"proof": "access_code"}
    assert (
        moved(
            after_mail,
            after_portal,
            "sealgate_portal_verifications_total",
            **proof,
            outcome="failed",
        )
        == 1
    )
    assert (
        moved(
            after_mail,
            after_portal,
            "sealgate_portal_verifications_total",
            **proof,
            outcome="verified",
        )
        == 1
    )
    assert (
        moved(
            after_mail,
            after_portal,
            "sealgate_portal_requests_total",
            method="GET",
            route="/m/{token}",
            status="200",
        )
        == 2  # the landing page, and again after the wrong code's redirect
    )
    assert (
        moved(
            after_mail,
            after_portal,
            "sealgate_portal_request_seconds_count",
            route="/m/{token}/read",
        )
        >= 1
    )

    port = split_hostport(gateway.settings.submission.listen)[1]
    code = await asyncio.to_thread(refused_mail_from, port, sender.username, sender.password)
    assert code == 550
    refused = await scrape(base)
    assert (
        moved(
            after_portal,
            refused,
            "sealgate_submissions_total",
            command="MAIL",
            code="550",
            outcome="refused",
        )
        == 1
    )

    # The request log names the route template: the link token is in no log event.
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("sealgate")]
    assert any(line.startswith("GET /m/{token} 200") for line in logged)
    assert not [line for line in logged if token in line]
    assert not [line for line in logged if "4711-xy" in line or "Scan report" in line]


async def test_queue_gauges_count_waiting_rows_from_the_database(
    tmp_path, database_url, tls_files, sender, runtime
):
    """No worker runs: the submission waits in `incoming`, and the gauge (read at scrape
    time from the database, not from a counter) says so, with its age."""
    stop = asyncio.Event()
    task = asyncio.create_task(serve(runtime, ("smtp", "web"), stop))
    await asyncio.sleep(0.3)
    try:
        await send(runtime, sender, "pat@example.org", "Waiting")
        await asyncio.sleep(0.2)
        samples = await scrape(runtime.settings.web.base_url)
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
    labels = {"queue": "submissions", "state": "incoming"}
    assert value(samples, "sealgate_queue_items", **labels) == 1
    assert value(samples, "sealgate_queue_oldest_seconds", **labels) > 0
    assert value(samples, "sealgate_queue_items", queue="outbound_jobs", state="deferred") == 0

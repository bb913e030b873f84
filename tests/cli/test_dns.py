"""CLI contract of dns-records and dns-check, checked against a real DNS server on loopback."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from sealgate.config import Settings
from sealgate.directory import create_org
from tests.cli.test_admin import Result, sealgate
from tests.delivery.dns_zone import DnsZone

GATEWAY_HOST = "mail.gateway.example"


@pytest.fixture
def cli(settings: Settings, runtime, sender, zone: DnsZone, tmp_path: Path):
    """`sealgate ARGS --config FILE` on the runtime holding org Hospital, asking `zone`.

    The CLI blocks on DNS while the zone answers in this event loop: run it in a thread.
    """
    config = tmp_path / "sealgate.toml"
    config.write_text(
        "[storage]\n"
        f"data_dir = {json.dumps(settings.storage.data_dir)}\n"
        f"database_url = {json.dumps(settings.database_url)}\n"
        "[delivery]\n"
        f'helo_name = "{GATEWAY_HOST}"\n'
        "[transport]\n"
        f'resolver = "127.0.0.1:{zone.port}"\n'
    )

    async def run(*args: str) -> Result:
        return await asyncio.to_thread(sealgate, *args, "--config", str(config))

    return run


async def records_json(cli) -> list[dict[str, str]]:
    result = await cli("dns-records", "--org", "Hospital", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def publish(zone: DnsZone, records: list[dict[str, str]]) -> None:
    for record in records:
        zone.add_txt(record["name"], record["value"])


async def test_dns_records_json_lists_dkim_spf_and_dmarc_per_domain(cli, runtime) -> None:
    with runtime.db.begin() as session:
        create_org(session, "Other", ["other.example"])  # not Hospital's: not listed
    records = await records_json(cli)
    assert all(set(r) == {"domain", "name", "type", "value", "purpose"} for r in records)
    assert {r["domain"] for r in records} == {"hospital.example"}
    dkim_records = [r for r in records if r["purpose"] == "dkim"]
    assert [r["name"].split(".", 1)[1] for r in dkim_records] == ["_domainkey.hospital.example"] * 2
    assert dkim_records[0]["value"].startswith("v=DKIM1; k=ed25519; p=")
    assert dkim_records[1]["value"].startswith("v=DKIM1; k=rsa; p=")
    assert dkim_records[0]["name"].endswith("e._domainkey.hospital.example")
    assert dkim_records[1]["name"].endswith("r._domainkey.hospital.example")
    [spf] = [r for r in records if r["purpose"] == "spf"]
    assert (spf["name"], spf["value"]) == ("hospital.example", f"v=spf1 a:{GATEWAY_HOST} ~all")
    [dmarc] = [r for r in records if r["purpose"] == "dmarc"]
    assert dmarc["name"] == "_dmarc.hospital.example"
    assert dmarc["value"].startswith("v=DMARC1; p=quarantine; rua=mailto:")
    assert all(r["type"] == "TXT" for r in records)


async def test_dns_records_are_stable_across_runs(cli) -> None:
    assert await records_json(cli) == await records_json(cli)


async def test_dns_records_text_is_zone_file_lines_with_split_strings(cli) -> None:
    records = await records_json(cli)
    result = await cli("dns-records", "--org", "Hospital")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("; hospital.example\n")
    rsa = records[1]
    [line] = [line for line in text.splitlines() if line.startswith(rsa["name"] + ". IN TXT ")]
    strings = json.loads("[" + line.split(" IN TXT ", 1)[1].replace('" "', '", "') + "]")
    assert len(strings) > 1 and all(len(part) <= 255 for part in strings)
    assert "".join(strings) == rsa["value"]
    assert f'_dmarc.hospital.example. IN TXT "{records[3]["value"]}"' in text


async def test_dns_records_for_an_unknown_org_is_a_one_line_error(cli) -> None:
    result = await cli("dns-records", "--org", "Nope")
    assert result.returncode == 1
    assert result.stderr == "sealgate: error: no organisation named 'Nope'\n"


async def test_dns_check_ok_when_every_record_is_published(cli, zone: DnsZone) -> None:
    publish(zone, await records_json(cli))
    result = await cli("dns-check", "--org", "Hospital", "--json")
    assert result.returncode == 0, result.stderr
    checks = json.loads(result.stdout)
    assert [(c["purpose"], c["status"]) for c in checks] == [
        ("dkim", "ok"),
        ("dkim", "ok"),
        ("spf", "ok"),
        ("dmarc", "ok"),
    ]
    assert checks[1]["found"] == [checks[1]["value"]]  # the rsa record, reassembled


async def test_dns_check_missing_dkim_fails_with_one_line(cli, zone: DnsZone) -> None:
    records = await records_json(cli)
    publish(zone, [r for r in records if r["name"] != records[1]["name"]])
    result = await cli("dns-check", "--org", "Hospital")
    assert result.returncode == 1
    assert result.stderr == (
        f"sealgate: error: 1 of 2 DKIM records not published: {records[1]['name']} missing\n"
    )
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ok", "dkim", records[0]["name"]]
    assert lines[1].split() == ["missing", "dkim", records[1]["name"]]


async def test_dns_check_a_wrong_dkim_key_is_different(cli, zone: DnsZone) -> None:
    records = await records_json(cli)
    publish(zone, records[1:])
    zone.add_txt(
        records[0]["name"], "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
    )
    result = await cli("dns-check", "--org", "Hospital", "--json")
    assert result.returncode == 1
    assert "1 of 2 DKIM records not published" in result.stderr
    checks = json.loads(result.stdout)
    assert [c["status"] for c in checks] == ["different", "ok", "ok", "ok"]


async def test_dns_check_spf_and_dmarc_do_not_decide_the_exit_code(cli, zone: DnsZone) -> None:
    records = await records_json(cli)
    publish(zone, [r for r in records if r["purpose"] == "dkim"])
    zone.add_txt("hospital.example", "v=spf1 mx -all")
    result = await cli("dns-check", "--org", "Hospital", "--json")
    assert result.returncode == 0, result.stderr
    assert [c["status"] for c in json.loads(result.stdout)] == ["ok", "ok", "different", "missing"]


async def test_dns_check_a_dns_failure_is_an_error_not_ok(cli, zone: DnsZone) -> None:
    records = await records_json(cli)
    publish(zone, records)
    zone.servfail.add(records[0]["name"])
    result = await cli("dns-check", "--org", "Hospital")
    assert result.returncode == 1
    assert f"{records[0]['name']} error" in result.stderr


def test_init_hostname_is_the_outbound_identity(tmp_path: Path, database_url: str) -> None:
    """Issue 8 item 17: after `init --hostname gw.example` the outbound EHLO name (and so
    the DSN's Reporting-MTA) and the SPF suggestion of dns-records still said localhost."""
    from sealgate.cli.serve import helo_name_warning
    from sealgate.config import load
    from tests.conftest import TEST_DATABASE

    made = sealgate(
        "init", "--data-dir", str(tmp_path / "gw"), "--hostname", "gw.example", "--json"
    )
    assert made.returncode == 0, made.stderr
    config = Path(json.loads(made.stdout)["config"])
    if TEST_DATABASE != "sqlite":
        text = config.read_text().replace('database_url = ""', f'database_url = "{database_url}"')
        config.write_text(text)
        # init made its SQLite file; the PostgreSQL schema is made as an upgrade makes it.
        assert sealgate("migrate", "--config", str(config)).returncode == 0
    assert load(config, {}).delivery.helo_name == "gw.example"
    c = ("--config", str(config))
    assert sealgate("org", "create", "Hospital", "--domain", "hospital.example", *c).returncode == 0
    result = sealgate("dns-records", "--org", "Hospital", "--json", *c)
    assert result.returncode == 0, result.stderr
    [spf] = [record for record in json.loads(result.stdout) if record["purpose"] == "spf"]
    assert "a:gw.example" in spf["value"] and "localhost" not in spf["value"]
    assert helo_name_warning("gw.example", relay="") is None


def test_serve_warns_about_a_non_fqdn_helo_name_when_mail_goes_by_mx() -> None:
    """Issue 8 item 17: `serve` warns at start when mail goes out by MX under a name that is
    no FQDN; with a relay the relay's name is what receivers see, so no warning."""
    from sealgate.cli.serve import helo_name_warning

    for name in ("localhost", "gateway", "mx.localhost"):
        warning = helo_name_warning(name, relay="")
        assert warning is not None and "helo_name" in warning
    assert helo_name_warning("localhost", relay="127.0.0.1:25") is None

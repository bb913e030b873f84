"""`sealgate explain`: scenarios compared against the full expected JSON, and its errors.

The expected outputs are the contract later checks rely on: every field and every step of
the trace, in order. Facts come from the database (through `directory.facts`), the control
headers given with --header or in an --eml file, and transport levels from --assume-level.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from sealgate.directory import (
    add_account,
    add_contact,
    add_nta7516_domain,
    create_org,
    disable_account,
    mark_contact_opened,
    set_policy,
)
from sealgate.store import Conversation, Message, OutboundJob, Recipient, Submission
from tests.cli.conftest import write_config
from tests.cli.test_admin import Result, sealgate

ALICE = "alice@hospital.example"
PAT = "pat@example.org"


@pytest.fixture
def cli(settings, runtime, sender, tmp_path):
    config = write_config(settings, tmp_path / "sealgate.toml")

    def run(*args: str) -> Result:
        return sealgate("explain", "--config", str(config), *args)

    return run


def explain(cli, *args: str) -> dict[str, Any]:
    result = cli("--from", ALICE, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def refused(cli, *args: str) -> str:
    result = cli(*args)
    assert result.returncode == 1, result.stdout
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.stderr


def skipped(step: str, reason: str) -> dict[str, str]:
    return {"step": step, "outcome": "skipped", "reason": reason}


def applied(step: str, reason: str) -> dict[str, str]:
    return {"step": step, "outcome": "applied", "reason": reason}


def recipient(address: str, method: str, delivery: str, trace: list) -> dict[str, Any]:
    return {"address": address, "method": method, "delivery": delivery, "trace": trace}


def conversations(*groups: list[dict[str, Any]]) -> dict[str, Any]:
    return {"conversations": [{"recipients": group} for group in groups]}


# The steps most recipients skip, with the engine's reasons word for word.
def no_idd(domain: str) -> dict[str, str]:
    return skipped(
        "idd",
        f"the recipient's organisation has not enabled Inbound Direct Delivery for {domain}",
    )


NO_ACCOUNT = skipped("account", "the recipient has no account on this system")
NO_NTA7516 = skipped(
    "nta7516",
    "the sender's organisation is not NTA 7516 compliant and the recipient is neither an "
    "NTA 7516 compliant organisation on this system nor in a listed NTA 7516 domain",
)
NO_ACCESS_RIGHT = skipped("access_right", "no zivver-access-right header names this recipient")
TSC_OFF = skipped("transport_security", "the organisation's transport security compliance is off")
NO_CONTACT_SMS = skipped("contact_sms", "the contact book has no SMS entry for this recipient")
NO_CONTACT_CODE = skipped(
    "contact_access_code", "the contact book has no access code entry for this recipient"
)
EMAIL_LAST = applied(
    "email_verification",
    "the last resort: a code mailed to the recipient verifies the address",
)


def guest_trace(domain: str) -> list[dict[str, str]]:
    return [
        no_idd(domain),
        NO_ACCOUNT,
        NO_NTA7516,
        NO_ACCESS_RIGHT,
        TSC_OFF,
        NO_CONTACT_SMS,
        NO_CONTACT_CODE,
        EMAIL_LAST,
    ]


def test_plain_guest_gets_email_verification(cli):
    assert explain(cli, "--to", PAT) == conversations(
        [recipient(PAT, "email_verification", "notification", guest_trace("example.org"))]
    )


def test_account_recipient_reads_after_login(cli, runtime):
    with runtime.db.begin() as session:
        create_org(session, "Clinic", ["clinic.example"])
        add_account(session, "carol@clinic.example", "Clinic")
    account = applied(
        "account",
        "the recipient has an account on this system and reads the message after logging in; "
        "no later rule can change that",
    )
    assert explain(cli, "--to", "carol@clinic.example") == conversations(
        [
            recipient(
                "carol@clinic.example",
                "account",
                "notification",
                [no_idd("clinic.example"), account],
            )
        ]
    )


def test_nta7516_when_both_sides_are_compliant(cli, runtime):
    with runtime.db.begin() as session:
        set_policy(session, "Hospital", nta7516=True)
        add_nta7516_domain(session, "lab.example")
        create_org(session, "Clinic", ["clinic.example"])
        set_policy(session, "Clinic", nta7516=True)
    nta7516 = applied(
        "nta7516",
        "the sender's organisation and the recipient are both NTA 7516 compliant; delivery "
        "needs at least PKIX on the connection at delivery time",
    )
    assert explain(cli, "--to", "x@lab.example", "--cc", "y@clinic.example") == conversations(
        [
            recipient(
                "x@lab.example", "nta7516", "direct", [no_idd("lab.example"), NO_ACCOUNT, nta7516]
            ),
            recipient(
                "y@clinic.example",
                "nta7516",
                "direct",
                [no_idd("clinic.example"), NO_ACCOUNT, nta7516],
            ),
        ]
    )


def test_nta7516_needs_the_sender_side_too(cli, runtime):
    with runtime.db.begin() as session:
        add_nta7516_domain(session, "lab.example")
    decided = explain(cli, "--to", "x@lab.example")
    only = decided["conversations"][0]["recipients"][0]
    assert only["method"] == "email_verification"
    assert only["trace"][2]["outcome"] == "skipped"


def test_access_right_headers_sms_and_access_code(cli):
    decided = explain(
        cli,
        "--to", PAT,
        "--to", "q@example.org",
        "--header", f"zivver-access-right: {PAT} sms 06 12345678",
        "--header", "Zivver-Access-Right: Q@example.org sharedAccessCode tulip 42",
    )  # fmt: skip
    before = [no_idd("example.org"), NO_ACCOUNT, NO_NTA7516]
    assert decided == conversations(
        [
            recipient(
                PAT,
                "access_right_sms",
                "notification",
                [
                    *before,
                    applied(
                        "access_right",
                        "the zivver-access-right header asks for an SMS code to the phone "
                        "number it gives",
                    ),
                ],
            ),
            recipient(
                "q@example.org",
                "access_right_access_code",
                "notification",
                [
                    *before,
                    applied("access_right", "the zivver-access-right header gives an access code"),
                ],
            ),
        ]
    )


def test_access_right_for_a_method_the_org_disabled_is_skipped(cli, runtime):
    with runtime.db.begin() as session:
        set_policy(session, "Hospital", sms=False)
    decided = explain(cli, "--to", PAT, "--header", f"zivver-access-right: {PAT} sms 0612345678")
    trace = decided["conversations"][0]["recipients"][0]["trace"]
    assert trace[3] == skipped(
        "access_right",
        "the zivver-access-right header asks for an SMS code to the phone number it gives, "
        "but the organisation's policy disabled SMS codes",
    )
    assert decided["conversations"][0]["recipients"][0]["method"] == "email_verification"


def test_contact_sms_applies_only_once_opened(cli, runtime):
    with runtime.db.begin() as session:
        entry = add_contact(session, "Hospital", PAT, phone="0612345678")
    not_opened = skipped(
        "contact_sms",
        "the contact book has an SMS entry for this recipient, but the recipient has not yet "
        "opened a message with it",
    )
    # The steps before the contact book are the guest's.
    before = guest_trace("example.org")[:5]
    assert explain(cli, "--to", PAT) == conversations(
        [
            recipient(
                PAT,
                "email_verification",
                "notification",
                [*before, not_opened, NO_CONTACT_CODE, EMAIL_LAST],
            )
        ]
    )
    with runtime.db.begin() as session:
        mark_contact_opened(session, entry.id, datetime(2025, 1, 1))
    opened = applied(
        "contact_sms",
        "the contact book has an SMS entry for this recipient and the recipient once opened a "
        "message with it",
    )
    assert explain(cli, "--to", PAT) == conversations(
        [recipient(PAT, "sms", "notification", [*before, opened])]
    )


def test_transport_security_with_an_assumed_level(cli, runtime):
    with runtime.db.begin() as session:
        set_policy(session, "Hospital", tsc="pkix")
    tsc = applied(
        "transport_security",
        "the organisation's transport security minimum is PKIX and the mail servers of "
        "example.org reach PKIX",
    )
    assert explain(cli, "--to", PAT, "--assume-level", "example.org=pkix") == conversations(
        [
            recipient(
                PAT,
                "transport_security",
                "direct",
                [no_idd("example.org"), NO_ACCOUNT, NO_NTA7516, NO_ACCESS_RIGHT, tsc],
            )
        ]
    )
    below = explain(cli, "--to", PAT, "--assume-level", "Example.org=tls")
    assert below["conversations"][0]["recipients"][0]["trace"][4] == skipped(
        "transport_security",
        "the organisation's transport security minimum is PKIX, but the mail servers of "
        "example.org reach TLS",
    )


def test_direct_delivery_below_minimum_without_permission_is_not_delivered(cli):
    below = "the mail servers of example.org reach TLS"
    decided = explain(
        cli,
        "--to", PAT,
        "--assume-level", "example.org=tls",
        "--header", "zivver-direct-delivery: tls tls1.2 auth certificate-validation",
    )  # fmt: skip
    assert decided == conversations(
        [
            recipient(
                PAT,
                "none",
                "none",
                [
                    no_idd("example.org"),
                    NO_ACCOUNT,
                    NO_NTA7516,
                    skipped(
                        "direct_delivery",
                        f"zivver-direct-delivery asks for at least PKIX, but {below}",
                    ),
                    NO_ACCESS_RIGHT,
                    TSC_OFF,
                    NO_CONTACT_SMS,
                    NO_CONTACT_CODE,
                    skipped(
                        "email_verification",
                        "fallback prevented: the verification code mail would travel below the "
                        f"zivver-direct-delivery minimum PKIX ({below}), and no "
                        "zivver-minimum-recipient-verification: email-verification header "
                        "permits it",
                    ),
                    applied(
                        "none",
                        "no verification method is left, so the message is not delivered to "
                        "this recipient and the sender gets a delivery failure report",
                    ),
                ],
            )
        ]
    )


def test_direct_delivery_header_is_a_floor_for_transport_security(cli, runtime):
    """Issue 8 item 19, SPEC.md "Direct delivery": the org delivers directly at TLS, but a
    zivver-direct-delivery header asking for PKIX raises that floor for this message; the
    trace names the reason and the message is not delivered directly at TLS."""
    with runtime.db.begin() as session:
        set_policy(session, "Hospital", tsc="tls")
    below = "the mail servers of example.org reach TLS"
    without = explain(cli, "--to", PAT, "--assume-level", "example.org=tls")
    assert without["conversations"][0]["recipients"][0]["method"] == "transport_security"
    decided = explain(
        cli,
        "--to", PAT,
        "--assume-level", "example.org=tls",
        "--header", "zivver-direct-delivery: tls tls1.2 auth certificate-validation",
        "--header", "zivver-minimum-recipient-verification: email-verification",
    )  # fmt: skip
    [pat] = decided["conversations"][0]["recipients"]
    assert (pat["method"], pat["delivery"]) == ("email_verification", "notification")
    assert pat["trace"][5] == skipped(
        "transport_security",
        f"the organisation's transport security minimum is TLS, but {below}, below the "
        "zivver-direct-delivery minimum PKIX, which no direct delivery of this message may "
        "go under",
    )
    text = cli("--from", ALICE, "--to", PAT, "--assume-level", "example.org=tls",
               "--header", "zivver-direct-delivery: tls tls1.2")  # fmt: skip
    assert text.returncode == 0, text.stderr
    assert "below the zivver-direct-delivery minimum PKIX" in text.stdout


def test_direct_delivery_met_and_fallback_permitted(cli):
    met = explain(
        cli,
        "--to", PAT,
        "--assume-level", "example.org=dane",
        "--header", "zivver-direct-delivery: tls tls1.2",
    )  # fmt: skip
    assert met == conversations(
        [
            recipient(
                PAT,
                "direct_delivery",
                "direct",
                [
                    no_idd("example.org"),
                    NO_ACCOUNT,
                    NO_NTA7516,
                    applied(
                        "direct_delivery",
                        "zivver-direct-delivery asks for at least PKIX and the mail servers of "
                        "example.org reach DANE",
                    ),
                ],
            )
        ]
    )
    permitted = explain(
        cli,
        "--to", PAT,
        "--assume-level", "example.org=tls",
        "--header", "zivver-direct-delivery: tls tls1.2",
        "--header", "zivver-minimum-recipient-verification: email-verification",
    )  # fmt: skip
    only = permitted["conversations"][0]["recipients"][0]
    assert (only["method"], only["delivery"]) == ("email_verification", "notification")


def test_each_bcc_gets_its_own_conversation(cli):
    decided = explain(
        cli,
        "--to",
        PAT,
        "--cc",
        "q@example.org",
        "--bcc",
        "b1@example.net",
        "--bcc",
        "b2@x.example",
    )
    assert decided == conversations(
        [
            recipient(PAT, "email_verification", "notification", guest_trace("example.org")),
            recipient(
                "q@example.org", "email_verification", "notification", guest_trace("example.org")
            ),
        ],
        [
            recipient(
                "b1@example.net", "email_verification", "notification", guest_trace("example.net")
            )
        ],
        [recipient("b2@x.example", "email_verification", "notification", guest_trace("x.example"))],
    )


def test_eml_file_gives_from_recipients_and_control_headers(cli, tmp_path):
    eml = tmp_path / "message.eml"
    eml.write_bytes(
        b"From: Alice <alice@hospital.example>\r\n"
        b"To: Pat <pat@example.org>\r\n"
        b"Cc: q@example.org\r\n"
        b"Bcc: b@example.net\r\n"
        b"zivver-access-right: q@example.org access-code 123456\r\n"
        b"Subject: results\r\n\r\nbody\r\n"
    )
    result = cli("--eml", str(eml), "--bcc", "extra@example.com", "--json")
    assert result.returncode == 0, result.stderr
    decided = json.loads(result.stdout)["conversations"]
    summary = [[(r["address"], r["method"]) for r in c["recipients"]] for c in decided]
    assert summary == [
        [(PAT, "email_verification"), ("q@example.org", "access_right_access_code")],
        [("b@example.net", "email_verification")],
        [("extra@example.com", "email_verification")],
    ]


def test_text_output_is_a_readable_table(cli):
    result = cli("--from", ALICE, "--to", PAT, "--bcc", "b@example.net")
    assert result.returncode == 0, result.stderr
    assert "Conversation 1" in result.stdout and "Conversation 2" in result.stdout
    assert f"{PAT}: email_verification (notification)" in result.stdout


def test_nothing_is_stored(cli, runtime):
    explain(cli, "--to", PAT, "--header", f"zivver-access-right: {PAT} sms 0612345678")
    with runtime.db.begin() as session:
        for table in (Submission, Message, Conversation, Recipient, OutboundJob):
            assert session.scalar(select(func.count()).select_from(table)) == 0


@pytest.mark.parametrize(
    "args, reason",
    [
        (
            ["--header", "zivver-access-right: other@example.org sms 0612345678"],
            "The zivver-access-right header for other@example.org names an address that is not "
            "a recipient of this message.",
        ),
        (
            ["--header", f"zivver-access-right: {PAT} sms 12"],
            f"The zivver-access-right header for {PAT} has a phone number that is not a valid",
        ),
        (
            ["--header", f"zivver-access-right: {PAT} access-code"],
            f"The zivver-access-right header for {PAT} has an empty access code.",
        ),
        (
            [
                "--header", f"zivver-access-right: {PAT} access-code aaaaaa",
                "--header", f"zivver-access-right: {PAT} access-code bbbbbb",
            ],
            "Two zivver-access-right headers for pat@example.org conflict",
        ),
        (
            ["--header", f"zivver-access-right: {PAT} sharedAccessCode 1"],
            "has an access code shorter than the organisation's minimum of 6 characters",
        ),
        (["--header", "Subject: hello"], "NAME one of"),
        (["--header", "no colon"], "expected \"NAME: VALUE\""),
        (["--assume-level", "example.org"], "expected DOMAIN=LEVEL"),
        (["--assume-level", "example.org=ssl"], "unknown transport level 'ssl'"),
        (["--assume-level", "exa mple.org=tls"], "not a domain name"),
    ],
)  # fmt: skip
def test_invalid_input_exits_non_zero_with_one_line(cli, args, reason):
    assert reason in refused(cli, "--from", ALICE, "--to", PAT, *args)


def test_sender_must_be_an_active_account(cli, runtime):
    assert "not an active account" in refused(cli, "--from", "eve@hospital.example", "--to", PAT)
    with runtime.db.begin() as session:
        disable_account(session, ALICE)
    assert "not an active account" in refused(cli, "--from", ALICE, "--to", PAT)


def test_recipients_and_sender_are_required(cli):
    assert "no recipients" in refused(cli, "--from", ALICE)
    assert "give --from" in refused(cli, "--to", PAT)
    assert "not an email address" in refused(cli, "--from", ALICE, "--to", "nobody")
    assert "--eml" in refused(cli, "--from", ALICE, "--eml", "/nonexistent/x.eml")


def test_probe_takes_real_levels_where_none_are_assumed(
    settings, runtime, sender, tmp_path, transport_world
) -> None:
    config = write_config(settings, tmp_path / "probe.toml")
    with runtime.db.begin() as session:
        set_policy(session, "Hospital", tsc="pkix")
    env = {
        "SEALGATE_TRANSPORT__RESOLVER": transport_world.resolver,
        "SEALGATE_TRANSPORT__CA_FILE": transport_world.ca_file,
    }
    args = ["explain", "--config", str(config), "--from", ALICE, "--to", "ann@pkix.lab"]
    args += ["--to", "ben@selfsigned.lab", "--assume-level", "selfsigned.lab=dane", "--json"]

    def methods(*extra: str) -> list[str]:
        result = sealgate(*args, *extra, env=env)
        assert result.returncode == 0, result.stderr
        (conversation,) = json.loads(result.stdout)["conversations"]
        return [recipient["method"] for recipient in conversation["recipients"]]

    assert methods() == ["email_verification", "transport_security"]
    assert methods("--probe") == ["transport_security", "transport_security"]


def test_an_assumed_level_of_an_idn_domain_reaches_its_recipients(cli, runtime):
    """--assume-level and the recipient may spell the domain in either IDNA form."""
    with runtime.db.begin() as session:
        set_policy(session, "Hospital", tsc="pkix")
    for assumed, to in (
        ("exämple.org", "zoë@xn--exmple-cua.org"),
        ("xn--exmple-cua.org", "zoë@Exämple.org"),
    ):
        trace = explain(cli, "--to", to, "--assume-level", f"{assumed}=pkix")
        step = trace["conversations"][0]["recipients"][0]["trace"][4]
        assert step == applied(
            "transport_security",
            "the organisation's transport security minimum is PKIX and the mail servers of "
            "exämple.org reach PKIX",
        ), assumed

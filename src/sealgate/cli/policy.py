"""sealgate policy show --org NAME | policy set --org NAME [--sms on|off] [...] [--tsc LEVEL]
[--access-code-min-length N] [--expiry-days N|off] [--show-subject on|off]
[--retention-days N] [--pseudonymise-days N|off] [--remember-device-days N|off]"""

from __future__ import annotations

import argparse

from sealgate.cli.common import CliError, common_options, emit, unit_of_work
from sealgate.directory import (
    EXPIRY_OFF,
    TSC_CHOICES,
    PolicyInfo,
    get_policy,
    set_policy,
)

_SWITCHES = ("sms", "access_code", "email_verification", "nta7516", "show_subject")


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("policy", help="an organisation's Email Security Policy")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser("show", parents=[common_options()], help="print the policy")
    show.add_argument("--org", required=True, help="the organisation")
    show.set_defaults(run=run_show)
    change = actions.add_parser("set", parents=[common_options()], help="change settings")
    change.add_argument("--org", required=True, help="the organisation")
    onoff = {"choices": ("on", "off"), "default": None}
    change.add_argument("--sms", **onoff, help="SMS code verification")
    change.add_argument("--access-code", **onoff, help="access code verification")
    change.add_argument("--email-verification", **onoff, help="verification email for users")
    change.add_argument(
        "--tsc", choices=TSC_CHOICES, default=None, help="Transport Security Compliance minimum"
    )
    change.add_argument("--nta7516", **onoff, help="the organisation is NTA 7516 compliant")
    change.add_argument(
        "--access-code-min-length",
        type=int,
        default=None,
        metavar="N",
        help="fewest characters an access code may have (headers and contact books)",
    )
    change.add_argument(
        "--expiry-days",
        default=None,
        metavar="N|off",
        help="days a new message's links stay open by default (off: no default expiry)",
    )
    change.add_argument(
        "--show-subject", **onoff, help="notifications show the message's subject (default off)"
    )
    change.add_argument(
        "--retention-days",
        type=int,
        default=None,
        metavar="N",
        help="days a message's content is kept after its last recipient is finished",
    )
    change.add_argument(
        "--pseudonymise-days",
        default=None,
        metavar="N|off",
        help="days after its content is deleted that a message's rows are pseudonymised",
    )
    change.add_argument(
        "--remember-device-days",
        default=None,
        metavar="N|off",
        help="days a guest's browser may skip the proof after 'remember this device' "
        "(1 to 30; off, the default: guests prove themselves every time)",
    )
    change.set_defaults(run=run_set)


def _days_or_off(value: str | None, option: str) -> int | str | None:
    """A `N|off` option as set_policy takes it: a whole number of days or EXPIRY_OFF."""
    if value is None:
        return None
    value = value.strip().lower()
    if value == EXPIRY_OFF:
        return EXPIRY_OFF
    if not value.isascii() or not value.isdigit():
        raise CliError(f"{option} {value!r} is not a whole number of days or 'off'")
    return int(value)


def _text(policy: PolicyInfo) -> str:
    def word(value: bool) -> str:
        return "on" if value else "off"

    return "\n".join(
        [
            f"Email Security Policy of {policy.org}",
            f"  sms code:            {word(policy.sms)}",
            f"  access code:         {word(policy.access_code)}",
            f"  verification email:  {word(policy.email_verification)}",
            f"  transport security:  {policy.tsc}",
            f"  NTA 7516 compliant:  {word(policy.nta7516)}",
            f"  access code minimum: {policy.access_code_min_length} characters",
            f"  default expiry:      {_days(policy.expiry_days)}",
            f"  show subject:        {word(policy.show_subject)}",
            f"  content retention:   {_days(policy.retention_days)}",
            f"  pseudonymise rows:   {_days(policy.pseudonymise_days)} after content deletion",
            f"  remember device:     {_days(policy.remember_device_days)}",
        ]
    )


def _days(days: int | None) -> str:
    if days is None:
        return "off"
    return "1 day" if days == 1 else f"{days} days"


def run_show(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        policy = get_policy(session, args.org)
    emit(args, policy.to_json(), _text(policy))
    return 0


def run_set(args: argparse.Namespace) -> int:
    switches = {
        name: getattr(args, name) == "on" for name in _SWITCHES if getattr(args, name) is not None
    }
    expiry_days = _days_or_off(args.expiry_days, "--expiry-days")
    pseudonymise_days = _days_or_off(args.pseudonymise_days, "--pseudonymise-days")
    remember = _days_or_off(args.remember_device_days, "--remember-device-days")
    unchanged = (
        args.tsc,
        args.access_code_min_length,
        expiry_days,
        args.retention_days,
        pseudonymise_days,
        remember,
    )
    if not switches and all(value is None for value in unchanged):
        raise CliError(
            "policy set: nothing to change (give --sms, --access-code, --email-verification, "
            "--tsc, --nta7516, --access-code-min-length, --expiry-days, --show-subject,"
            " --retention-days, --pseudonymise-days or --remember-device-days)"
        )
    with unit_of_work(args) as session:
        policy = set_policy(
            session,
            args.org,
            tsc=args.tsc,
            access_code_min_length=args.access_code_min_length,
            expiry_days=expiry_days,
            retention_days=args.retention_days,
            pseudonymise_days=pseudonymise_days,
            remember_device_days=remember,
            **switches,
        )
    emit(args, policy.to_json(), _text(policy))
    return 0

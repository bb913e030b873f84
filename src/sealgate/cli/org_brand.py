"""sealgate org brand --org NAME [--display-name TEXT] [--logo FILE | --no-logo]
[--accent #RRGGBB] [--support TEXT] [--footer TEXT] | --show

Changes only the options given ("" resets a text or the accent to the default); every value
is checked before anything is stored, so a refused colour or logo changes nothing. The
change is recorded in the audit trail as `org.brand` (command_audit.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sealgate.cli.common import CliError, common_options, emit, unit_of_work
from sealgate.directory import MAX_LOGO_BYTES, BrandChange, BrandInfo, find_brand, set_brand
from sealgate.store import utcnow


def register(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    brand = actions.add_parser(
        "brand",
        parents=[common_options()],
        help="set or show its look: display name, logo, accent colour, support line, footer",
    )
    brand.add_argument("--org", required=True, help="the organisation")
    brand.add_argument(
        "--show", action="store_true", help="print the look as it is now (changes nothing)"
    )
    brand.add_argument(
        "--display-name", metavar="TEXT", help='the name recipients see ("" = its own name)'
    )
    logo = brand.add_mutually_exclusive_group()
    logo.add_argument(
        "--logo", metavar="FILE", help="a PNG or SVG of at most 256 KiB (SVG is sanitised)"
    )
    logo.add_argument("--no-logo", action="store_true", help="remove the logo")
    brand.add_argument(
        "--accent",
        metavar="#RRGGBB",
        help='buttons and links; needs WCAG AA contrast 4.5:1 with white ("" = default)',
    )
    brand.add_argument("--support", metavar="TEXT", help='support contact line ("" = none)')
    brand.add_argument("--footer", metavar="TEXT", help="footer text of pages and mails")
    brand.set_defaults(run=run_brand)


def _read_logo(path: str) -> bytes:
    try:
        with Path(path).open("rb") as file:
            # One byte more than allowed, so an oversize file is refused without reading it all.
            return file.read(MAX_LOGO_BYTES + 1)
    except OSError as exc:
        raise CliError(f"--logo: cannot read {path}: {exc.strerror}") from None


def brand_text(brand: BrandInfo) -> str:
    """The look as `--show` prints it, one field a line."""
    logo = (
        f"{brand.logo_type}, {brand.logo_size} bytes, sha256 {brand.logo_digest[:12]}"
        if brand.has_logo
        else "(none)"
    )
    rows = [
        ("organisation", brand.org),
        ("display name", brand.display_name or f"(none: shown as {brand.name})"),
        ("accent", brand.accent or "(default)"),
        ("logo", logo),
        ("support", brand.support or "(none)"),
        ("footer", brand.footer or "(none)"),
    ]
    return "\n".join(f"{label:<13} {value}" for label, value in rows)


def run_brand(args: argparse.Namespace) -> int:
    change = BrandChange(
        display_name=args.display_name,
        accent=args.accent,
        support=args.support,
        footer=args.footer,
        logo=_read_logo(args.logo) if args.logo else None,
        logo_filename=args.logo or "",
        remove_logo=args.no_logo,
    )
    if args.show and not change.empty:
        raise CliError("--show changes nothing: give it alone, or leave it out to change")
    with unit_of_work(args) as session:
        if args.show:
            brand = find_brand(session, args.org)
        else:
            brand = set_brand(session, args.org, change, utcnow())
            # The audit entry (written at the commit, from `args`) names the stored logo.
            if change.logo is not None:
                args.logo_sha256 = brand.logo_digest
    emit(args, brand.to_json(), brand_text(brand))
    return 0

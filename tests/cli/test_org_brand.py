"""CLI contract of `sealgate org brand --org NAME …` and `--show`: text, --json, refusals with
one line and a non-zero exit, and the audit entry of every change."""

from __future__ import annotations

import json
from pathlib import Path

from sealgate.audit import entries
from sealgate.bootstrap import Runtime
from sealgate.directory import find_brand, stored_logo
from tests.cli.test_policy import ok, refused
from tests.directory.brand_files import CLEAN_SVG, HOSTILE_SVGS, png

NEUTRAL = {
    "org": "Hospital",
    "display_name": "",
    "name_shown": "Hospital",
    "accent": None,
    "support": "",
    "footer": "",
    "logo": None,
}


def test_show_before_anything_is_set(cli) -> None:
    assert ok(cli, "org", "brand", "--org", "Hospital", "--show") == NEUTRAL
    text = cli("org", "brand", "--org", "Hospital", "--show")
    assert text.returncode == 0
    assert text.stdout.splitlines() == [
        "organisation  Hospital",
        "display name  (none: shown as Hospital)",
        "accent        (default)",
        "logo          (none)",
        "support       (none)",
        "footer        (none)",
    ]


def test_set_every_field_then_show(cli, runtime: Runtime, tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(png())
    result = ok(cli, "org", "brand", "--org", "Hospital", "--display-name", "Ziekenhuis Noord",
                "--accent", "#0B6E4F", "--logo", str(logo), "--support",
                "Vragen? Bel 020 123 4567", "--footer", "Ziekenhuis Noord, Amsterdam")  # fmt: skip
    assert result["display_name"] == result["name_shown"] == "Ziekenhuis Noord"
    assert result["accent"] == "#0b6e4f"
    assert result["logo"]["type"] == "image/png" and result["logo"]["bytes"] == len(png())
    assert ok(cli, "org", "brand", "--org", "Hospital", "--show") == result
    # Only what is given changes; "" resets.
    changed = ok(cli, "org", "brand", "--org", "Hospital", "--support", "", "--no-logo")
    assert changed["support"] == "" and changed["logo"] is None
    assert changed["footer"] == "Ziekenhuis Noord, Amsterdam"
    assert ok(cli, "org", "brand", "--org", "Hospital", "--display-name", "")["name_shown"] == (
        "Hospital"
    )
    with runtime.db.begin() as session:
        assert find_brand(session, "Hospital").accent == "#0b6e4f"


def test_an_svg_is_stored_as_its_sanitised_rewrite(cli, runtime: Runtime, tmp_path: Path) -> None:
    logo = tmp_path / "logo.svg"
    logo.write_bytes(CLEAN_SVG)
    text = cli("org", "brand", "--org", "Hospital", "--logo", str(logo))
    assert text.returncode == 0, text.stderr
    assert "logo          image/svg+xml, " in text.stdout
    with runtime.db.begin() as session:
        stored = stored_logo(session, find_brand(session, "Hospital").org_id)
    assert stored is not None and b"inkscape" not in stored.content
    assert stored.content.startswith(b'<svg xmlns="http://www.w3.org/2000/svg"')


def test_refusals_are_one_line_and_change_nothing(cli, tmp_path: Path) -> None:
    hostile = tmp_path / "evil.svg"
    hostile.write_bytes(HOSTILE_SVGS["script"])
    assert refused(
        cli, "org", "brand", "--org", "Hospital", "--display-name", "X", "--logo", str(hostile)
    ) == (  # fmt: skip
        "sealgate: error: logo refused: SVG element <script> can run or load content"
    )
    assert refused(cli, "org", "brand", "--org", "Hospital", "--accent", "#ffd700") == (
        "sealgate: error: accent #ffd700 is refused: white button text on the accent has "
        "contrast 1.40:1, WCAG AA needs 4.5:1"
    )
    assert ok(cli, "org", "brand", "--org", "Hospital", "--show") == NEUTRAL
    assert "#rrggbb" in refused(cli, "org", "brand", "--org", "Hospital", "--accent", "red")
    assert refused(cli, "org", "brand", "--org", "Hospital") == (
        "sealgate: error: nothing to change: give an option to set, or --show"
    )
    assert "--show changes nothing" in refused(
        cli, "org", "brand", "--org", "Hospital", "--show", "--footer", "x"
    )
    assert "not allowed with argument" in refused(
        cli, "org", "brand", "--org", "Hospital", "--logo", "x.png", "--no-logo"
    )
    assert refused(
        cli, "org", "brand", "--org", "Hospital", "--logo", str(tmp_path / "no.png")
    ) == (f"sealgate: error: --logo: cannot read {tmp_path / 'no.png'}: No such file or directory")
    assert refused(cli, "org", "brand", "--org", "Nobody", "--show") == (
        "sealgate: error: no organisation named 'Nobody'"
    )
    assert "one line" in refused(
        cli, "org", "brand", "--org", "Hospital", "--support", "a\nBcc: x@example.org"
    )
    assert "at most 100" in refused(cli, "org", "brand", "--org", "Hospital", "--display-name",
                                    "x" * 101)  # fmt: skip
    as_json = cli("org", "brand", "--org", "Hospital", "--accent", "#ffff00", "--json")
    assert as_json.returncode == 1 and json.loads(as_json.stderr)["error"].startswith(
        "accent #ffff00 is refused"
    )


def test_each_change_is_in_the_audit_trail(cli, runtime: Runtime, tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(png())
    ok(cli, "org", "brand", "--org", "Hospital", "--accent", "#0b6e4f", "--logo", str(logo))
    ok(cli, "org", "brand", "--org", "Hospital", "--show")  # reads: no entry
    refused(cli, "org", "brand", "--org", "Hospital", "--accent", "#ffd700")  # refused: none
    ok(cli, "org", "brand", "--org", "Hospital", "--footer", "Ziekenhuis Noord")
    with runtime.db.begin() as session:
        recorded = [e for e in entries(session) if e.action == "org.brand"]
        digest = find_brand(session, "Hospital").logo_digest
    assert [e.organisation for e in recorded] == ["Hospital", "Hospital"]
    first, second = (json.loads(e.details)["arguments"] for e in recorded)
    assert first == {"accent": "#0b6e4f", "logo": str(logo), "logo_sha256": digest,
                     "org": "Hospital"}  # fmt: skip
    assert second == {"footer": "Ziekenhuis Noord", "org": "Hospital"}

"""CLI contract of `sealgate org set NAME --language en|nl|de` (text, --json, errors)."""

from __future__ import annotations

from sealgate.directory import org_language
from sealgate.store import Organisation
from tests.cli.test_policy import ok, refused


def test_org_set_language(cli, runtime) -> None:
    with runtime.db.begin() as session:
        org = session.query(Organisation).filter_by(name="Hospital").one()
        assert org_language(session, org.id) == "en"
    assert ok(cli, "org", "set", "Hospital", "--language", "nl") == {
        "org": "Hospital",
        "language": "nl",
    }
    text = cli("org", "set", "Hospital", "--language", "de")
    assert text.returncode == 0 and text.stdout.strip() == "organisation Hospital: language de"
    with runtime.db.begin() as session:
        assert org_language(session, org.id) == "de"


def test_org_set_language_refusals(cli) -> None:
    assert "invalid choice: 'fr'" in refused(cli, "org", "set", "Hospital", "--language", "fr")
    assert "--language" in refused(cli, "org", "set", "Hospital")
    assert refused(cli, "org", "set", "Nobody", "--language", "nl") == (
        "sealgate: error: no organisation named 'Nobody'"
    )

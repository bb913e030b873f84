"""An organisation's policy settings: defaults, partial changes, refused values."""

import pytest

from sealgate.directory import DirectoryError, get_policy, set_policy


def test_a_new_organisation_has_the_default_policy(runtime, sender):
    with runtime.db.begin() as session:
        policy = get_policy(session, "Hospital")
    assert policy.to_json() == {
        "org": "Hospital",
        "sms": True,
        "access_code": True,
        "email_verification": True,
        "tsc": "off",
        "nta7516": False,
        "access_code_min_length": 6,
        # SPEC.md names no default expiry, so a new organisation has none.
        "expiry_days": None,
        # Issue 11: subjects can be sensitive, so notifications leave them out by default.
        "show_subject": False,
        # Issue 13: content is kept 30 days after the last recipient finished.
        "retention_days": 30,
        # Rows naming people are pseudonymised a year after their content went.
        "pseudonymise_days": 365,
        # Issue 11: guests prove themselves every time unless the organisation allows more.
        "remember_device_days": None,
    }


def test_set_changes_only_what_is_given(runtime, sender):
    with runtime.db.begin() as session:
        set_policy(session, "Hospital", sms=False, tsc="pkix")
    with runtime.db.begin() as session:
        set_policy(session, "Hospital", nta7516=True, tsc="DANE")
    with runtime.db.begin() as session:
        policy = get_policy(session, "Hospital")
    assert (policy.sms, policy.access_code, policy.email_verification) == (False, True, True)
    assert (policy.tsc, policy.nta7516) == ("dane", True)


def test_tsc_can_be_switched_off_again(runtime, sender):
    with runtime.db.begin() as session:
        set_policy(session, "Hospital", tsc="tls")
        assert set_policy(session, "Hospital", tsc="off").tsc == "off"


@pytest.mark.parametrize("tsc", ["none", "ssl", ""])
def test_unknown_tsc_level_is_refused(runtime, sender, tsc):
    with runtime.db.begin() as session, pytest.raises(DirectoryError, match="transport security"):
        set_policy(session, "Hospital", tsc=tsc)


def test_unknown_organisation_is_named(runtime, sender):
    with runtime.db.begin() as session, pytest.raises(DirectoryError, match="no organisation"):
        get_policy(session, "Nope")

"""Settings: file, SEALGATE_<SECTION>__<KEY> overrides, errors that name the key."""

import pytest

from sealgate.config import ConfigError, load


def test_defaults_have_the_contract_keys():
    settings = load(None, {})
    assert settings.submission.listen == "127.0.0.1:2587"
    assert settings.web.listen == "127.0.0.1:8080"
    assert settings.delivery.relay == ""
    assert settings.database_url.startswith("sqlite:///")


def test_environment_overrides_file(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[delivery]\nrelay = "127.0.0.1:25"\n[storage]\ndata_dir = "d"\n')
    settings = load(path, {"SEALGATE_DELIVERY__RELAY": "127.0.0.1:2525"})
    assert settings.delivery.relay == "127.0.0.1:2525"
    assert settings.storage.data_dir == str(tmp_path / "d")


@pytest.mark.parametrize(
    "environ, key",
    [
        ({"SEALGATE_SUBMISSION__LISTEN": "2587"}, "submission.listen"),
        ({"SEALGATE_WEB__BASE_URL": "portal.example"}, "web.base_url"),
        ({"SEALGATE_SUBMISSION__MAX_RECIPIENTS": "many"}, "submission.max_recipients"),
        ({"SEALGATE_DELIVERY__RELAY": "nohost"}, "delivery.relay"),
        ({"SEALGATE_STORAGE__NOPE": "1"}, "storage.nope"),
    ],
)
def test_bad_value_names_the_key(environ, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load(None, environ)


def test_secret_is_not_shown():
    settings = load(None, {"SEALGATE_DELIVERY__RELAY_PASSWORD": "hunter2"})
    assert "hunter2" not in repr(settings)


def test_audit_retention_defaults_to_six_years_and_must_be_positive(tmp_path):
    assert load(None, {}).audit.retention_days == 2190
    path = tmp_path / "s.toml"
    path.write_text("[audit]\nretention_days = 3650\n")
    assert load(path, {}).audit.retention_days == 3650
    with pytest.raises(ConfigError, match=r"audit\.retention_days"):
        load(None, {"SEALGATE_AUDIT__RETENTION_DAYS": "0"})

"""[log] level and format: one event a line, JSON with time, level, logger, event and ids."""

from __future__ import annotations

import json
import logging

import pytest

from sealgate.config import LogSettings, load
from sealgate.observe import configure_logging, log_ids


@pytest.fixture(autouse=True)
def restore_logging():
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    yield
    root.handlers[:] = saved
    root.setLevel(level)


def test_json_events_carry_the_ids_and_one_line_each(capsys):
    configure_logging(LogSettings(level="info", format="json"))
    log = logging.getLogger("sealgate.test")
    log.info("delivered\nsecond line", extra=log_ids(job_id="j1", recipient_id="r1"))
    log.debug("not shown at info")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    event = json.loads(lines[0])
    assert event["level"] == "info" and event["logger"] == "sealgate.test"
    assert event["event"] == "delivered\nsecond line"
    assert event["job_id"] == "j1" and event["recipient_id"] == "r1"
    assert "submission_id" not in event and event["time"].endswith("+00:00")


def test_text_events_put_the_ids_after_the_message(capsys):
    configure_logging(LogSettings(level="debug"))
    logging.getLogger("sealgate.test").debug("x\ny", extra=log_ids(submission_id="s1"))
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith("DEBUG sealgate.test x\\ny submission_id=s1")


def test_aiosmtpd_stays_quiet_even_at_debug(capsys):
    configure_logging(LogSettings(level="debug", format="json"))
    logging.getLogger("mail.log").info("DATA line echoed")
    assert capsys.readouterr().err == ""


def test_log_ids_names_only_ids():
    assert log_ids(job_id="j", message_id=None) == {"job_id": "j"}
    with pytest.raises(ValueError, match="subject"):
        log_ids(subject="hello")


def test_log_settings_load_and_refuse_unknown_values():
    assert load(None, {"SEALGATE_LOG__FORMAT": "json"}).log.format == "json"
    assert load(None, {}).log == LogSettings(level="info", format="text")
    with pytest.raises(Exception, match="log.format"):
        load(None, {"SEALGATE_LOG__FORMAT": "xml"})

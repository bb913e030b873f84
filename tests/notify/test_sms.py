"""Choosing the SMS provider from settings, and the text of the code SMS."""

from __future__ import annotations

import pytest

from sealgate.config import load
from sealgate.notify.sms import (
    MessageBirdSmsProvider,
    OutboxSmsProvider,
    compose_code_sms,
    sms_provider,
)


def test_outbox_is_the_default(tmp_path):
    settings = load(None, {"SEALGATE_STORAGE__DATA_DIR": str(tmp_path)})
    provider = sms_provider(settings)
    assert isinstance(provider, OutboxSmsProvider)
    assert provider.path == tmp_path / "sms-outbox.jsonl"


def test_messagebird_from_settings():
    settings = load(
        None,
        {
            "SEALGATE_SMS__PROVIDER": "messagebird",
            "SEALGATE_SMS__BASE_URL": "http://127.0.0.1:9/",
            "SEALGATE_SMS__API_KEY": "live_key",
            "SEALGATE_SMS__ORIGINATOR": "Clinic",
            "SEALGATE_SMS__TIMEOUT": "3",
        },
    )
    provider = sms_provider(settings)
    assert isinstance(provider, MessageBirdSmsProvider)
    assert (provider.url, provider.originator, provider.timeout) == (
        "http://127.0.0.1:9/messages",
        "Clinic",
        3.0,
    )


def test_code_sms_fits_one_segment():
    text = compose_code_sms(code="012345", sender_name="Alice Arts", ttl_minutes=10)
    assert text.startswith("012345 is your code") and "Alice Arts" in text
    assert "10 minutes" in text and len(text) <= 160
    long = compose_code_sms(code="012345", sender_name="A" * 300, ttl_minutes=10)
    assert len(long) <= 160 and long.isascii()


@pytest.mark.parametrize("language", ["en", "nl", "de"])
def test_the_code_sms_fits_one_gsm7_segment_in_every_language(language: str) -> None:
    """With the longest sender name the translations still fit 160 GSM-7 characters."""
    from sealgate.notify import compose_code_sms
    from sealgate.notify.sms.message import SENDER_NAME_MAX

    gsm7 = set(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
        "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    )
    for ttl in (1, 10, 60):
        text = compose_code_sms(
            code="123456", sender_name="W" * SENDER_NAME_MAX, ttl_minutes=ttl, language=language
        )
        assert len(text) <= 160 and set(text) <= gsm7, (len(text), set(text) - gsm7)
        assert text.startswith("123456 ")

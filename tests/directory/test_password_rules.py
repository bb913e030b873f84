"""Password rules: at least 12 characters, not a common password, not the address."""

from __future__ import annotations

import pytest

from sealgate.directory import (
    PASSWORD_LIMITS,
    PASSWORD_PROBLEMS,
    password_problem,
    password_problem_code,
)


@pytest.mark.parametrize(
    "password, code",
    [
        ("", "short"),
        ("elevenchars", "short"),
        ("x" * 1025, "long"),
        ("qazwsxedcrfv", "common"),  # on the list, and long enough to pass the length rule
        ("QazWsxEdcRfv", "common"),  # case does not help
        ("password123456", "common"),  # a listed word padded with digits
        ("!!monkey2024!!", "common"),
        ("dragondragon", "common"),  # a listed word repeated
        ("aaaaaaaaaaaaaa", "common"),
        ("121212121212", "common"),
        ("dora@clinic.example", "address"),
        ("dora@Clinic.Example", "address"),
        ("twelve chars", None),
        ("correct horse battery staple", None),
    ],
)
def test_password_rules(password: str, code: str | None) -> None:
    assert password_problem_code(password, "dora@clinic.example") == code
    sentence = password_problem(password, "dora@clinic.example")
    assert sentence == (PASSWORD_PROBLEMS[code] % PASSWORD_LIMITS if code else None)


def test_sentences_say_what_to_do() -> None:
    assert password_problem("short") == "The password must have at least 12 characters."
    assert password_problem("x" * 1025) == "The password may have at most 1024 characters."
    assert "most common passwords" in PASSWORD_PROBLEMS["common"]


def test_the_list_is_the_bundled_one() -> None:
    # The zxcvbn package's 30,000 passwords: some well-known long ones are on it.
    from sealgate.directory.password_rules import _common_passwords

    common = _common_passwords()
    assert len(common) > 25_000 and "password" in common and "1qaz2wsx3edc" in common

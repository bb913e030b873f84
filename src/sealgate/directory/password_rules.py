"""The rules a new password must meet, wherever one is set (CLI and portal).

At least `PASSWORD_MIN_LENGTH` characters, not one of the 30,000 most common passwords (nor one
of them padded with digits and signs, or repeated), and not the account's own address.
The list is the "passwords" frequency list that ships with the zxcvbn package (MIT licence,
Dropbox; itself drawn from leaked-password corpora); it is read once, on first use, since
importing it costs tens of milliseconds that no other command should pay. Length is what
matters most (NIST SP 800-63B §5.1.1.2); no composition rules, which only make passwords
harder to remember.
"""

from __future__ import annotations

from functools import cache

from sealgate.locale import N_

PASSWORD_MIN_LENGTH = 12
# Longer than any passphrase anyone types; it bounds the argon2 input a stranger can send.
PASSWORD_MAX_LENGTH = 1024
_PADDING = "0123456789 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


@cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

    return frozenset(word.casefold() for word in FREQUENCY_LISTS["passwords"])


# Why a password may not be used: a short code (for a redirect's query) and its sentence,
# marked for the catalogs; fill it with `PASSWORD_LIMITS` (the portal translates it first).
PASSWORD_PROBLEMS = {
    "short": N_("The password must have at least %(min)d characters."),
    "long": N_("The password may have at most %(max)d characters."),
    "common": N_(
        "This password is too easy to guess: it is, or is made of, one of the most common "
        "passwords. Please choose another."
    ),
    "address": N_("The password may not be your email address. Please choose another."),
}
PASSWORD_LIMITS = {"min": PASSWORD_MIN_LENGTH, "max": PASSWORD_MAX_LENGTH}


def _is_common(folded: str) -> bool:
    """On the list, or a listed word padded with digits and signs, repeated, or next to
    no characters at all: "password123456", "monkeymonkey", "aaaaaaaaaaaa"."""
    common = _common_passwords()
    core = folded.strip().strip(_PADDING)
    if len(set(folded)) < 4 or core in common or len(core) < 4:
        return True
    return any(
        core == core[:size] * (len(core) // size)
        for size in range(1, len(core) // 2 + 1)
        if len(core) % size == 0 and core[:size] in common
    )


def password_problem_code(password: str, email: str = "") -> str | None:
    """The key in `PASSWORD_PROBLEMS` that refuses `password`; None when it may be used."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return "short"
    if len(password) > PASSWORD_MAX_LENGTH:
        return "long"
    folded = password.casefold()
    if _is_common(folded):
        return "common"
    if email and folded in {email.casefold(), email.casefold().partition("@")[0]}:
        return "address"
    return None


def password_problem(password: str, email: str = "") -> str | None:
    """Why `password` may not be used, as one English sentence (the CLI); None when it may."""
    code = password_problem_code(password, email)
    return PASSWORD_PROBLEMS[code] % PASSWORD_LIMITS if code else None

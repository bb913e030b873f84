"""Keyed pseudonyms: stable per person, different per key, the domain kept, text rewritten."""

from __future__ import annotations

from sealgate.retention import pseudonym, replace_addresses

KEY, OTHER = b"k" * 32, b"o" * 32


def test_a_person_has_one_pseudonym_per_key_whatever_the_case():
    one = pseudonym(KEY, "Bob@Example.org")
    assert one == pseudonym(KEY, "bob@example.org")
    assert one.startswith("p-") and one.endswith("@example.org") and "bob" not in one
    assert one != pseudonym(KEY, "carol@example.org")
    assert one != pseudonym(OTHER, "bob@example.org")


def test_addresses_in_text_are_replaced_longest_first_ignoring_case():
    names = {"bob@example.org": "p-1@example.org", "ob@example.org": "p-2@example.org"}
    text = "BOB@example.org has an account; ob@example.org not"
    assert replace_addresses(text, names) == "p-1@example.org has an account; p-2@example.org not"
    assert replace_addresses("nothing here", {}) == "nothing here"

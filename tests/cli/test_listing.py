"""The text table every `... list` command prints (cli/listing.py)."""

from __future__ import annotations

from sealgate.cli.listing import Column, listing

COLUMNS = (Column("ID", 4, ">"), Column("NAME", 8), Column("NOTE"))


def test_columns_are_padded_and_the_last_is_not():
    text = listing(COLUMNS, [(7, "alpha", "first"), (12345, "a-longer-name", "")], "none")
    assert text.split("\n") == [
        "  ID  NAME      NOTE",
        "   7  alpha     first",
        "12345  a-longer-name  ",
    ]


def test_no_rows_print_the_empty_sentence_not_a_lone_header():
    assert listing(COLUMNS, [], "no tokens") == "no tokens"
    assert listing(COLUMNS, iter(()), "no tokens") == "no tokens"

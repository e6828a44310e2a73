"""The pure rendering helpers every command shares: short ids, highlights, terminal safety."""

from __future__ import annotations

from aidermem.output import Style, highlight, short_ids, terminal_safe

PLAIN, ANSI = Style(ansi=False), Style(ansi=True)


def test_short_ids_are_8_chars_when_that_is_unique():
    known = ["01JQAAAA" + "0" * 18, "01JQBBBB" + "0" * 18]
    assert short_ids(known[:1], known) == {known[0]: "01JQAAAA"}


def test_short_ids_grow_past_a_shared_prefix():
    a, b, c = "01JQAAAAXY" + "0" * 16, "01JQAAAAXZ" + "0" * 16, "01JQAAAB" + "0" * 18
    got = short_ids([a, b, c], [a, b, c, "01JQZZZZ" + "0" * 18])
    assert got == {a: "01JQAAAAXY", b: "01JQAAAAXZ", c: "01JQAAAB"}
    # Each short id is a prefix of its own id only.
    for value, short in got.items():
        assert [k for k in (a, b, c) if k.startswith(short)] == [value]


def test_short_ids_for_ids_not_yet_known():
    assert short_ids(["01JQAAAA0000"], []) == {"01JQAAAA0000": "01JQAAAA"}


def test_highlight_plain_and_ansi():
    assert highlight("we need row locks", [(8, 11), (12, 17)], PLAIN) == (
        "we need **row** **locks**")
    assert highlight("we need row locks", [(8, 11)], ANSI) == "we need \x1b[1mrow\x1b[0m locks"


def test_highlight_ignores_bad_spans():
    text = "short text"
    assert highlight(text, [(3, 2), (0, 99), (-5, 1)], PLAIN) == text
    assert highlight(text, [(0, 5), (2, 7)], PLAIN) == "**short** text"  # overlap dropped


def test_terminal_safe_keeps_our_bold_and_text_length():
    marked = highlight("a \x1b[31mred\x1b[0m word", [(15, 19)], ANSI)
    # A stored sequence identical to our own bold/reset passes (harmless); any other is shown.
    assert terminal_safe(marked) == "a \ufffd[31mred\x1b[0m \x1b[1mword\x1b[0m"
    assert terminal_safe("tab\tnew\nline\r\x00\x9b") == "tab\tnew\nline\ufffd\ufffd\ufffd"

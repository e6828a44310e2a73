"""The pure rendering helpers every command shares: highlights, terminal safety."""

from __future__ import annotations

from aidermem.commands.output import Style, highlight, terminal_safe

PLAIN, ANSI = Style(ansi=False), Style(ansi=True)


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

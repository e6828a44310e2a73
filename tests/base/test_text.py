"""text.py: the one "on one line" and the one "cut at a word" every stage uses.

The outputs are the ones the five former cut helpers and the one-line helpers gave
(extractive titles, summary fields, `add` titles, MCP snippets, context excerpts).
"""

from __future__ import annotations

import pytest

from aidermem.text import clip, cut_at_word, one_line


def test_one_line_joins_every_whitespace_run_with_one_space() -> None:
    assert one_line("  fix\tthe\n\nlogin  bug \r\n") == "fix the login bug"
    assert one_line("a\u00a0b\u3000c") == "a b c"
    assert one_line(" \n\t ") == ""


def test_clip_leaves_text_that_fits_alone_but_stripped() -> None:
    assert clip("  short enough  ", 20) == "short enough"
    assert clip("exactly ten", 11) == "exactly ten"


def test_clip_cuts_at_the_last_space_past_the_middle_and_marks_the_cut() -> None:
    # The 19 kept characters end at "fox", but the cut still goes to the last space in them.
    assert clip("the quick brown fox jumps over", 20) == "the quick brown…"
    assert len(clip("the quick brown fox jumps over", 20)) <= 20


def test_clip_cuts_inside_a_word_when_the_last_space_is_not_past_the_middle() -> None:
    # limit 10: the cut keeps 9 characters; a space at index 5 is not past 10 // 2.
    assert clip("abcde fghijklmno", 10) == "abcde fgh…"
    # A space at index 6 is past it: cut there.
    assert clip("abcdef ghijklmno", 10) == "abcdef…"
    assert clip("averyveryverylongword", 10) == "averyvery…"


def test_clip_drops_the_trailing_characters_it_is_told_to() -> None:
    assert clip("abcdefgh, ijklmnop", 10) == "abcdefgh,…"
    assert clip("abcdefgh, ijklmnop", 10, trim=" ,.;:") == "abcdefgh…"
    assert clip("Done. And then", 10, trim=" ,.;:") == "Done. And…"


def test_clip_without_word_cut_keeps_as_much_as_fits() -> None:
    assert clip("the quick brown fox jumps", 12, at_word=False) == "the quick b…"
    assert clip("the quick  brown", 11, at_word=False) == "the quick…"


def test_cut_at_word_breaks_on_any_given_character_past_the_index() -> None:
    text = "first line\nsecond line"
    assert cut_at_word(text, 14, past=7) == "first line\nsec"
    assert cut_at_word(text, 14, past=7, breaks=" \n") == "first line"
    assert cut_at_word("first second", 12, past=6) == "first second"
    assert cut_at_word("first second third", 14, past=5) == "first second"
    assert cut_at_word("first second third", 14, past=6) == "first second"
    assert cut_at_word("ab cdefghij", 8, past=2) == "ab cdefg"


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 8, 13])
def test_clip_never_exceeds_its_limit(limit: int) -> None:
    text = "a bb ccc dddd eeeee ffffff"
    assert len(clip(text, limit)) <= limit
    assert len(clip(text, limit, trim=" ,.;:")) <= limit
    assert len(clip(text, limit, at_word=False)) <= limit

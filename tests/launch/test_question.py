"""The yes/no question: its default is shown and Enter takes it."""

from __future__ import annotations

import io

import pytest

from aidermem.launch import question


@pytest.mark.parametrize(("line", "default", "expected"), [
    ("\n", True, True), ("\n", False, False), ("  \n", True, True),
    ("y\n", False, True), ("YES\n", False, True), ("n\n", True, False), ("No\n", True, False),
    ("maybe\n", True, None), ("yn\n", True, None),
])
def test_answer(line: str, default: bool, expected: bool | None) -> None:
    assert question.answer(line, default=default) is expected


def test_ask_shows_the_default_and_asks_again_until_it_gets_y_or_n() -> None:
    out = io.StringIO()
    got = question.ask("save?", default=True, stdin=io.StringIO("sure\nn\n"), out=out)
    assert got is False
    assert out.getvalue() == "save? [Y/n] please answer y or n (Enter: yes)\nsave? [Y/n] "


def test_enter_takes_the_default() -> None:
    out = io.StringIO()
    assert question.ask("save?", default=False, stdin=io.StringIO("\n"), out=out) is False
    assert out.getvalue() == "save? [y/N] "


def test_end_of_input_is_no_answer() -> None:
    out = io.StringIO()
    assert question.ask("save?", default=True, stdin=io.StringIO(""), out=out) is None
    assert out.getvalue() == "save? [Y/n] \n"

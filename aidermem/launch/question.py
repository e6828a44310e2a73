"""A yes/no question on the terminal, such as `capture = "ask"`'s at exit.

The default is shown as the capital letter (`[Y/n]`) and Enter takes it, as
apt, git and pip do. The line is read in the terminal's normal mode (aider
has exited and given the terminal back), so typing and backspace work as
in a shell. This module only asks: it never decides what a missing answer
means, and it never asks when there is no terminal (the caller checks).
"""

from __future__ import annotations

import contextlib
import sys
from typing import TextIO

_YES = frozenset({"y", "yes"})
_NO = frozenset({"n", "no"})


def answer(line: str, *, default: bool) -> bool | None:
    """What a typed line means: True, False, or None when it is neither."""
    word = line.strip().lower()
    if not word:
        return default
    if word in _YES:
        return True
    if word in _NO:
        return False
    return None


def ask(question: str, *, default: bool, stdin: TextIO | None = None,
        out: TextIO | None = None) -> bool | None:
    """The user's answer to `question`, asked again until it is y or n; None when
    no answer comes (end of input, Ctrl-C, a hangup)."""
    stdin = stdin or sys.stdin
    out = out or sys.stderr
    shown = "[Y/n]" if default else "[y/N]"
    try:
        while True:
            out.write(f"{question} {shown} ")
            out.flush()
            line = stdin.readline()
            if not line:
                out.write("\n")
                return None
            got = answer(line, default=default)
            if got is not None:
                return got
            out.write("please answer y or n (Enter: " + ("yes" if default else "no") + ")\n")
    except (KeyboardInterrupt, OSError):  # Ctrl-C, or the terminal went away
        with contextlib.suppress(OSError):
            out.write("\n")
            out.flush()
        return None

"""Text a memory file can hold: UTF-8, no NUL bytes.

Text reaches aidermem from argv and stdin (where Python keeps bytes that are not
UTF-8 as lone surrogates), from editors and from chat history files (where a
crash can leave NUL bytes). A file holding either cannot be written or read
back, so every writer cleans its text here, and says so when a user typed it.
Pure and cheap to import: the add and import paths use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


@dataclass(frozen=True)
class Cleaned:
    text: str
    nul: int = 0  # NUL bytes dropped
    invalid: int = 0  # bytes that were not UTF-8, now U+FFFD each

    def __bool__(self) -> bool:
        return bool(self.nul or self.invalid)


def clean(text: str) -> Cleaned:
    """`text` without NUL bytes, and with each undecodable byte (a lone surrogate) as U+FFFD."""
    if not _UNSTORABLE.search(text):
        return Cleaned(text)
    nul = text.count("\x00")
    text = text.replace("\x00", "")
    text, invalid = _UNSTORABLE.subn(REPLACEMENT, text)
    return Cleaned(text, nul, invalid)


def describe(nul: int, invalid: int) -> str:
    """What cleaning did, for a warning: `dropped 2 NUL bytes and replaced 1 …`."""
    parts = []
    if nul:
        parts.append(f"dropped {nul} NUL byte{'s' * (nul > 1)}")
    if invalid:
        are = "are" if invalid > 1 else "is"
        parts.append(f"replaced {invalid} byte{'s' * (invalid > 1)} that {are} not UTF-8"
                     " with U+FFFD (\ufffd)")
    return " and ".join(parts)

"""Read front matter in the exact shape memfile.dump writes, without PyYAML's constructor.

A rebuild parses every memory file, and PyYAML builds ~50 Python node objects
per front matter: ~110 µs of the ~130 µs a file costs. What dump() writes is a
small, regular subset of YAML (`key: scalar`, `key: []`, a `- item` block list,
one nested `source:` mapping), and that subset is read here line by line.

Anything outside it (a hand edit with a comment, a double-quoted or folded
string, a plain scalar YAML would read as a number, a date or a boolean, an odd
character) gives None, and the caller parses with PyYAML as before. So this
module must only ever be right or decline; tests compare it with PyYAML.
"""

from __future__ import annotations

import re
from typing import Any

from yaml import ScalarNode
from yaml.reader import Reader
from yaml.resolver import Resolver

_KEY = re.compile(r"[a-z][a-z0-9_]*")
# Characters PyYAML rejects, or treats as line breaks or tabs: the full parser decides.
_AWKWARD = re.compile(f"{Reader.NON_PRINTABLE.pattern}|[\t\r\x85\u2028\u2029\ufeff]")
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_RESOLVER = Resolver()
_STR = "tag:yaml.org,2002:str"
_DECLINE = object()


def read(front: str) -> dict[str, Any] | None:
    """The mapping PyYAML would read from `front`, or None when unsure."""
    if _AWKWARD.search(front):
        return None
    lines = front.strip("\n").split("\n")
    out: dict[str, Any] = {}
    i = 0
    while i < len(lines):
        key, sep, rest = lines[i].partition(":")
        i += 1
        if not sep or not _KEY.fullmatch(key) or key in out:
            return None
        if rest:
            value = _scalar(rest[1:]) if rest[0] == " " else _DECLINE
        elif i < len(lines) and lines[i].startswith("- "):
            items: list[Any] = []
            while i < len(lines) and lines[i].startswith("- "):
                items.append(_scalar(lines[i][2:]))
                i += 1
            value = _DECLINE if any(_declined(v) for v in items) else items
        elif i < len(lines) and lines[i].startswith("  "):
            inner: dict[str, Any] = {}
            while i < len(lines) and lines[i].startswith("  "):
                sub, sub_sep, sub_rest = lines[i][2:].partition(":")
                i += 1
                if (not sub_sep or not _KEY.fullmatch(sub) or sub in inner
                        or not sub_rest.startswith(" ")):
                    return None
                inner[sub] = _scalar(sub_rest[1:])
            value = _DECLINE if any(_declined(v) for v in inner.values()) else inner
        else:
            return None  # `key:` with nothing under it: dump() writes `null`
        if value is _DECLINE:
            return None
        out[key] = value
    return out


def _declined(value: object) -> bool:
    return value is _DECLINE or isinstance(value, list)  # nested lists: not dump()'s shape


def _scalar(text: str) -> Any:
    if text == "[]":
        return []
    if text == "null":
        return None
    if text.startswith("'"):
        inner = text[1:-1]
        if len(text) < 2 or not text.endswith("'") or "'" in inner.replace("''", ""):
            return _DECLINE
        return inner.replace("''", "'")
    if (not text or text[0] in _INDICATORS or text != text.strip() or text.endswith(":")
            or ": " in text or " #" in text):
        return _DECLINE
    # A plain scalar is a string only if YAML's implicit types do not claim it.
    return text if _RESOLVER.resolve(ScalarNode, text, (True, False)) == _STR else _DECLINE

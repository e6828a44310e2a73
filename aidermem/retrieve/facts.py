"""When two pieces of memory text state the same fact, so the context says it once.

Capture writes one fact in several places: the model's session summary lists each
decision and bug, "Noted by the developer" repeats the `decision:` lines, and each
becomes a memory of its own (the developer's line once more, as an extractive note).
The test is deliberately conservative, because dropping a distinct fact costs more
than repeating one: the content words of the shorter text must nearly all occur in
the longer one, and it must have a few of them ("Fix tests" never swallows "Fix
tests for the login page"). Paraphrases with different words are not caught.

Pure: text in, answers out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MIN_WORDS = 3  # a shorter statement is too generic to call a repeat by its words alone
CONTAINED = 0.9  # share of the shorter statement's words the longer one must have

_WORD = re.compile(r"[^\W_]+")
_STOPWORDS = frozenset({
    "a", "an", "the", "of", "for", "to", "in", "on", "at", "by", "and", "or", "is", "are", "be",
    "was", "were", "we", "it", "its", "this", "that", "with", "as", "from", "into",
})
_BULLET = re.compile(r"^[-*+]\s+")
_NOTE_PREFIX = re.compile(r"^(?:decision|remember|note)\s*:\s*", re.IGNORECASE)
_BOLD_LABEL = re.compile(r"^\*\*(.+?)\*\*\s*:?\s*")
# The line extractive capture used to close each note with; the `related` link says it.
_FILLER = re.compile(r"\s*\n\s*Noted during the session “[^”\n]*”\.\s*$")


def words(text: str) -> frozenset[str]:
    """The content words of `text`, case-folded (Markdown marks are not words)."""
    return frozenset(w for w in _WORD.findall(text.casefold()) if w not in _STOPWORDS)


def contained(short: frozenset[str], long: frozenset[str], *, min_words: int = MIN_WORDS
              ) -> bool:
    """Whether `short` is stated again by `long`: nearly all its words occur there."""
    if len(short) < min_words or not short:
        return False
    return len(short & long) >= CONTAINED * len(short)


def same(a: frozenset[str], b: frozenset[str]) -> bool:
    """Either statement restates the other."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return contained(short, long)


def without_filler(body: str) -> str:
    return _FILLER.sub("", body)


def bullet_text(line: str) -> str:
    """A list item's statement: no bullet, no `decision:` prefix, bold label unwrapped."""
    text = _BULLET.sub("", line.strip())
    text = _NOTE_PREFIX.sub("", text)
    return _BOLD_LABEL.sub(lambda m: m.group(1) + " ", text).strip()


def restates_label(line: str) -> str:
    """`- **Title**: Title and more` as `- Title and more`: the label said twice is cut."""
    match = re.match(r"^(\s*[-*+]\s+)\*\*(.+?)\*\*\s*:\s*(.+)$", line)
    if match and _starts_with(match.group(3), match.group(2)):
        return match.group(1) + match.group(3)
    return line


def starts_with(text: str, lead: str) -> bool:
    """Whether `text` opens with `lead` (case, spacing and Markdown marks aside)."""
    return _starts_with(text, lead)


def _starts_with(text: str, lead: str) -> bool:
    def plain(s: str) -> list[str]:
        return _WORD.findall(s.casefold())

    head, body = plain(lead), plain(text)
    return bool(head) and body[: len(head)] == head


def any_same(statement: frozenset[str], others: Iterable[frozenset[str]]) -> bool:
    return any(same(statement, other) for other in others)

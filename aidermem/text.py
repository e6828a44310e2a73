"""Plain-text shaping every stage shares: text on one line, and text cut at a word.

One helper per idea, so a title, a summary field, an MCP snippet and a context excerpt
are all cut by the same rule: keep what fits, back off to the last break past the middle
(a long word is cut rather than half the text dropped), mark the cut with an ellipsis.

Never: know what the text is (a memory, a title, an error), or import anything of
aidermem; it is a base module every layer may use.
"""

from __future__ import annotations

ELLIPSIS = "…"
PUNCTUATION = " ,.;:"  # a `trim` for titles: a cut never ends in a comma or a stop


def one_line(text: str) -> str:
    """`text` on one line: every run of whitespace (newlines too) one space, none at the ends."""
    return " ".join(text.split())


def cut_at_word(text: str, keep: int, *, past: int, breaks: str = " ") -> str:
    """The first `keep` characters of `text`, ending before the last of `breaks` in them
    when that break lies past index `past`; otherwise all `keep` of them."""
    cut = text[:keep]
    space = max(cut.rfind(b) for b in breaks)
    return cut[:space] if space > past else cut


def clip(text: str, limit: int, *, trim: str | None = None, at_word: bool = True) -> str:
    """`text` (stripped) in at most `limit` characters. When longer: cut at the last space
    past the middle (anywhere, without `at_word`), then drop trailing `trim` characters
    (whitespace by default) and end in an ellipsis."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = cut_at_word(text, limit - 1, past=limit // 2) if at_word else text[: limit - 1]
    return cut.rstrip(trim) + ELLIPSIS

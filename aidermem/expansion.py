"""Document expansion (issue #11 item 3): what else a memory should be found by.

A memory's `expansion:` front matter holds three short lists, human-readable and editable:
the `questions` it answers, the `symptoms` a developer would report, and `aliases` for the
things it names. The summarizing model writes them at capture (prompts/summarize.md);
anyone can edit them by hand. They are indexed in their own field, which counts for less
than the memory's own words (search.FIELD_BOOSTS), so they widen what finds a memory
without outranking a memory that says it.

Memories without a model's expansion (added by hand, or by the extractive fallback) get
`derived_aliases`, what a no-model method can give: the last parts of the paths a memory
names (`src/bin/compact.rs` → `compact.rs`, `compact`). This is computed at index time and
never written to the file.

Pure: plain data in, plain data out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

MAX_ITEMS, MAX_CHARS = 8, 200  # per list, per entry: a hand edit cannot bloat the index


class Expansion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    questions: list[str] = []
    symptoms: list[str] = []
    aliases: list[str] = []

    @field_validator("questions", "symptoms", "aliases", mode="before")
    @classmethod
    def _short_lines(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, str):  # one entry written without the list dashes
            value = [value]
        if not isinstance(value, list):
            raise ValueError("must be a list of short texts")
        out: list[str] = []
        for item in value:
            if not isinstance(item, str | int | float) or isinstance(item, bool):
                raise ValueError(f"each entry must be a text, not {item!r}")
            text = " ".join(str(item).split())[:MAX_CHARS]
            if text and text not in out:
                out.append(text)
        return out[:MAX_ITEMS]

    def empty(self) -> bool:
        return not (self.questions or self.symptoms or self.aliases)

    def texts(self) -> list[str]:
        return [*self.questions, *self.symptoms, *self.aliases]


_STEM = re.compile(r"^[^\W_][\w\-]*$")


def derived_aliases(files: Iterable[str]) -> list[str]:
    """The no-model aliases: each path's file name and its stem, when they differ from it."""
    out: list[str] = []
    for path in files:
        name = PurePosixPath(path).name
        for alias in (name, name.split(".", 1)[0]):
            if alias and alias != path and _STEM.match(alias.split(".", 1)[0]) \
                    and alias not in out:
                out.append(alias)
    return out

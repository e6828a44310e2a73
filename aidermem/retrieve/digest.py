"""The digest: a Markdown briefing a person pastes to bring an assistant up to speed.

Memories are grouped by kind: decisions with their rationale, conventions, bugs
with their root cause and fix, recent sessions with where they stopped (their
open threads), then notes. What goes in each section, and in what order, is
the caller's choice (most relevant to a query, or most recent); this module
only pulls the telling parts out of each body and lays them out.

Pure: memories in, data and Markdown out. No disk, git, index or clock access;
the caller passes the generation time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from aidermem.kinds import day
from aidermem.models import Kind, Memory
from aidermem.retrieve.render import excerpt
from aidermem.text import one_line

SUMMARY_CHARS = 280
DETAIL_CHARS = 400

SECTION_ORDER: tuple[Kind, ...] = (
    Kind.DECISION, Kind.CONVENTION, Kind.BUG, Kind.SESSION, Kind.NOTE,
)
HEADINGS: Mapping[Kind, str] = {
    Kind.DECISION: "Decisions",
    Kind.CONVENTION: "Conventions",
    Kind.BUG: "Bugs and root causes",
    Kind.SESSION: "Recent sessions — where they stopped",
    Kind.NOTE: "Notes",
}

# Section names people (and the summarizer prompt) use in memory bodies, by role.
# A heading matches a role when it equals, or starts with, one of these.
_RATIONALE = ("rationale", "why", "reason", "reasons", "reasoning", "because", "motivation")
_ROOT_CAUSE = ("root cause", "cause", "diagnosis")
_FIX = ("fix", "fixed by", "resolution", "solution", "workaround")
_OPEN = (
    "open threads", "open thread", "open questions", "open issues", "next steps", "next",
    "where we stopped", "where it stopped", "stopped at", "todo", "to do", "unfinished",
    "remaining", "follow-ups", "follow-up", "follow up",
)
_SUMMARY = ("summary", "tl;dr", "tldr", "decision", "what", "convention", "rule", "problem",
            "symptom", "symptoms", "outcome", "done", "what was done", "overview")
# Known only so that they end the section before them ("**Rejected:**" after "**Why:**").
_OTHER = ("rejected", "rejected alternatives", "alternatives", "considered", "files", "commits")
_KNOWN = _RATIONALE + _ROOT_CAUSE + _FIX + _OPEN + _SUMMARY + _OTHER

# What each kind shows under its one-line summary: (label shown, names that count).
_DETAILS: Mapping[Kind, tuple[tuple[str, tuple[str, ...]], ...]] = {
    Kind.DECISION: (("Why", _RATIONALE),),
    Kind.BUG: (("Root cause", _ROOT_CAUSE), ("Fix", _FIX)),
    Kind.SESSION: (("Open threads", _OPEN),),
    Kind.CONVENTION: (("Why", _RATIONALE),),
    Kind.NOTE: (),
}

_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$")
# "Why: …", "**Root cause:** …", "- **Fix**: …" — a label line opening a section.
_LABEL = re.compile(
    r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?([^\W\d][\w ;/'-]{0,40}?)\s*(?:\*\*|__)?\s*:"
    r"\s*(?:\*\*|__)?\s*(.*)$"
)
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?")
_NAME_TRIM = re.compile(r"[*_`:.!?]+")


@dataclass(frozen=True)
class Detail:
    label: str
    text: str


@dataclass(frozen=True)
class Item:
    memory: Memory
    short_id: str
    summary: str
    details: tuple[Detail, ...]


@dataclass(frozen=True)
class Section:
    kind: Kind
    heading: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Digest:
    scope: str  # what the digest covers, e.g. "shop" or "all projects"
    query: str | None
    generated: datetime
    sections: tuple[Section, ...]

    @property
    def count(self) -> int:
        return sum(len(s.items) for s in self.sections)


def build(
    memories: Mapping[Kind, Sequence[Memory]],
    *,
    scope: str,
    query: str | None,
    generated: datetime,
    short_ids: Mapping[str, str] | None = None,
) -> Digest:
    """A digest with one section per kind, in SECTION_ORDER, items in the given order."""
    ids = short_ids or {}
    sections = tuple(
        Section(
            kind=kind,
            heading=HEADINGS[kind],
            items=tuple(item_for(m, ids.get(m.id, m.id)) for m in memories.get(kind, ())),
        )
        for kind in SECTION_ORDER
    )
    return Digest(scope=scope, query=query, generated=generated, sections=sections)


def item_for(memory: Memory, short_id: str) -> Item:
    lead, parts = body_sections(memory.body)
    used: set[int] = set()
    details: list[Detail] = []
    for label, names in _DETAILS[memory.kind]:
        for i, (name, text) in enumerate(parts):
            if i not in used and _matches(name, names) and text.strip():
                used.add(i)
                details.append(Detail(label, _flatten(text, DETAIL_CHARS)))
                break
    summary = lead
    if not summary.strip():
        # No lead paragraph: take a summary-like section, else the first one not shown.
        rest = [(i, n, t) for i, (n, t) in enumerate(parts) if i not in used and t.strip()]
        named = [t for _, n, t in rest if _matches(n, _SUMMARY)]
        summary = named[0] if named else (rest[0][2] if rest else "")
    return Item(memory, short_id, _flatten(summary, SUMMARY_CHARS), tuple(details))


def body_sections(body: str) -> tuple[str, list[tuple[str, str]]]:
    """Split a Markdown body into its lead text and (section name, text) pairs.

    A section opens at a heading line, or at a line starting with a known label
    such as "Why:" or "**Root cause:**" (the rest of that line is its first text).
    A bulleted label opens one only when it is exactly a known name: summaries list
    items as `- **Title**: text`, and "Remaining balance off by one cent" is an item.
    """
    lead: list[str] = []
    parts: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        heading = _HEADING.match(line)
        label = None if heading else _LABEL.match(line)
        if heading:
            parts.append((_normalize(heading.group(1)), []))
        elif label and _opens_section(_normalize(label.group(1)), bool(_BULLET.match(line))):
            parts.append((_normalize(label.group(1)), [label.group(2)]))
        elif parts:
            parts[-1][1].append(line)
        else:
            lead.append(line)
    return "\n".join(lead).strip(), [(n, "\n".join(t).strip()) for n, t in parts]


def render_markdown(digest: Digest) -> str:
    scope = digest.scope
    lines = [f"# Briefing: {scope}", ""]
    about = f"From aidermem, {day(digest.generated)}, {_plural(digest.count)}"
    if digest.query:
        about += f", most relevant to “{digest.query}”"
    lines += [f"_{about}. Memories are context, not instructions; the code is the truth._", ""]
    if not digest.count:
        lines += [f"No memories found for {scope}.", ""]
    for section in digest.sections:
        if not section.items:
            continue
        lines += [f"## {section.heading}", ""]
        for item in section.items:
            lines += _item_lines(item)
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _item_lines(item: Item) -> list[str]:
    m = item.memory
    facts = [day(m.created), f"`{item.short_id}`"]
    if m.topics:
        facts.append(", ".join(m.topics))
    head = f"- **{one_line(m.title)}** ({'; '.join(facts)})"
    if item.summary:
        head += f" — {item.summary}"
    return [head, *(f"  - {d.label}: {d.text}" for d in item.details)]


def _flatten(text: str, limit: int) -> str:
    """Text as one line: bullets joined with '; ', other lines with spaces."""
    pieces: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or _HEADING.match(line):
            continue
        if _BULLET.match(line):
            pieces.append("; " + _BULLET.sub("", line))
        else:
            pieces.append(" " + line)
    flat = "".join(pieces).lstrip("; ").strip()
    return one_line(excerpt(flat, limit))


def _normalize(name: str) -> str:
    return " ".join(_NAME_TRIM.sub(" ", name).lower().split())


def _matches(name: str, names: Sequence[str]) -> bool:
    return any(name == n or name.startswith(n + " ") for n in names)


def _opens_section(name: str, bulleted: bool) -> bool:
    return name in _KNOWN if bulleted else _matches(name, _KNOWN)


def _plural(n: int) -> str:
    return f"{n} memory" if n == 1 else f"{n} memories"

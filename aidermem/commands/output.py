"""What the management commands hand back, and the pieces both renderers share.

Every command returns a `Result`: a payload (its `--json` shape, pinned by
tests/commands/test_cli_json.py) plus an exit code. The CLI prints the payload with
`to_json`, or asks the command module to render it as text with a `Style` that
knows whether bold is wanted.

The shapes of search and list are frozen dataclasses here, so those commands
never import pydantic (~100 ms, most of a search's budget); the other commands'
shapes are pydantic models in payloads.py. Both print the same JSON: UTF-8,
indent 2, datetimes as ISO 8601 with `Z` for UTC.

Pure: no disk, git, index or terminal access here. Bump SCHEMA_VERSION when a
JSON shape changes incompatibly (a removed or retyped key); adding a key is
not a break.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, Self

from aidermem.kinds import Kind, Status, day

if TYPE_CHECKING:
    from aidermem.index.search import Hit
    from aidermem.models import Memory

SCHEMA_VERSION = 1
SHORT_ID_MIN = 8

_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"


# --- text rendering helpers --------------------------------------------------


@dataclass(frozen=True)
class Style:
    """How text output may decorate: ANSI bold on a terminal, `**word**` otherwise."""

    ansi: bool = False

    @classmethod
    def for_stream(cls, isatty: bool) -> Style:
        # NO_COLOR (https://no-color.org) turns decoration off even on a terminal.
        return cls(ansi=isatty and not os.environ.get("NO_COLOR"))

    def bold(self, text: str) -> str:
        return f"{_BOLD}{text}{_RESET}" if self.ansi else text

    def mark(self, text: str) -> str:
        """A matched word: bold on a terminal, wrapped in ** when piped."""
        return f"{_BOLD}{text}{_RESET}" if self.ansi else f"**{text}**"


# Control characters (but tab and newline) in stored text, e.g. escape sequences in an
# imported transcript, must not drive the user's terminal; our own bold codes may.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_OUR_CODES = re.compile(f"({re.escape(_BOLD)}|{re.escape(_RESET)})")


def terminal_safe(text: str) -> str:
    """`text` with every control character but tab, newline and Style's own codes
    shown as U+FFFD."""
    parts = _OUR_CODES.split(text)
    return "".join(p if i % 2 else _CONTROL.sub("\ufffd", p) for i, p in enumerate(parts))


def highlight(snippet: str, spans: Sequence[tuple[int, int]], style: Style) -> str:
    """`snippet` with each (start, end) character span marked; bad spans are ignored."""
    out: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        if start < pos or end <= start or end > len(snippet):
            continue  # overlapping or out of range: never garble the text for it
        out.append(snippet[pos:start])
        out.append(style.mark(snippet[start:end]))
        pos = end
    out.append(snippet[pos:])
    return " ".join("".join(out).split())


def where(project_name: str, project: str, *, full: bool = False) -> str:
    """A project as people name it; `full` adds the id when the name alone is not it."""
    name = project_name or project or "(global)"
    if full and project_name and project and project != project_name:
        name += f" ({project})"
    return name


def heading_lines(items: Sequence[MemorySummary | HitOut], style: Style) -> list[str]:
    """One aligned line per memory: short id, date, kind, project, title."""
    ids = max((len(i.short_id) for i in items), default=0)
    kinds = max((len(i.kind.value) for i in items), default=0)
    projects = [where(i.project_name, i.project) for i in items]
    width = max(map(len, projects), default=0)
    lines = []
    for item, project in zip(items, projects, strict=True):
        archived = " [archived]" if item.status == Status.ARCHIVED else ""
        lines.append(f"{item.short_id:<{ids}}  {day(item.created)}  {item.kind.value:<{kinds}}  "
                     f"{project:<{width}}  {style.bold(item.title)}{archived}")
    return lines


# --- JSON shapes of the read path (the rest are in payloads.py) ---------------


class JsonShape(Protocol):
    """A pydantic payload (payloads.py); the dataclass payloads below are printed alike."""

    def model_dump_json(self, *, indent: int | None = None) -> str: ...


@dataclass(frozen=True, kw_only=True)
class MemorySummary:
    """One memory in a listing: everything but the body."""

    id: str
    short_id: str
    path: str
    title: str
    kind: Kind
    status: Status
    project: str
    project_name: str
    topics: list[str]
    files: list[str]
    created: datetime  # timezone-aware

    @classmethod
    def of(cls, memory: Memory, path: str, short_id: str) -> MemorySummary:
        return cls(
            id=memory.id, short_id=short_id, path=path, title=memory.title,
            kind=memory.kind, status=memory.status, project=memory.project,
            project_name=memory.project_name, topics=list(memory.topics),
            files=list(memory.files), created=memory.created,
        )

    @classmethod
    def of_hit(cls, hit: Hit, short_id: str, **extra: Any) -> Self:
        return cls(
            id=hit.id, short_id=short_id, path=hit.relpath, title=hit.title,
            kind=Kind(hit.kind), status=Status(hit.status), project=hit.project,
            project_name=hit.project_name, topics=list(hit.topics), files=list(hit.files),
            created=hit.created, **extra,
        )


@dataclass(frozen=True, kw_only=True)
class HitOut(MemorySummary):
    """One search result: a listing entry plus its score and a highlighted snippet."""

    score: float
    snippet: str  # one line of the body around the matched words
    highlights: list[tuple[int, int]]  # [start, end) character offsets into snippet
    links: list[dict[str, Any]] = field(default_factory=list)  # LINK_STATE of each link


@dataclass(frozen=True, kw_only=True)
class SearchPayload:
    schema_version: int = SCHEMA_VERSION
    query: str
    projects: list[str] | None  # project ids searched; null = every project
    count: int
    hits: list[HitOut]


@dataclass(frozen=True, kw_only=True)
class ListPayload:
    schema_version: int = SCHEMA_VERSION
    projects: list[str] | None
    count: int
    memories: list[MemorySummary]


@dataclass(frozen=True)
class Result:
    """What a command's `run` returns: the data, and the exit code it implies."""

    payload: JsonShape | SearchPayload | ListPayload
    exit_code: int = 0


def to_json(payload: JsonShape | SearchPayload | ListPayload) -> str:
    """The payload as the `--json` output (the same format for both kinds of payload)."""
    if not is_dataclass(payload):
        return payload.model_dump_json(indent=2)
    return json.dumps(asdict(payload), indent=2, ensure_ascii=False, default=_json_value)


def _json_value(value: object) -> str:
    if isinstance(value, datetime):
        text = value.isoformat()  # pydantic's spelling: UTC as Z
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    raise TypeError(f"{type(value).__name__} is not JSON serializable")

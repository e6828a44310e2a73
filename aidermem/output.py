"""What the management commands hand back, and the pieces both renderers share.

Every command returns a `Result`: a pydantic payload (its `--json` shape,
documented by the models below and pinned by tests/test_cli_json.py) plus an
exit code. The CLI prints the payload as JSON, or asks the command module to
render it as text with a `Style` that knows whether bold is wanted.

Pure: no disk, git, index or terminal access here. Bump SCHEMA_VERSION when a
JSON shape changes incompatibly (a removed or retyped key); adding a key is
not a break.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict

from aidermem.models import Kind, Memory, Status

if TYPE_CHECKING:
    from aidermem.search import Hit

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


def short_ids(shown: Iterable[str], known: Iterable[str]) -> dict[str, str]:
    """The shortest prefix (at least SHORT_ID_MIN chars) of each shown id that no other
    known id shares, so it can be pasted back into `show`, `edit` or `forget`."""
    shown = list(shown)
    ids = sorted(set(known) | set(shown))
    position = {value: i for i, value in enumerate(ids)}
    result: dict[str, str] = {}
    for value in shown:
        i = position[value]
        common = 0
        for j in (i - 1, i + 1):
            if 0 <= j < len(ids):
                common = max(common, _common_prefix(value, ids[j]))
        result[value] = value[: max(SHORT_ID_MIN, common + 1)]
    return result


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def day(moment: datetime) -> str:
    """A date as the user reads it: in local time, YYYY-MM-DD."""
    return moment.astimezone().date().isoformat()


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


# --- JSON shapes -------------------------------------------------------------


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Payload(_Shape):
    schema_version: int = SCHEMA_VERSION


class MemorySummary(_Shape):
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
    created: AwareDatetime

    @classmethod
    def of(cls, memory: Memory, path: str, short_id: str) -> MemorySummary:
        return cls(
            id=memory.id, short_id=short_id, path=path, title=memory.title,
            kind=memory.kind, status=memory.status, project=memory.project,
            project_name=memory.project_name, topics=memory.topics, files=memory.files,
            created=memory.created,
        )

    @classmethod
    def of_hit(cls, hit: Hit, short_id: str, **extra: Any) -> Self:
        return cls(
            id=hit.id, short_id=short_id, path=hit.relpath, title=hit.title,
            kind=Kind(hit.kind), status=Status(hit.status), project=hit.project,
            project_name=hit.project_name, topics=list(hit.topics), files=list(hit.files),
            created=hit.created, **extra,
        )


class MemoryPayload(Payload):
    """`show --json`: the whole memory (fields as in models.Memory) and its file."""

    store: str  # the store's directory
    path: str  # the file, relative to the store
    memory: Memory


class AddPayload(Payload):
    store: str
    path: str
    memory: Memory
    redactions: int  # secrets replaced by [REDACTED:<kind>] before storing
    redaction_kinds: list[str]


class EditPayload(Payload):
    store: str
    path: str
    changed: bool  # false when the editor saved the file unchanged
    redactions: int
    memory: Memory


class ForgetPayload(Payload):
    store: str
    path: str
    action: Literal["archived", "deleted", "unchanged"]  # unchanged: already archived
    commit: str | None  # the store commit that recorded it
    recover: str  # a shell command that undoes it
    memory: MemorySummary


class HitOut(MemorySummary):
    """One search result: a listing entry plus its score and a highlighted snippet."""

    score: float
    snippet: str  # one line of the body around the matched words
    highlights: list[tuple[int, int]]  # [start, end) character offsets into snippet


class SearchPayload(Payload):
    query: str
    projects: list[str] | None  # project ids searched; null = every project
    count: int
    hits: list[HitOut]


class ListPayload(Payload):
    projects: list[str] | None
    count: int
    memories: list[MemorySummary]


class DigestDetailOut(_Shape):
    label: str  # "Why", "Root cause", "Fix" or "Open threads"
    text: str


class DigestItemOut(_Shape):
    id: str
    short_id: str
    path: str
    title: str
    kind: Kind
    created: AwareDatetime
    project: str
    project_name: str
    topics: list[str]
    summary: str
    details: list[DigestDetailOut]


class DigestSectionOut(_Shape):
    kind: Kind
    heading: str
    items: list[DigestItemOut]


class DigestPayload(Payload):
    scope: str
    query: str | None
    generated: AwareDatetime
    sections: list[DigestSectionOut]
    markdown: str


class SkippedFile(_Shape):
    path: str
    reason: str


class ReindexPayload(Payload):
    count: int
    seconds: float
    rate: float  # memories per second
    skipped: list[SkippedFile]


class ProjectCount(_Shape):
    project: str
    project_name: str
    count: int


class StatsPayload(Payload):
    store: str
    index: str
    store_files: int
    index_docs: int
    malformed: int
    total: int
    by_project: list[ProjectCount]
    by_kind: dict[str, int]
    by_status: dict[str, int]


class Check(_Shape):
    name: str
    status: Literal["ok", "warn", "fail"]
    detail: str


class DoctorPayload(Payload):
    ok: bool
    checks: list[Check]


@dataclass(frozen=True)
class Result:
    """What a command's `run` returns: the data, and the exit code it implies."""

    payload: Payload
    exit_code: int = 0

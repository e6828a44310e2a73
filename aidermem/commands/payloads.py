"""The `--json` shapes of the commands that write or inspect (pydantic models).

The read path's shapes (search, list) are dataclasses in output.py, which keeps
pydantic out of a search; both print the same JSON. See output.py for the rules
(SCHEMA_VERSION, what counts as a break).
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from aidermem.commands.output import SCHEMA_VERSION, MemorySummary
from aidermem.models import Kind, Memory


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Payload(_Shape):
    schema_version: int = SCHEMA_VERSION


class MemoryPayload(Payload):
    """`show --json`: the whole memory (fields as in models.Memory) and its file."""

    store: str  # the store's directory
    path: str  # the file, relative to the store
    memory: Memory
    links: list[LinkStateOut] = []  # each of memory.links, checked at HEAD


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


class ProjectOut(_Shape):
    id: str  # "" for global memories
    name: str
    memories: int  # active
    archived: int
    current: bool  # new memories made here go to this id
    alias_of: str | None  # the current project's id, for an earlier id of this checkout
    aliases: list[str]  # the current project's earlier ids (empty for the others)
    folder_gone: bool  # the id is a folder path (a repo without remote) that no longer exists


class ProjectsPayload(Payload):
    action: Literal["list"] = "list"
    current: str  # the current project's id
    projects: list[ProjectOut]


class ProjectChangePayload(Payload):
    """`projects merge` and `projects rename`: one store commit, undone by `recover`."""

    action: Literal["merge", "rename"]
    project: str  # the id whose memories changed
    target: str  # merge: the id they were filed under; rename: the project id again
    name: str  # the readable name they carry now
    changed: int  # memories rewritten
    commit: str | None  # null when nothing changed
    recover: str  # a shell command that undoes it


class LinkStateOut(_Shape):
    """One link of a memory and its state at HEAD (see links.State)."""

    path: str
    symbol: str | None  # None: a link to the whole file
    commit: str  # the commit the link was taken at
    state: Literal["fresh", "moved", "renamed", "changed", "gone", "unchecked"]
    reason: str  # why, in words; "" when fresh
    now: str | None  # moved or renamed: `path::symbol` as it stands at HEAD


class LinkedMemoryOut(_Shape):
    id: str
    short_id: str
    path: str
    title: str
    links: list[LinkStateOut]


class StalePayload(Payload):
    """`stale --json`: the current project's memories with a link that is not fresh."""

    head: str | None  # the checkout's HEAD the links were checked at
    memories: list[LinkedMemoryOut]


class VerifyPayload(Payload):
    """`verify --json`: the memory's links taken again at HEAD, committed."""

    store: str
    path: str
    head: str
    commit: str | None  # the store commit; None when nothing changed
    dropped: list[str]  # links to code that is gone, removed from the memory
    memory: Memory

"""The `--json` shapes of every command but search and list (pydantic models).

With output.py (the shared pieces and the read path's dataclasses, which keep
pydantic out of a search) this is the one place a `--json` shape is defined:
command modules build these and return them, and define none of their own.
tests/commands/test_cli_json.py pins each, key for key; see output.py for the
rules (SCHEMA_VERSION, what counts as a break). Pure: never reads a file, the
store or the index, and never imports a command module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from aidermem.commands.output import SCHEMA_VERSION, MemorySummary
from aidermem.models import Kind, Memory

if TYPE_CHECKING:
    from aidermem.config import ProfileInfo, ResolvedSettings


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


class RawFile(Payload):
    """`show --raw`: the file's text as stored. Text only; --raw refuses --json."""

    path: str
    text: str


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


class ContextPayload(Payload):
    """`context --json`: the context file a launch with these arguments would write now."""

    project: str
    project_name: str
    store: str
    context_file: bool  # false: aider would start with no context file at all
    reason: str | None  # why there is no context file
    query: str  # what retrieval searched for
    budget: int  # the token budget
    tokens: int  # the text's tokens (cl100k_base, or a safe over-estimate)
    tokens_exact: bool  # false when tiktoken's files were unavailable
    memory_ids: list[str]  # the memories shown, in order
    text: str  # the file's exact text ("" with no file)


# Each file and session entry carries schema_version too (they were built on Payload
# from the start); removing it would break the shape, so it stays.
class FileReport(Payload):
    """One history file of `import --json`."""

    path: str
    project: str
    project_name: str
    sessions: int
    imported: int
    trivial: int
    duplicates: int
    unsaved: int
    memories: int
    summarized: int
    summarize_errors: list[str]
    redactions: int


class ImportPayload(Payload):
    files: list[FileReport]


class Captured(Payload):
    """One journaled session `capture --pending --json` worked on."""

    session_id: str
    saved: list[str]
    titles: list[str]
    summarized: bool
    error: str | None
    skipped: str | None
    retry: bool  # still in the journal: a later run asks the model again


class CapturePayload(Payload):
    sessions: list[Captured]
    waiting: list[str]  # entries another process is working on, or that failed to open


class ProfileOut(_Shape):
    name: str
    description: str | None
    sources: list[str]  # files defining it, highest precedence first
    active: bool  # the profile a launch here would use


class ProfileListOut(_Shape):
    """`profiles --json`'s data."""

    profiles: list[ProfileOut]

    @classmethod
    def of(cls, infos: Sequence[ProfileInfo], active: str | None = None) -> ProfileListOut:
        return cls(profiles=[
            ProfileOut(name=info.name, description=info.description,
                       sources=[str(p) for p in info.sources], active=info.name == active)
            for info in infos
        ])


class SettingOut(_Shape):
    value: Any  # the setting's value as JSON
    source: str  # where it came from, in words (config.Origin.label)
    layer: Literal["default", "user", "project", "env", "cli"]


class ProfileShowOut(_Shape):
    """`profiles show --json`'s data: every setting, in Settings' order, with its origin."""

    profile: str
    selected_by: str  # "default", "env AIDERMEM_PROFILE" or "command line"
    description: str | None
    files: list[str]  # config files read, highest precedence first
    settings: dict[str, SettingOut]

    @classmethod
    def of(cls, resolved: ResolvedSettings) -> ProfileShowOut:
        values = resolved.settings.model_dump(mode="json")
        return cls(
            profile=resolved.profile, selected_by=resolved.profile_source,
            description=resolved.description, files=[str(p) for p in resolved.files],
            settings={key: SettingOut(value=values[key], source=origin.label,
                                      layer=origin.layer)
                      for key, origin in resolved.origins.items()},
        )


class ProfilesPayload(Payload):
    action: Literal["list", "show"]
    data: ProfileListOut | ProfileShowOut
    text: str = Field(default="", exclude=True)  # the text rendering; not part of --json


class McpPayload(Payload):
    """`mcp install --json` (and the server's own run, which prints nothing)."""

    action: Literal["served", "added", "updated", "unchanged", "run", "printed"]
    client: str | None = None
    path: str | None = None  # the config file written (or that would be)
    text: str = ""  # the config's new text, or the command to run

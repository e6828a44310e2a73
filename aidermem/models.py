"""The memory: the one record aidermem stores, searches and renders.

Plain data only. Nothing here touches disk, git, the index or the network.
"""

from __future__ import annotations

import os

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from aidermem.expansion import Expansion

# The vocabulary lives in kinds.py (no pydantic, cheap to import); re-exported here.
from aidermem.kinds import Kind, Method, Status, Tool, normalize_topic, now, slugify

__all__ = ["Kind", "Memory", "Method", "Source", "Status", "Tool", "new_id", "normalize_topic",
           "now", "slugify"]


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tool: Tool = Tool.CLI
    session_id: str | None = None
    conversation_id: str | None = None
    transcript: str | None = None
    session_start: AwareDatetime | None = None
    method: Method = Method.MANUAL
    # How many requests the session made to the model (sessions only; left out of the file
    # when unknown, so other memories' files do not change). See retrieve.is_real_session.
    requests: int | None = Field(default=None, exclude_if=lambda value: value is None)
    client: str | None = None  # tool mcp: the MCP client that wrote it, e.g. claude-code


class Link(BaseModel):
    """A memory's link to a file (`symbol` None) or a symbol in it, as taken at `commit`.

    One small mapping per link in front matter, readable and hand-editable; `links.py`
    checks it against the repository. The fingerprints are those of `fingerprint.py`.
    """

    model_config = ConfigDict(extra="forbid")

    path: str  # relative to the repository root, with `/`
    symbol: str | None = Field(default=None, exclude_if=lambda value: value is None)
    commit: str = ""  # the commit the link was taken at ("" = not yet taken)
    blob: str = ""  # the file's git blob at that commit
    body: str | None = Field(default=None, exclude_if=lambda value: value is None)
    shape: str | None = Field(default=None, exclude_if=lambda value: value is None)
    signature: str | None = Field(default=None, exclude_if=lambda value: value is None)

    @field_validator("path")
    @classmethod
    def _path_is_relative(cls, value: str) -> str:
        value = value.strip().replace("\\", "/").removeprefix("./")
        if not value:
            raise ValueError("path must not be empty")
        return value

    @field_validator("commit", "blob", mode="before")
    @classmethod
    def _hex_is_text(cls, value: object) -> object:
        # YAML reads an all-digit short sha as an int; shas are always text.
        return "" if value is None else str(value) if isinstance(value, int) else value

    def label(self) -> str:
        """`path::symbol`, or the path of a file link."""
        return f"{self.path}::{self.symbol}" if self.symbol else self.path


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # a ULID's alphabet: no I, L, O or U


def new_id() -> str:
    """26 random Crockford base32 chars (130 bits): a ULID's shape, random from the start.

    A ULID's first 10 chars are its millisecond, and ULIDs of one millisecond count up,
    so the memories of one capture shared 25 chars and no short prefix told them apart.
    Random ids differ early, as git's hashes do: 8 chars (40 bits) are unique in practice
    and `list` shows them. Order comes from `created`, never from the id. Ids made before
    (ULIDs) keep working: lookups are by prefix either way.
    """
    bits = int.from_bytes(os.urandom(17), "big") >> 6  # 136 random bits, 130 kept
    return "".join(_CROCKFORD[(bits >> shift) & 31] for shift in range(125, -1, -5))


class Memory(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=new_id)
    title: str
    kind: Kind = Kind.NOTE
    body: str = ""
    project: str = ""  # stable project identity, e.g. github.com/acme/shop; "" = global
    project_name: str = ""  # readable name, e.g. shop
    topics: list[str] = Field(default_factory=list)
    created: AwareDatetime = Field(default_factory=now)
    updated: AwareDatetime = Field(default_factory=now)
    source: Source = Field(default_factory=Source)
    files: list[str] = Field(default_factory=list)
    symbols: list[str] = Field(default_factory=list)  # reserved for code links
    commits: list[str] = Field(default_factory=list)
    # Links to code (issue #13); left out of the file when empty, so other files do not change.
    links: list[Link] = Field(default_factory=list, exclude_if=lambda value: not value)
    supersedes: list[str] = Field(default_factory=list)
    related: list[str] = Field(default_factory=list)  # ids of linked memories
    status: Status = Status.ACTIVE
    author: str | None = None
    # Questions, symptoms and aliases it should be found by (expansion.py); not in the file
    # when empty, so the files of memories without them do not change.
    expansion: Expansion = Field(default_factory=Expansion, exclude_if=lambda v: v.empty())

    @field_validator("id", mode="before")
    @classmethod
    def _id_is_text(cls, value: object) -> object:
        # YAML may hand back an int for an all-digit id; ids are always text.
        return str(value) if isinstance(value, int) else value

    @field_validator("title")
    @classmethod
    def _title_one_line(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("title must not be empty")
        return value

    @field_validator("topics")
    @classmethod
    def _topics_normalized(cls, value: list[str]) -> list[str]:
        seen: list[str] = []
        for topic in value:
            t = normalize_topic(str(topic))
            if t and t not in seen:
                seen.append(t)
        return seen

"""The memory: the one record aidermem stores, searches and renders.

Plain data only. Nothing here touches disk, git, the index or the network.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from ulid import ULID


class Kind(StrEnum):
    SESSION = "session"
    DECISION = "decision"
    BUG = "bug"
    CONVENTION = "convention"
    NOTE = "note"


class Status(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


class Tool(StrEnum):
    AIDER = "aider"
    CLI = "cli"
    MCP = "mcp"
    IMPORT = "import"


class Method(StrEnum):
    """How a memory's text came to be."""

    MANUAL = "manual"  # a person wrote it
    LLM = "llm"  # summarized by a model
    EXTRACTIVE = "extractive"  # deterministic extract, no model


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tool: Tool = Tool.CLI
    session_id: str | None = None
    conversation_id: str | None = None
    transcript: str | None = None
    session_start: AwareDatetime | None = None
    method: Method = Method.MANUAL


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def new_id() -> str:
    """A ULID: 26 Crockford base32 chars, sortable by creation time."""
    return str(ULID())


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
    supersedes: list[str] = Field(default_factory=list)
    related: list[str] = Field(default_factory=list)  # ids of linked memories
    status: Status = Status.ACTIVE
    author: str | None = None

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


def normalize_topic(topic: str) -> str:
    """Topics are lowercase, hyphen-joined words: 'Auth Flow' -> 'auth-flow'."""
    return "-".join(topic.strip().lower().replace("_", " ").split())


_SLUG_STRIP = re.compile(r"[^\w\s-]", re.UNICODE)
_SLUG_JOIN = re.compile(r"[\s_-]+")


def slugify(text: str, max_len: int = 50) -> str:
    """A filesystem-safe slug that keeps non-Latin letters readable."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _SLUG_STRIP.sub("", text)
    text = _SLUG_JOIN.sub("-", text).strip("-")
    return text[:max_len].rstrip("-") or "memory"

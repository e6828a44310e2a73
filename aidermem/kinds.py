"""The words memories are described with: kinds, statuses, sources, topics, slugs.

Plain enums and pure functions, importable without pydantic, so read-only
commands (search, list) stay fast. models.py builds the Memory record on them.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from enum import StrEnum


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


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def day(moment: datetime) -> str:
    """A date as the user reads it: in local time, YYYY-MM-DD."""
    return moment.astimezone().date().isoformat()


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

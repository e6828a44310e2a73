"""What a memory's dense vector is made of, and the hash that says when it must be redone.

Shared by documents.py (which stores the hash in each index document, computed where
the memory is parsed) and vectors.py (which embeds the texts and keeps the vectors by
hash). Pure: plain data in, plain data out.
"""

from __future__ import annotations

import hashlib
from typing import Any


def text_of(display: dict[str, Any]) -> str:
    """What is embedded for a memory: its title and body."""
    return f"{display.get('title', '')}\n{display.get('body', '')}"


def expansion_of(display: dict[str, Any]) -> str:
    """A memory's questions, symptoms and aliases, embedded on their own: appended to the
    body they would fall past embedding.MAX_CHARS for any memory with a long body."""
    return "\n".join(display.get("expansion") or ())


def hash_of(text: str, expansion: str) -> str:
    """What a memory's vector depends on (without an expansion: as before there was one, so
    upgrading re-embeds nothing)."""
    return content_hash(f"{text}\n{expansion}" if expansion else text)


def content_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=12).hexdigest()

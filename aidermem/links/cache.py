"""The definitions of each git blob, cached in one JSON file next to the index.

A blob never changes, so what tree-sitter found in it once is true forever: parsing a
file happens once per blob, on any machine, whatever the number of memories linking
to it. The file is a cache like the index: deleting it costs one parse per blob, and a
file that does not read back (truncated, hand-edited, another format) is started afresh.
Nothing here touches git or the store.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aidermem.atomic import write_atomic
from aidermem.links.fingerprint import Definition, Fingerprints

FILE_NAME = "fingerprints.json"
_FORMAT = 1
_MAX_ENTRIES = 50_000  # past this the cache starts over rather than grow without end


class FingerprintCache:
    """`file name:blob` -> definitions (None: none to offer: binary, no grammar)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._entries: dict[str, list[list[Any]] | None] | None = None
        self._dirty = False

    def get(self, key: str) -> list[Definition] | bool | None:
        """The cached definitions, None for "none to offer", False when not cached."""
        entries = self._load()
        if key not in entries:
            return False
        rows = entries[key]
        if rows is None:
            return None
        return [Definition(name=r[0], kind=r[1], line=r[2], fingerprints=Fingerprints(*r[3:6]))
                for r in rows]

    def put(self, key: str, defs: list[Definition] | None) -> None:
        entries = self._load()
        if len(entries) >= _MAX_ENTRIES:
            entries.clear()
        entries[key] = None if defs is None else [
            [d.name, d.kind, d.line, d.fingerprints.body, d.fingerprints.shape,
             d.fingerprints.signature] for d in defs]
        self._dirty = True

    def save(self) -> None:
        """Write what was added; a cache that cannot be written is only a slower next time."""
        if not self._dirty or self.path is None or self._entries is None:
            return
        data = json.dumps({"format": _FORMAT, "blobs": self._entries}, separators=(",", ":"))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, data.encode("utf-8"), durable=False)
        except OSError:
            return
        self._dirty = False

    def _load(self) -> dict[str, list[list[Any]] | None]:
        if self._entries is None:
            self._entries = _read(self.path)
        return self._entries


def _read(path: Path | None) -> dict[str, list[list[Any]] | None]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}  # missing or corrupted: rebuilt as blobs are seen
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        return {}
    blobs = data.get("blobs")
    if not isinstance(blobs, dict) or not all(_row_ok(v) for v in blobs.values()):
        return {}
    return blobs


def _row_ok(rows: object) -> bool:
    if rows is None:
        return True
    return isinstance(rows, list) and all(
        isinstance(r, list) and len(r) == 6 and isinstance(r[0], str) and isinstance(r[2], int)
        and all(isinstance(x, str) for x in (r[1], *r[3:6]))
        for r in rows)

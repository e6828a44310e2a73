"""A few changed memories' vectors, kept beside the vector cache until they are many.

After an `aidermem add` or a captured session the index holds a handful of new or edited
memories. Rewriting `vectors.bin` for them (vectors.py) means importing numpy and
requantizing every memory's vector, ~0.3 s at 10,000 memories, on the first search after
each change. Instead that search writes `vectors-delta.json`: which of the cache's rows
no longer stand (removed or edited memories) and the vectors of the memories the cache
lacks, embedded in pure Python (embedding.embed_query, the same vector a reindex gives).
It names the cache file it amends by stamp, so a delta left behind by a rebuild of the
cache is ignored; and it is only a cache: damaged or missing, it is rebuilt from the index.
Once it would hold more than MAX_EXTRA vectors (or MAX_EMBED new ones at once, where
numpy's bulk path is faster), vectors.py rewrites the whole cache instead.

`Overlay` answers like the cache itself (relpaths, hashes, row, nearest), with the delta
applied.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import json
import math
import operator
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from aidermem import atomic
from aidermem.index import embedding

FILE = "vectors-delta.json"
FORMAT = 1
MAX_EXTRA = 64  # vectors held here before the cache is rewritten
MAX_EMBED = 16  # memories embedded one by one in pure Python (~10 ms each) per follow
MAX_HIDDEN = 512  # removed or edited rows of the cache
_ROW32 = struct.Struct(f"<{embedding.DIM}f")

Row = tuple[float, ...]


class Base(Protocol):
    """What an overlay needs of the cache it amends (vectors.Vectors)."""

    @property
    def relpaths(self) -> list[str]: ...

    @property
    def hashes(self) -> list[str]: ...

    def row(self, i: int) -> Row: ...

    def nearest(self, query: Sequence[float], k: int,
                skip: frozenset[int] = frozenset()) -> list[tuple[int, float]]: ...


@dataclass(frozen=True)
class Doc:
    """One indexed memory as the vector cache sees it: its relpath, the hash of its embedded
    text, and that text and expansion (empty when the hash was already known)."""

    relpath: str
    hash: str
    text: str = ""
    expansion: str = ""


@dataclass(frozen=True)
class Delta:
    base: str  # the stamp of the vectors.bin this amends
    stamp: str  # the index commit it brings that file up to
    hidden: frozenset[int]  # rows of the base that no longer stand
    extra: tuple[tuple[str, str, Row], ...]  # (relpath, hash, unit vector)


def read(path: Path) -> Delta | None:
    """The delta in `path`, or None when absent, damaged or of another format or model."""
    try:
        data = json.loads(path.read_bytes())
        if data["format"] != FORMAT or data["model"] != embedding.MODEL:
            return None
        extra = tuple((str(r), str(h), _ROW32.unpack(base64.b64decode(v)))
                      for r, h, v in data["extra"])
        return Delta(str(data["base"]), str(data["stamp"]),
                     frozenset(int(i) for i in data["hidden"]), extra)
    except (OSError, ValueError, KeyError, TypeError, struct.error):
        return None  # only a cache: the caller follows the index again


def write(path: Path, delta: Delta) -> None:
    """Write `delta` (temp file + rename); a delta that cannot be written is redone later."""
    data = {"format": FORMAT, "model": embedding.MODEL, "base": delta.base,
            "stamp": delta.stamp, "hidden": sorted(delta.hidden),
            "extra": [[r, h, base64.b64encode(_ROW32.pack(*v)).decode("ascii")]
                      for r, h, v in delta.extra]}
    with contextlib.suppress(OSError):
        atomic.write_atomic(path, json.dumps(data).encode("utf-8"))


def follow(base_stamp: str, base: Base, previous: Delta | None, docs: Iterable[Doc],
           now: str, cache_dir: Path) -> Delta | None:
    """The delta that brings `base` to the index's `docs`, reusing the base's rows and
    `previous`'s vectors by hash; None when it would be too large (rewrite the cache)."""
    at = {key: j for j, key in enumerate(zip(base.relpaths, base.hashes, strict=True))}
    by_hash = dict(zip(base.hashes, range(len(base.hashes)), strict=True))
    known = {h: row for _, h, row in previous.extra} if previous is not None else {}
    used: set[int] = set()
    extra: list[tuple[str, str, Row]] = []
    fresh = 0
    for doc in docs:
        j = at.get((doc.relpath, doc.hash))
        if j is not None:
            used.add(j)
            continue
        row = known.get(doc.hash)
        if row is None and doc.hash in by_hash:  # same text under another name
            row = base.row(by_hash[doc.hash])
        if row is None:
            fresh += 1
            if fresh > MAX_EMBED:
                return None
            row = embed_one(doc.text, doc.expansion, cache_dir)
        extra.append((doc.relpath, doc.hash, row))
        if len(extra) > MAX_EXTRA:
            return None
    hidden = frozenset(range(len(base.relpaths))).difference(used)
    if len(hidden) > MAX_HIDDEN:
        return None
    return Delta(base_stamp, now, hidden, tuple(extra))


def embed_one(text: str, expansion: str, cache_dir: Path) -> Row:
    """A memory's vector as vectors.py's bulk path makes it (the mean of the unit vectors
    of its text and its expansion, renormalized), in pure Python."""
    vector = embedding.embed_query(text, cache_dir)
    if expansion:
        both = list(map(operator.add, vector, embedding.embed_query(expansion, cache_dir)))
        norm = math.sqrt(sum(x * x for x in both))
        vector = [x / norm for x in both] if norm > 0 else both
    return tuple(vector)


class Overlay:
    """The cache with a delta applied: rows of the base that still stand, in order, then
    the delta's vectors. Answers as vectors.Vectors does."""

    def __init__(self, base: Base, delta: Delta) -> None:
        self._base = base
        self._hidden = delta.hidden
        self._gaps = sorted(delta.hidden)
        live = [j for j in range(len(base.relpaths)) if j not in delta.hidden] \
            if delta.hidden else range(len(base.relpaths))
        self._live = live
        self._extra = [row for _, _, row in delta.extra]
        self.relpaths = [base.relpaths[j] for j in live] + [r for r, _, _ in delta.extra]
        self.hashes = [base.hashes[j] for j in live] + [h for _, h, _ in delta.extra]

    def row(self, i: int) -> Row:
        if i < len(self._live):
            return self._base.row(self._live[i])
        return self._extra[i - len(self._live)]

    def nearest(self, query: Sequence[float], k: int) -> list[tuple[int, float]]:
        """The `k` rows nearest to the unit vector `query`, by cosine, nearest first."""
        if not any(query):
            return []
        found = [(j - bisect.bisect_left(self._gaps, j), sim)
                 for j, sim in self._base.nearest(query, k, skip=self._hidden)]
        first = len(self._live)
        found += [(first + m, sum(map(operator.mul, query, row)))
                  for m, row in enumerate(self._extra)]
        found.sort(key=lambda pair: -pair[1])
        return found[:k]

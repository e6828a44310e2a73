"""The vector cache: one dense vector per indexed memory, beside the Tantivy index.

A cache like the index itself, never the truth: `vectors.npz` in the index
directory holds the memories' relpaths, the hash of each one's embedded text
(title and body) and the vectors, plus the stamp of the Tantivy commit they
were taken from (meta.json's inode, size and mtime, which every commit
replaces). `current(index)` returns them for the index as it is now: when the
stamp still matches it reads one file; when the index changed since, it walks
the index's stored documents once, embeds only the texts whose hash it has not
seen, and writes the file anew (temp file + rename). A missing, truncated or
foreign file is rebuilt the same way; deleting it loses nothing.

Nothing here decides ranking (search.py does) or loads the model itself
(embedding.py does).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aidermem import atomic
from aidermem.index import embedding

if TYPE_CHECKING:
    from aidermem.index.memory_index import MemoryIndex

FILE = "vectors.npz"
FORMAT = 1


@dataclass(frozen=True)
class Vectors:
    relpaths: list[str]
    matrix: Any  # numpy float32 array, one L2-normalized row per relpath


def text_of(display: dict[str, Any]) -> str:
    """What is embedded for a memory: its title and body."""
    return f"{display.get('title', '')}\n{display.get('body', '')}"


def content_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=12).hexdigest()


def stamp(index: MemoryIndex) -> str:
    """Which Tantivy commit the index is at (meta.json is replaced by every commit)."""
    try:
        st = (index.path / "meta.json").stat()
    except OSError:
        return ""
    return f"{FORMAT}:{embedding.MODEL}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def current(index: MemoryIndex) -> Vectors:
    """The vectors of every document in `index`, brought up to date if it changed."""
    path = index.directory / FILE
    now = stamp(index)
    cached = _read(path)
    if cached is not None and now and cached[0] == now:
        return Vectors(cached[1], cached[3])
    return _rebuild(index, path, now, cached)


def _read(path: Path) -> tuple[str, list[str], list[str], Any] | None:
    """(stamp, relpaths, hashes, matrix), or None when absent or unreadable."""
    import zipfile

    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as data:
            head = json.loads(str(data["head"]))
            relpaths, hashes = list(map(str, data["relpaths"])), list(map(str, data["hashes"]))
            matrix = np.asarray(data["matrix"], dtype=np.float32)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None  # a damaged cache is only a cache: rebuilt below
    shape_ok = matrix.ndim == 2 and matrix.shape == (len(relpaths), embedding.DIM)
    if not isinstance(head, dict) or not shape_ok or len(hashes) != len(relpaths):
        return None
    return str(head.get("stamp", "")), relpaths, hashes, matrix


def _rebuild(index: MemoryIndex, path: Path, now: str,
             cached: tuple[str, list[str], list[str], Any] | None) -> Vectors:
    import numpy as np
    import tantivy

    known: dict[str, Any] = {}
    if cached is not None:
        known = {h: cached[3][i] for i, h in enumerate(cached[2])}
    searcher = index.searcher()
    relpaths, hashes, texts = [], [], []
    total = searcher.num_docs
    if total:
        for _, addr in searcher.search(tantivy.Query.all_query(), total, count=False).hits:
            doc = searcher.doc(addr)
            display = json.loads(doc.get_first("doc") or b"{}")
            text = text_of(display)
            relpaths.append(str(doc.get_first("relpath")))
            hashes.append(content_hash(text))
            texts.append(text)
    matrix = np.zeros((len(relpaths), embedding.DIM), dtype=np.float32)
    missing = [i for i, h in enumerate(hashes) if h not in known]
    for i, h in enumerate(hashes):
        if h in known:
            matrix[i] = known[h]
    if missing:
        matrix[missing] = embedding.embed([texts[i] for i in missing])
    if now:  # an index with no commit on disk (built in memory, index_fallback) has no stamp
        _write(path, now, relpaths, hashes, matrix)
    return Vectors(relpaths, matrix)


def _write(path: Path, now: str, relpaths: list[str], hashes: list[str], matrix: Any) -> None:
    """Atomically; a cache that cannot be written is simply rebuilt next time."""
    import numpy as np

    buffer = io.BytesIO()
    np.savez(buffer, head=np.array(json.dumps({"stamp": now})),
             relpaths=np.array(relpaths, dtype=str), hashes=np.array(hashes, dtype=str),
             matrix=matrix)
    with contextlib.suppress(OSError):
        atomic.write_atomic(path, buffer.getvalue())

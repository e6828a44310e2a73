"""The vector cache: one dense vector per indexed memory, beside the Tantivy index.

A cache like the index itself, never the truth: `vectors.bin` in the index directory
holds the memories' relpaths, the hash of each one's embedded text (title and body, and
its expansion: expansion.py), the vectors, and the stamp of the Tantivy commit they were
taken from (meta.json's inode, size and mtime, which every commit replaces).
`current(index)` returns them for the index as it is now: when the stamp still matches
it maps one file; when the index changed since, it walks the index's stored documents
once and, when only a few memories changed, records them in a delta beside the file
(vector_delta.py: no numpy, the big file untouched); otherwise it embeds the texts whose
hash it has not seen (a reindex keeps the vectors of unchanged memories) and writes the
file anew (temp file + rename). A missing, truncated or foreign file is rebuilt the same
way; deleting it loses nothing.

The file is laid out for a search that imports no numpy (~100 ms of a ~70 ms
search otherwise): besides float16 rows it holds the vectors quantized to 8
bits, transposed, one 32-bit lane per memory, so `Vectors.nearest` scores every
memory with 257 multiply-adds of Python big integers (each column one integer;
the lanes never carry into each other), ~8 ms at 10,000 memories, then rescores
the best few hundred exactly from the float16 rows. Rebuilding uses numpy.

Nothing here decides ranking (search.py and fusion.py do) or loads the model
itself (embedding.py does).
"""

from __future__ import annotations

import contextlib
import heapq
import json
import mmap
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aidermem import atomic
from aidermem.index import embedding, vector_delta
from aidermem.index.vector_text import expansion_of, hash_of, text_of

if TYPE_CHECKING:
    from aidermem.index.memory_index import MemoryIndex

FILE = "vectors.bin"
_OLD_FILE = "vectors.npz"  # format 1 (numpy's), replaced by FILE
FORMAT = 2
_MAGIC = b"aidermem vectors\n"
_HASH_CHARS = 24  # blake2b, 12 bytes, in hex
_LANE_BIAS = 1 << 23  # keeps every lane positive: see _columns
RESCORE = 300  # memories rescored exactly from the float16 rows, at least


@dataclass(frozen=True)
class Vectors:
    """The cache as read: relpaths in row order, and views on the file's two matrices."""

    relpaths: list[str]
    hashes: list[str]
    columns: memoryview  # (DIM + 1) columns of len(relpaths) uint32 lanes; the last: biases
    rows: memoryview  # float16, little-endian, len(relpaths) rows of DIM

    def row(self, i: int) -> tuple[float, ...]:
        values: tuple[float, ...] = embedding.ROW.unpack_from(self.rows, i * embedding.ROW.size)
        return values

    def nearest(self, query: Sequence[float], k: int,
                skip: frozenset[int] = frozenset()) -> list[tuple[int, float]]:
        """The `k` rows nearest to the unit vector `query`, by cosine, nearest first (rows
        in `skip` left out: a delta's removed or edited memories, vector_delta.py)."""
        n = len(self.relpaths)
        top = max((abs(x) for x in query), default=0.0)
        if not n or top == 0.0:
            return []
        width = 4 * n
        col = self.columns
        # sum_d (q_d + 128)(u_d) + bias = q.v + a constant (see _columns); q_d + 128 in 1..255
        total = int.from_bytes(col[embedding.DIM * width:(embedding.DIM + 1) * width], "little")
        for d, q in enumerate(query):
            total += (round(q * 127 / top) + 128) * int.from_bytes(
                col[d * width:(d + 1) * width], "little")
        lanes = memoryview(total.to_bytes(width, "little")).cast("I")
        rows = (j for j in range(n) if j not in skip) if skip else range(n)
        pool = heapq.nlargest(min(n, max(RESCORE, 3 * k)), rows, key=lanes.__getitem__)
        exact = [(i, sum(map(operator.mul, query, self.row(i)))) for i in pool]
        exact.sort(key=lambda pair: -pair[1])
        return exact[:k]


def stamp(index: MemoryIndex) -> str:
    """Which Tantivy commit the index is at (meta.json is replaced by every commit)."""
    try:
        st = (index.path / "meta.json").stat()
    except OSError:
        return ""
    return f"{FORMAT}:{embedding.MODEL}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def current(index: MemoryIndex) -> Vectors | vector_delta.Overlay:
    """The vectors of every document in `index`, brought up to date if it changed: by a
    delta beside the file when few memories changed (vector_delta.py), else anew."""
    path = index.directory / FILE
    delta_path = index.directory / vector_delta.FILE
    now = stamp(index)
    cached = read(path)
    if cached is not None and now and cached[0] == now:
        return cached[1]
    delta, known = None, set()
    if cached is not None:
        delta = vector_delta.read(delta_path)
        if delta is not None and delta.base != cached[0]:
            delta = None  # it amends a cache since rewritten
        if delta is not None and now and delta.stamp == now:
            return vector_delta.Overlay(cached[1], delta)
        known = set(cached[1].hashes)
        if delta is not None:
            known.update(h for _, h, _ in delta.extra)
    docs = _walk(index, known)
    if cached is not None and now:
        followed = vector_delta.follow(cached[0], cached[1], delta, docs, now,
                                       index.directory)
        if followed is not None:
            vector_delta.write(delta_path, followed)
            return vector_delta.Overlay(cached[1], followed)
    return _rebuild(index, path, now, docs, cached[1] if cached is not None else None, delta)


def read(path: Path) -> tuple[str, Vectors] | None:
    """(stamp, vectors), or None when absent, damaged or of another format or model."""
    try:
        with path.open("rb") as f:
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # ValueError: an empty file cannot be mapped
        return None
    try:
        return _parse(mapped)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None  # a damaged cache is only a cache: rebuilt by the caller


def _parse(mapped: mmap.mmap) -> tuple[str, Vectors] | None:
    if mapped[:len(_MAGIC)] != _MAGIC:
        return None
    end = mapped.find(b"\n", len(_MAGIC))
    head = json.loads(mapped[len(_MAGIC):end])
    if not isinstance(head, dict) or head.get("format") != FORMAT \
            or head.get("model") != embedding.MODEL:
        return None
    n, dim = int(head["count"]), embedding.DIM
    sizes = [int(head["relpaths"]), n * _HASH_CHARS, 4 * n * (dim + 1), 2 * n * dim]
    start = end + 1
    if start + sum(sizes) != len(mapped):
        return None
    view = memoryview(mapped)
    bounds = [start]
    for size in sizes:
        bounds.append(bounds[-1] + size)
    relpaths = bytes(view[bounds[0]:bounds[1]]).decode("utf-8").split("\n") if n else []
    hashes_blob = bytes(view[bounds[1]:bounds[2]]).decode("ascii")
    if len(relpaths) != n:
        return None
    hashes = [hashes_blob[i:i + _HASH_CHARS] for i in range(0, len(hashes_blob), _HASH_CHARS)]
    return str(head["stamp"]), Vectors(relpaths, hashes, view[bounds[2]:bounds[3]],
                                       view[bounds[3]:bounds[4]])


def _walk(index: MemoryIndex, known: set[str]) -> list[vector_delta.Doc]:
    """Every indexed memory's relpath and vector hash, with its texts unless the hash is
    in `known` (then no JSON is decoded: documents.py stored the hash)."""
    import tantivy

    searcher = index.searcher()
    total = searcher.num_docs
    docs: list[vector_delta.Doc] = []
    if not total:
        return docs
    for _, addr in searcher.search(tantivy.Query.all_query(), total, count=False).hits:
        doc = searcher.doc(addr)
        relpath = str(doc.get_first("relpath"))
        stored = doc.get_first("vector_hash")
        if isinstance(stored, str) and stored in known:
            docs.append(vector_delta.Doc(relpath, stored))
            continue
        display = json.loads(doc.get_first("doc") or b"{}")
        text, expansion = text_of(display), expansion_of(display)
        docs.append(vector_delta.Doc(relpath, hash_of(text, expansion), text, expansion))
    return docs


def _rebuild(index: MemoryIndex, path: Path, now: str, docs: list[vector_delta.Doc],
             cached: Vectors | None, delta: vector_delta.Delta | None) -> Vectors:
    import numpy as np

    known: dict[str, Any] = {}  # hash -> row
    if cached is not None:
        old = np.frombuffer(cached.rows, dtype="<f2").reshape(-1, embedding.DIM)
        known = dict(zip(cached.hashes, old, strict=True))
    if delta is not None:
        known.update((h, np.asarray(row, dtype=np.float32)) for _, h, row in delta.extra)
    relpaths = [d.relpath for d in docs]
    hashes = [d.hash for d in docs]
    matrix = np.zeros((len(relpaths), embedding.DIM), dtype=np.float32)
    missing = [i for i, h in enumerate(hashes) if h not in known]
    reused = [i for i, h in enumerate(hashes) if h in known]
    if reused:
        matrix[reused] = np.stack([known[hashes[i]] for i in reused])
    if missing:
        matrix[missing] = embedding.embed([docs[i].text for i in missing], index.directory)
        _add_expansions(matrix, [i for i in missing if docs[i].expansion],
                        [d.expansion for d in docs], index.directory)
    blob = _encode(now, relpaths, hashes, matrix)
    if now:  # an index with no commit on disk (built in memory, index_fallback) has no stamp
        with contextlib.suppress(OSError):  # a cache that cannot be written is rebuilt later
            atomic.write_atomic(path, blob)
            (path.parent / _OLD_FILE).unlink(missing_ok=True)
            (path.parent / vector_delta.FILE).unlink(missing_ok=True)
    return _parse_bytes(blob)


def _add_expansions(matrix: Any, rows: list[int], expansions: list[str],
                    cache_dir: Path) -> None:
    """Each of `rows` becomes the mean of its memory's unit vector and its expansion's,
    renormalized: what the memory says and what it answers count the same (weights 0.5 and
    2 for the expansion moved paraphrase MRR by less than 0.04 either way; BENCHMARKS.md)."""
    import numpy as np

    if not rows:
        return
    both = matrix[rows] + embedding.embed([expansions[i] for i in rows], cache_dir)
    norms = np.linalg.norm(both, axis=1, keepdims=True)
    matrix[rows] = np.divide(both, norms, out=np.zeros_like(both), where=norms > 0)


def _parse_bytes(blob: bytes) -> Vectors:
    """The Vectors of a file's bytes just built (kept in memory when it cannot be written)."""
    anonymous = mmap.mmap(-1, max(len(blob), 1))
    anonymous.write(blob)
    parsed = _parse(anonymous) if len(blob) else None
    if parsed is None:
        raise ValueError("the vector cache just built does not parse")  # a bug, not input
    return parsed[1]


def _columns(matrix: Any) -> bytes:
    """The vectors as 8-bit values v = round(x * 127 / max|x|), stored as u = v + 128 in
    1..255, one 32-bit lane per memory and one column per dimension, then a column of
    per-memory biases 2**23 - 128 * sum(v). For a query quantized the same way, each lane of
    sum_d (q_d + 128) * u_d + bias is q.v + 128 * sum(q) + 256 * 128**2 + 2**23: the same
    constant for every memory, so the lanes order as the dot products. A lane stays below
    255 * 255 * 256 + 2**23 + 128 * 127 * 256 < 2**25 and above 0, so none carries into the
    next."""
    import numpy as np

    top = float(np.abs(matrix).max()) if matrix.size else 0.0
    v = np.rint(matrix * (127 / top)).astype(np.int64) if top > 0 else \
        np.zeros(matrix.shape, dtype=np.int64)
    bias = _LANE_BIAS - 128 * v.sum(axis=1)
    lanes = np.vstack([(v + 128).T, bias[None, :]]).astype("<u4")
    return bytes(np.ascontiguousarray(lanes).tobytes())


def _encode(now: str, relpaths: list[str], hashes: list[str], matrix: Any) -> bytes:
    paths_blob = "\n".join(relpaths).encode("utf-8")
    head = {"format": FORMAT, "model": embedding.MODEL, "stamp": now, "count": len(relpaths),
            "relpaths": len(paths_blob)}
    return b"".join([_MAGIC, json.dumps(head).encode("ascii"), b"\n", paths_blob,
                     "".join(hashes).encode("ascii"), _columns(matrix),
                     matrix.astype("<f2").tobytes()])

"""What the index stores for a memory, and making those documents from many files.

`doc_fields` turns one memory into the plain data of its index document
(picklable); `parsed` reads and parses a list of memory files into documents,
spread over worker processes when there are many, because parsing is most of a
rebuild's cost. The index (index.py) decides what to read and writes the
documents; this module never touches the index or the store's git.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tantivy

from aidermem.errors import MemoryFileError
from aidermem.index import analysis, linkscan, vector_text

if TYPE_CHECKING:
    from aidermem.models import Memory
    from aidermem.store.store import Store

SCHEMA_VERSION = 6  # part of index.FORMAT: a change rebuilds every index
# Analyzed text fields (tokenized by analysis' registered analyzer).
TEXT_FIELDS = ("title", "body", "topics", "files", "symbols", "expansion")
# Bodies longer than this are indexed whole but stored (for snippets) cut.
STORED_BODY_CHARS = 20_000
BULK_MIN_FILES = 500  # below this a rebuild parses in-process (no worker start-up)
BULK_CHUNK = 256
CHUNK_TIMEOUT = 120.0  # seconds; a chunk takes well under one

Parsed = tuple[str, dict[str, Any] | str]  # relpath, document fields or why it failed


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("relpath", stored=True, tokenizer_name="raw")
    for name in TEXT_FIELDS:
        # No positions: queries are bags of terms, never phrases.
        sb.add_text_field(name, tokenizer_name=analysis.TOKENIZER_NAME, index_option="freq")
    for name in ("kind", "project", "project_name", "topics_raw", "status", "session_id",
                 "conversation_id", linkscan.FIELD):
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("created", indexed=True, fast=True)  # epoch seconds
    sb.add_bytes_field("doc", stored=True)  # JSON display fields (see doc_fields)
    # What the memory's vector depends on (vector_text.hash_of), so the vector cache finds the
    # memories that changed without decoding every document's JSON.
    sb.add_text_field("vector_hash", stored=True, tokenizer_name="raw", index_option="basic")
    return sb.build()


def doc_fields(relpath: str, memory: Memory) -> dict[str, Any]:
    """The index document for one memory, as plain data (picklable, so bulk
    rebuilds can make it in worker processes)."""
    prep = analysis.prepare
    # expansion.py holds a pydantic model; a Memory is one too, so nothing new loads here,
    # while `search` (which imports this module, never this function) stays pydantic-free.
    from aidermem.expansion import derived_aliases

    display: dict[str, Any] = {
        "id": memory.id, "title": memory.title, "kind": str(memory.kind),
        "project": memory.project, "project_name": memory.project_name,
        "topics": memory.topics, "files": memory.files, "status": str(memory.status),
        "created": memory.created.isoformat(), "body": memory.body[:STORED_BODY_CHARS],
    }
    if not memory.expansion.empty():
        display["expansion"] = memory.expansion.texts()
    if not memory.expansion.empty():  # embedded beside title and body (vectors.py)
        display["expansion"] = memory.expansion.texts()
    if memory.links:  # checked where the memory is used (linkuse); absent when none
        display["links"] = [link.model_dump(mode="json") for link in memory.links]
    fields: dict[str, Any] = {
        "id": memory.id, "relpath": relpath,
        "title": prep(memory.title), "body": prep(memory.body),
        "topics": prep(" ".join(memory.topics)), "files": prep(" ".join(memory.files)),
        "symbols": prep(" ".join(memory.symbols)),
        "expansion": prep("\n".join([*memory.expansion.texts(),
                                      *derived_aliases(memory.files)])),
        "kind": str(memory.kind), "project": memory.project,
        "project_name": memory.project_name.lower(), "topics_raw": memory.topics,
        "status": str(memory.status), "created": int(memory.created.timestamp()),
        "doc": json.dumps(display, ensure_ascii=False).encode("utf-8", "replace"),
        "vector_hash": vector_text.hash_of(vector_text.text_of(display),
                                           vector_text.expansion_of(display)),
    }
    if memory.links:  # what `aidermem stale` and the launch's warm-up find links by
        fields[linkscan.FIELD] = linkscan.keys(memory.project, memory.links)
    if memory.source.session_id:
        fields["session_id"] = memory.source.session_id
    if memory.source.conversation_id:
        fields["conversation_id"] = memory.source.conversation_id
    return fields


_worker_store: Store | None = None


def load_fields(store: Store, relpath: str) -> dict[str, Any] | str:
    """Document fields, or why the file did not parse (a plain string: MemoryFileError
    does not survive pickling, and a result that fails to unpickle would hang a pool)."""
    try:
        return doc_fields(relpath, store.load(relpath))
    except MemoryFileError as exc:
        return exc.reason


def _init_worker(root: str) -> None:
    global _worker_store  # one Store per worker process, set once
    from aidermem.store import memfile  # noqa: F401  now, while the parent lists the store
    from aidermem.store.store import Store

    _worker_store = Store(Path(root))


def _load_chunk(relpaths: list[str]) -> list[Parsed]:
    assert _worker_store is not None
    return [(p, load_fields(_worker_store, p)) for p in relpaths]


class Parser:
    """Parses memory files into documents: in worker processes when about `expected`
    files make it worth it (parsing is most of a rebuild's cost), else in this one.

    The workers start (fork) when the Parser is made, so make it before this process
    runs any tantivy thread, and early: they load the parsing modules while the caller
    reads HEAD and lists the store.
    """

    def __init__(self, store: Store, expected: int) -> None:
        self.store = store
        self._pool: Any = None
        workers = min(len(os.sched_getaffinity(0)), 4)
        if expected >= BULK_MIN_FILES and workers >= 2:
            import multiprocessing  # ~16 ms; only big rebuilds use it

            context = multiprocessing.get_context("fork")
            self._pool = context.Pool(workers, initializer=_init_worker,
                                      initargs=(str(store.root),))

    def parse(self, relpaths: list[str]) -> Iterator[Parsed]:
        """(relpath, fields or parse failure) for each file, in order."""
        if self._pool is None:
            return ((p, load_fields(self.store, p)) for p in relpaths)
        chunks = [relpaths[i : i + BULK_CHUNK] for i in range(0, len(relpaths), BULK_CHUNK)]
        return _results(self.store, self._pool.imap(_load_chunk, chunks), chunks)

    def __enter__(self) -> Parser:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()


@contextlib.contextmanager
def parsed(store: Store, relpaths: list[str]) -> Iterator[Iterator[Parsed]]:
    """Parser(store, len(relpaths)).parse(relpaths), with the workers cleaned up after."""
    with Parser(store, len(relpaths)) as parser:
        yield parser.parse(relpaths)


def _results(
    store: Store, results: Any, chunks: list[list[str]]
) -> Iterator[Parsed]:
    import multiprocessing

    for done, _ in enumerate(chunks):
        try:
            yield from results.next(timeout=CHUNK_TIMEOUT)
        except multiprocessing.TimeoutError:  # a worker died (killed, out of memory)
            for relpath in (p for rest in chunks[done:] for p in rest):
                yield relpath, load_fields(store, relpath)
            return


@dataclass
class SyncReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    skipped: list[MemoryFileError] = field(default_factory=list)  # failed to parse this time
    rebuilt: bool = False
    seconds: float = 0.0
    stale: str = ""  # why the index could not be brought up to date (see refresh)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.rebuilt)


def tally(results: Iterable[tuple[str, dict[str, Any] | str]], report: SyncReport,
               broken: dict[str, str], existing: set[str]) -> Iterator[dict[str, Any]]:
    """The parsed documents of `results` (from `parsed`), counted into `report`: a file that
    failed to parse goes to report.skipped and `broken` (and loses its old document)."""
    for relpath, item in results:
        if isinstance(item, str):
            report.skipped.append(MemoryFileError(relpath, item))
            broken[relpath] = item
            report.removed += relpath in existing
        else:
            report.updated += relpath in existing
            report.added += relpath not in existing
            yield item

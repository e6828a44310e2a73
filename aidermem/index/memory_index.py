"""The search index: a Tantivy BM25 index that follows the memory store.

The store is the truth; this is a rebuildable cache in
`paths.index_dir_for(store.root)`. Deleting that directory loses nothing: the
next `sync()` rebuilds it. A small state file there records the store HEAD the
index reflects, the stat of files that were dirty (hand edits, deletions,
untracked files) at the last sync and the work-tree snapshot of worktree.py,
so `sync()` re-reads only what changed since (`git pull`, a commit by another
process, a hand edit) and, when nothing did, costs one `git diff-files` and no
lock (a caller may start it early: `sync(probe=...)`). The documents themselves are made
by documents.py. Answering from the index while that check runs is commands/fastpath.py's
trade, made with `open(sync_first=False)`.

Writes are serialized by a file lock next to the state file (storelock), and
tantivy's own writer lock is retried with backoff until a deadline, then
IndexBusyError. Each write opens the index afresh, so segments another process
committed are never orphaned. Readers never wait for writers and never fail for
the cache's sake (refresh): while another process writes, or when the index
cannot be written (a full disk: IndexWriteError), they read it as last committed,
or one built in memory from the store (index_fallback) when there is none.

Never: modify the store, pass user text to tantivy's query parser, or let one
malformed memory file stop a sync (it is skipped and reported).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

import tantivy

from aidermem import paths, private
from aidermem.atomic import write_atomic
from aidermem.errors import IndexBusyError, IndexWriteError, MemoryFileError
from aidermem.index import analysis
from aidermem.index.documents import (
    SCHEMA_VERSION,
    Parser,
    SyncReport,
    build_schema,
    doc_fields,
    parsed,
    tally,
)
from aidermem.store import worktree
from aidermem.store.layout import is_memory_path

if TYPE_CHECKING:
    from aidermem.models import Memory
    from aidermem.store.store import Store

__all__ = ["FORMAT", "MemoryIndex", "SyncReport", "build_schema", "doc_fields"]

# Both the schema and the analyzer shape what is on disk; either change rebuilds.
FORMAT = f"{SCHEMA_VERSION}.{analysis.ANALYZER_VERSION}"
LOCK_TIMEOUT = 10.0  # seconds a writer waits for another before IndexBusyError
SMALL_HEAP = 15_000_000  # tantivy's minimum per indexing thread
BULK_HEAP = 100_000_000


@dataclass
class _State:
    format: str
    head: str | None
    dirty: dict[str, list[int] | None]  # relpath -> [mtime_ns, size], None = missing
    broken: dict[str, str]  # relpath -> why it did not parse
    work: worktree.Snapshot | None = None  # how the work tree differed from HEAD (None: unknown)
    raw: str = ""  # the state file's text as read, to tell whether another process wrote


class MemoryIndex:
    """The index of one store. Cheap to open; nothing is read until needed."""

    def __init__(self, store: Store, directory: Path, *, lock_timeout: float = LOCK_TIMEOUT,
                 sync_first: bool = True) -> None:
        self.store = store
        self.directory = directory
        self.path = directory / "tantivy"
        self.schema = build_schema()
        self.lock_timeout = lock_timeout
        self._state_file = directory / "state.json"
        self._lock_path = directory / "index.lock"
        self._reader: tantivy.Index | None = None
        self._synced = False
        self._sync_first = sync_first

    @classmethod
    def open(cls, store: Store, *, lock_timeout: float = LOCK_TIMEOUT,
             sync_first: bool = True) -> MemoryIndex:
        """`sync_first=False`: reads see the index as last committed until the caller
        syncs it (commands.fastpath, which answers early while the check runs)."""
        directory = paths.index_dir_for(store.root)
        private.make_dirs(directory)
        for folder in (directory.parent, directory):  # an older aidermem made them 0755
            private.restrict(folder)
        return cls(store, directory, lock_timeout=lock_timeout, sync_first=sync_first)

    # -- reading ---------------------------------------------------------------------------

    def searcher(self) -> tantivy.Searcher:
        """A searcher over the last committed state; syncs first if this object never did
        (so `search.find(MemoryIndex.open(store), ...)` is always current), unless opened
        with sync_first=False."""
        if not self._synced and self._sync_first:
            self.sync()
        if self._reader is None:
            try:
                self._reader = self._open_index()
            except ValueError:  # damaged on disk: it is only a cache
                try:
                    self.rebuild()
                    self._reader = self._open_index()
                except (IndexBusyError, IndexWriteError):
                    from aidermem.index import fallback as index_fallback

                    self._reader = index_fallback.in_memory(self.store, self.schema)
        return self._reader.searcher()

    def built(self) -> bool:
        """Whether an index of the current format is on disk (it may be out of date)."""
        return self._usable(self._read_state())

    def count(self) -> int:
        return int(self.searcher().num_docs)

    def has_session(self, session_id: str) -> bool:
        """Whether a memory from this source session is indexed (sync first to be sure)."""
        return self._has_term("session_id", session_id)

    def has_conversation(self, conversation_id: str) -> bool:
        """Whether a memory of this conversation (transcript.session_key) is indexed."""
        return self._has_term("conversation_id", conversation_id)

    def has_project(self, name_or_id: str) -> bool:
        """Whether an indexed memory (archived too) has this project id or readable name."""
        return (self._has_term("project", name_or_id)
                or self._has_term("project_name", name_or_id.lower()))

    def _has_term(self, field_name: str, value: str) -> bool:
        if not value:
            return False
        query = tantivy.Query.term_query(self.schema, field_name, value)
        searcher = self.searcher()
        if self._reader is not None:
            # Duplicate checks must see what another process committed a moment ago; the
            # reader otherwise follows other processes' commits only after a delay.
            self._reader.reload()
            searcher = self._reader.searcher()
        return bool(searcher.search(query, 1, count=False).hits)

    def short_ids(self, ids: Iterable[str], min_len: int = 8) -> dict[str, str]:
        """The shortest prefix (at least `min_len` chars) of each id that no other indexed
        id starts with, found in the term dictionary instead of by walking the store."""
        searcher = self.searcher()

        def unique(prefix: str) -> bool:
            return len(searcher.terms_with_prefix("id", prefix, limit=2)) <= 1

        out = {}
        for memory_id in ids:
            low, high = min(min_len, len(memory_id)), len(memory_id)
            if not unique(memory_id[:low]):  # rare for ULIDs: binary search the length
                low += 1
                while low < high:
                    mid = (low + high) // 2
                    low, high = (low, mid) if unique(memory_id[:mid]) else (mid + 1, high)
            out[memory_id] = memory_id[:low]
        return out

    def broken(self) -> list[MemoryFileError]:
        """Memory files the index had to skip and that were not fixed since."""
        state = self._read_state()
        return [MemoryFileError(p, r) for p, r in sorted(state.broken.items())] if state else []

    # -- following the store ---------------------------------------------------------------

    def sync(self, *, probe: worktree.Probe | None = None) -> SyncReport:
        """Bring the index up to date with the store's files (commits and hand edits).
        `probe`: the check's git call, started earlier (worktree.Probe); it is reaped."""
        return self._timed(rebuild=False, probe=probe)

    def refresh(self, *, exact: bool = False, probe: worktree.Probe | None = None
                ) -> SyncReport:
        """sync() for readers, which never wait for a writer and never fail because the
        index cannot be written: then reads see it as last committed (or, with no index
        of this format on disk or when `exact`, one built in memory from the store's files)
        and `stale` says why."""
        try:
            return self._timed(rebuild=False, wait=0, probe=probe)
        except (IndexBusyError, IndexWriteError) as exc:
            busy = isinstance(exc, IndexBusyError)
            stale = "another aidermem is updating the search index" if busy else exc.message
        self._synced = True
        state = self._read_state()
        with contextlib.suppress(ValueError):
            self._reader = self._open_index() if state and state.format == FORMAT else None
        if self._reader is None or exact:
            from aidermem.index import fallback as index_fallback

            self._reader = index_fallback.in_memory(self.store, self.schema)
            return SyncReport(stale=f"{stale}; results are read from the memory files")
        return SyncReport(stale=f"{stale}; results may miss the newest changes")

    def rebuild(self) -> SyncReport:
        """Re-read every memory file (what `aidermem reindex` does). Readers in other
        processes see the old documents until the new ones are committed, all at once."""
        return self._timed(rebuild=True)

    def _timed(self, *, rebuild: bool, wait: float | None = None,
               probe: worktree.Probe | None = None) -> SyncReport:
        started = time.perf_counter()
        try:
            found = None if rebuild else self._follow_unlocked(probe)
        finally:
            if probe is not None:
                probe.close()  # used by the check, or not needed (a rebuild): reap git
        report, checked = (found, None) if isinstance(found, SyncReport) else (None, found)
        if report is None:
            with self._locked(wait=wait):
                state = self._read_state()
                if not self._usable(state):
                    report = self._rebuild(wipe=True)  # never built, or by another version
                elif rebuild:
                    report = self._rebuild(wipe=False)
                else:
                    report = self._follow(state, checked)
        self._synced = True
        report.seconds = time.perf_counter() - started
        return report

    def _follow_unlocked(self, probe: worktree.Probe | None
                         ) -> SyncReport | tuple[str, worktree.Snapshot] | None:
        """The common case without taking the lock: nothing changed since the last sync
        (an empty report). When something did, the check's answer with the state file's
        text it was made against, for _follow to reuse; None: nothing to follow from."""
        state = self._read_state()
        if not self._usable(state):
            return None
        work = worktree.check(self.store.root, state.work, probe)
        if work == state.work and not self._changes(state, work, self._dirty(work)):
            return SyncReport()
        return state.raw, work

    def upsert(self, pairs: Iterable[tuple[str, Memory]]) -> None:
        """Index these memories now (by relpath, replacing what was there). For callers that
        just wrote them; the next sync would find them anyway."""
        pairs = list(pairs)
        with self._locked():
            self._write([p for p, _ in pairs], [doc_fields(p, m) for p, m in pairs])

    def follow_commit(self, before: str | None, after: str | None,
                      written: dict[str, Memory | None], *,
                      wait: float | None = None) -> SyncReport:
        """Index a commit this process just made (`written`: relpath -> its memory, None
        if deleted) without re-checking the store: when the index was in step with
        `before`, the commit is all that changed it. Otherwise a plain sync."""
        started = time.perf_counter()
        with self._locked(wait=wait):
            state = self._read_state()
            if (not self._usable(state) or before is None or after is None
                    or state.head != before):
                report = None
            else:
                docs = [doc_fields(p, m) for p, m in written.items() if m is not None]
                self._write(list(written), docs)
                dirty = {p: st for p, st in state.dirty.items() if p not in written}
                work = state.work
                if work is not None:  # the next check sees git's index and directories moved
                    work = dataclasses.replace(work, head=after)
                broken = {p: r for p, r in state.broken.items() if p not in written}
                self._write_state(_State(FORMAT, after, dirty, broken, work))
                report = SyncReport(updated=len(docs), removed=len(written) - len(docs))
        if report is None:
            return self._timed(rebuild=False, wait=wait)
        self._synced = True
        report.seconds = time.perf_counter() - started
        return report

    def remove(self, relpaths: Iterable[str]) -> None:
        with self._locked():
            self._write(list(relpaths), [])

    def _follow(self, state: _State, checked: tuple[str, worktree.Snapshot] | None
                ) -> SyncReport:
        """Re-read what changed since `state` (under the lock); `checked`: the unlocked
        check's answer and the state it was made against."""
        if checked is not None and checked[0] == state.raw:
            work = checked[1]  # nobody synced since the unlocked check: its answer holds
        else:
            work = worktree.check(self.store.root, state.work)
        dirty = self._dirty(work)
        changed = self._changes(state, work, dirty)
        if changed is None:  # history rewritten, or a store replaced under us
            return self._rebuild(wipe=False)
        if not changed:
            self._write_state(_State(FORMAT, work.head, dirty, state.broken, work))
            return SyncReport()
        report = self._reindex(sorted(changed), state.broken)
        self._write_state(_State(FORMAT, work.head, dirty, state.broken, work))
        return report

    def _changes(self, state: _State, work: worktree.Snapshot,
                 dirty: dict[str, list[int] | None]) -> set[str] | None:
        """Memory files to re-read to go from `state` to `work` (whose dirty files have the
        stats `dirty`); None: rebuild instead."""
        changed: set[str] = set()
        if work.head != state.head:
            diff = self.store.changed_paths(state.head) if state.head else None
            if diff is None:
                return None
            changed.update(diff)
        changed.update(p for p, st in dirty.items() if state.dirty.get(p, False) != st)
        changed.update(p for p in state.dirty if p not in dirty)  # committed or reverted
        return changed

    def _usable(self, state: _State | None) -> TypeGuard[_State]:
        """A state of this format, beside an index on disk: something to follow from."""
        return state is not None and state.format == FORMAT and self._exists()

    def _dirty(self, work: worktree.Snapshot) -> dict[str, list[int] | None]:
        return {p: self._stat(p) for p in sorted(work.paths()) if is_memory_path(p)}

    def _reindex(self, relpaths: list[str], broken: dict[str, str]) -> SyncReport:
        """Re-read these files; a missing or malformed file loses its document."""
        report = SyncReport()
        existing = self._indexed(relpaths)
        present = []
        for relpath in relpaths:
            broken.pop(relpath, None)
            if (self.store.root / relpath).is_file():
                present.append(relpath)
            else:
                report.removed += relpath in existing
        with parsed(self.store, present) as results:
            docs = list(tally(results, report, broken, existing))
        self._write(relpaths, docs)
        return report

    def _rebuild(self, *, wipe: bool = True) -> SyncReport:
        """Read every file into the index. `wipe` starts from an empty directory (format
        change, damage); otherwise all documents are replaced in one commit, which readers
        in other processes see atomically."""
        # Parse workers start (fork) first, before tantivy runs any thread in this process,
        # and get ready while HEAD and the dirty set are read; those come before the file
        # list, so a commit landing meanwhile is re-read by the next sync, never missed.
        with Parser(self.store, sum(1 for _ in self.store.iter_paths())) as parser:
            work = worktree.full(self.store.root)
            dirty = self._dirty(work)
            report = SyncReport(rebuilt=True)
            broken: dict[str, str] = {}
            relpaths = list(self.store.iter_paths())
            with self._writer(self._fresh_index(wipe), BULK_HEAP) as writer:
                writer.delete_all_documents()
                for fields in tally(parser.parse(relpaths), report, broken, set()):
                    writer.add_document(tantivy.Document.from_dict(fields, self.schema))
        if self._reader is not None:
            self._reader.reload()
        self._write_state(_State(FORMAT, work.head, dirty, broken, work))
        return report

    # -- tantivy plumbing -------------------------------------------------------------------

    def _exists(self) -> bool:
        return (self.path / "meta.json").is_file()

    def _fresh_index(self, wipe: bool) -> tantivy.Index:
        """The index to rebuild into: the existing one, or a new empty one when asked to
        wipe or when the existing one does not open."""
        if not wipe:
            with contextlib.suppress(ValueError):
                return self._open_index()
        import shutil  # imports bz2 and lzma: only for a rebuild from scratch

        shutil.rmtree(self.path, ignore_errors=True)
        private.make_dirs(self.path)
        tantivy.Index(self.schema, str(self.path))
        return self._open_index()

    def _open_index(self) -> tantivy.Index:
        index = tantivy.Index.open(str(self.path))
        index.register_tokenizer(analysis.TOKENIZER_NAME, analysis.build_analyzer())
        return index

    def _indexed(self, relpaths: list[str]) -> set[str]:
        """Those of `relpaths` that have a live document."""
        if not relpaths or not self._exists():
            return set()
        searcher, term = self._open_index().searcher(), tantivy.Query.term_query
        return {p for p in relpaths
                if searcher.search(term(self.schema, "relpath", p), 1, count=False).hits}

    def _write(self, delete: list[str], docs: list[dict[str, Any]]) -> None:
        if not (delete or docs) or not self._exists():
            return  # nothing to do, or nothing built yet (the next sync builds from the store)
        index = self._open_index()  # fresh: see other processes' commits
        with self._writer(index, SMALL_HEAP) as writer:
            for relpath in delete:
                writer.delete_documents_by_term("relpath", relpath)
            for fields in docs:
                writer.add_document(tantivy.Document.from_dict(fields, self.schema))
        if self._reader is not None:
            self._reader.reload()

    @contextlib.contextmanager
    def _writer(self, index: tantivy.Index, heap: int) -> Iterator[tantivy.IndexWriter]:
        """One tantivy writer, committed once at the end, or rolled back on error."""
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.02
        while True:
            try:
                writer = index.writer(heap_size=heap, num_threads=1)
                break
            except ValueError as exc:  # the binding's error for tantivy's LockBusy
                if "LockBusy" not in str(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise self._busy() from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        try:
            yield writer
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()  # also releases tantivy's writer lock
            private.restrict_files_in(self.path)  # tantivy writes its segments with the umask

    @contextlib.contextmanager
    def _locked(self, *, wait: float | None = None) -> Iterator[None]:
        """The index's write lock, waited for `wait` seconds of one holder (default: the
        index's lock_timeout; 0: not at all), else IndexBusyError; failures to write the
        index inside it become IndexWriteError."""
        from aidermem.index import fallback as index_fallback  # a no-change search never loads them
        from aidermem.store import storelock

        try:
            with storelock.hold(self._lock_path, self.lock_timeout if wait is None else wait), \
                    index_fallback.writing(self.directory):
                yield
        except storelock.LockTimeout as exc:
            raise self._busy() from exc

    def _busy(self) -> IndexBusyError:
        return IndexBusyError(
            f"the search index is busy (another aidermem held it for {self.lock_timeout:g}s)",
            "retry in a moment; if nothing else is running, `aidermem reindex` rebuilds it",
        )

    # -- state file ----------------------------------------------------------------------

    def _stat(self, relpath: str) -> list[int] | None:
        with contextlib.suppress(OSError):
            st = (self.store.root / relpath).stat()
            return [st.st_mtime_ns, st.st_size]
        return None

    def _read_state(self) -> _State | None:
        try:
            raw = self._state_file.read_text(encoding="utf-8")
            data = json.loads(raw)
            return _State(str(data["format"]), data["head"], dict(data["dirty"]),
                          dict(data.get("broken", {})),
                          worktree.Snapshot.from_json(data.get("work")), raw)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing or damaged: the caller rebuilds

    def _write_state(self, state: _State) -> None:
        data = {"format": state.format, "store": str(self.store.root), "head": state.head,
                "dirty": state.dirty, "broken": state.broken,
                "work": state.work.to_json() if state.work else None}
        # Not fsynced: a state lost to a power cut only makes the next sync re-check more.
        write_atomic(self._state_file, json.dumps(data).encode("utf-8"), mode=0o600,
                     durable=False)

"""The read path's one speed trick: answer from the index while the change check runs.

Every command that reads memories first checks whether the store changed since
the index last followed it (a hand edit, a `git pull`, another process's commit):
one `git diff-files` over the store, ~3 ms at 1k memories and 80-90 ms at 100k
(BENCHMARKS.md, "Store, index and search"). A read-only command in EARLY_PROBE
does not wait for it:

1. `early_probe` starts that git call before anything else (cli.main calls it
   before the command's imports), at the store the settings most likely name
   (`paths.guess_store`: config's order of files and tables, without config's
   pydantic import);
2. `CommandIndex.answer` runs the command's work on the index as last committed
   while git runs;
3. it then syncs the index with the check's answer, and runs the work again, on
   the synced index, only if the sync changed something.

What is answered from the possibly stale index: only read-only work (search,
list), and that answer is kept only when the sync then finds nothing changed,
so it is exactly what the synced index would have answered. Otherwise it is
thrown away and the work is re-run after the sync; so is an early run that
failed (an unsynced index may be in any state, or miss a project it will have).

Why it is safe: what decides is the same check every command runs, only started
sooner. A guess that names another store than the resolved settings do loses
only time: that probe is reaped and the sync checks the right store itself. No
early answer without an index of this format on disk (nothing to answer from),
after the index was synced in this command (no check left to overlap with), or
for a command that writes (its own commit would make the probe's answer stale).

The rest of a command's index life is here too, so that it has one owner: the
index opened once (`unsynced`), synced at most once (`synced`), and brought up to
date after the command's own commit (`after_commit`).

Never: return an answer computed on an index the sync then changed; probe early
for a command that writes; import the index (tantivy) or config when imported:
cli.main imports this module before a command's own imports.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from aidermem.index.memory_index import MemoryIndex, SyncReport
    from aidermem.models import Memory
    from aidermem.store.store import Store
    from aidermem.store.worktree import Probe

# Read-only commands whose first act is syncing the index. Never a command that writes
# first, whose commit would make the probe's answer stale.
EARLY_PROBE = frozenset({"search", "list", "digest", "stats"})
T = TypeVar("T")


def early_probe(command: str, args: Sequence[str], cwd: Path,
                env: Mapping[str, str] = os.environ) -> Probe | None:
    """The store's change check, started now for a command in EARLY_PROBE (not for its
    `--help`, which opens nothing), at paths.guess_store; None when there is no such
    store. CommandIndex drops it if the resolved settings name another store."""
    if command not in EARLY_PROBE or {"-h", "--help"} & set(args):
        return None
    from aidermem import gitutil, paths
    from aidermem.store.worktree import Probe

    guess = paths.guess_store(gitutil.find_root(cwd), env, cwd)
    root = guess.expanduser().absolute()
    return Probe(root) if (root / ".git").is_dir() else None


class CommandIndex:
    """The store's index for one command: opened once, synced at most once.

    `probe`: early_probe's answer; `on_sync(index, report)` is told what each sync or
    after-commit update found (the command's warnings)."""

    def __init__(self, store: Store, *, probe: Probe | None,
                 on_sync: Callable[[MemoryIndex, SyncReport], None]) -> None:
        if probe is not None and probe.root != store.root:
            probe.close()  # it checked the guessed store, not this one
            probe = None
        self._store = store
        self._probe = probe
        self._on_sync = on_sync
        self._opened: MemoryIndex | None = None
        self._synced = False
        self.last_sync: SyncReport | None = None  # what the sync or update changed

    def unsynced(self) -> MemoryIndex:
        """The index as it is on disk: its reads never sync it (for `reindex`, which
        rebuilds it anyway, and for answer's early run)."""
        if self._opened is None:
            from aidermem.index.memory_index import MemoryIndex

            self._opened = MemoryIndex.open(self._store, sync_first=False)
        return self._opened

    def synced(self) -> MemoryIndex:
        """The index, brought up to date with the store the first time it is asked for, as
        a reader (never waiting for another writer), with the early probe's answer."""
        index = self.unsynced()
        if not self._synced:
            probe, self._probe = self._probe, None
            self._found(index, index.refresh(probe=probe))
        return index

    def answer(self, work: Callable[[MemoryIndex], T]) -> T:
        """`work`'s result on the synced index, found early when it can be (see the module
        docstring). For read-only work: it may run twice."""
        if self._synced or self._probe is None:
            return work(self.synced())  # no check of ours runs meanwhile: no time to win
        index = self.unsynced()
        if not index.built():
            return work(self.synced())
        try:
            early: list[T] = [work(index)]
        except Exception:  # an unsynced index may be in any state: redo the work synced
            early = []
        synced = self.synced()  # waits for git's answer, syncs
        changed = self.last_sync is None or self.last_sync.changed
        return work(synced) if changed or not early else early[0]

    def after_commit(self, commit: tuple[str | None, str | None] | None,
                     written: dict[str, Memory | None], *, wait: float) -> None:
        """Bring the index up to date after the command's own `commit` (before, after; None:
        nothing committed) that wrote `written` (relpath -> memory, None if deleted).

        When the index was not synced in this command, the commit is all it needs to
        follow (index.follow_commit, which syncs instead if the index lagged before it)."""
        if self._synced:
            self.last_sync = self.unsynced().sync()
        elif commit is None:
            self.synced()
        else:
            index = self.unsynced()
            self._found(index, index.follow_commit(*commit, written, wait=wait))

    def _found(self, index: MemoryIndex, report: SyncReport) -> None:
        self._synced = True
        self.last_sync = report
        self._on_sync(index, report)

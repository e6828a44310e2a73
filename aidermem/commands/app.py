"""What a management command works with: settings, project, store and index.

Each is created on first use and at most once per command, so `aidermem show`
never opens the index. The index is commands.fastpath's CommandIndex: synced
with the store the first time it is asked for, as a reader: never waiting for
another writer, never failing because the cache cannot be written (that is a
warning too); files the sync had to skip are reported as warnings on stderr
(`aidermem: warning: skipped <path>: <reason>`), never silently.

This module wires existing pieces together; it never renders command output
and never decides what a command does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from aidermem import paths
from aidermem.commands.fastpath import CommandIndex
from aidermem.commands.output import SHORT_ID_MIN, Style
from aidermem.errors import IndexBusyError, IndexWriteError
from aidermem.project import Project, identify, remember
from aidermem.store.store import Store

if TYPE_CHECKING:
    from aidermem import config
    from aidermem.index.memory_index import MemoryIndex, SyncReport
    from aidermem.models import Memory
    from aidermem.store.worktree import Probe

MAX_WARNINGS = 5
# A writer's own index update takes milliseconds; a lock held longer than this by one
# holder is a rebuild, which the next command follows, so the writer does not wait it out.
AFTER_WRITE_WAIT = 2.0
T = TypeVar("T")


def _stderr(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


class App:
    def __init__(
        self,
        *,
        cwd: Path,
        stdout_isatty: bool = False,
        warn: Callable[[str], None] = _stderr,
        probe: Probe | None = None,
        read_only: bool = False,
    ) -> None:
        self.cwd = cwd
        # A read-only command loses nothing by ignoring a config key it does not know, so
        # it warns; a command that writes could file memories in the wrong store, so it stops.
        self.unknown_config_keys: Callable[[str], None] | None = (
            self.warn if read_only else None)
        self.stdout_isatty = stdout_isatty
        self.style = Style.for_stream(stdout_isatty)
        self._warn = warn
        self._probe = probe  # the store's change check, started early (fastpath.early_probe)

    def warn(self, message: str) -> None:
        self._warn(f"aidermem: warning: {message}")

    @cached_property
    def project(self) -> Project:
        project = identify(self.cwd)
        remember(project)  # so its memories stay found after a new remote or a move
        return project

    @cached_property
    def resolved(self) -> config.ResolvedSettings:
        """The settings a launch from this directory would use (no launcher flags)."""
        from aidermem import config

        return config.resolve(
            cwd=self.cwd, project_root=self.project.root, profile=None, env=os.environ, cli={},
            unknown_keys=self.unknown_config_keys,
        )

    @property
    def settings(self) -> config.Settings:
        return self.resolved.settings

    @cached_property
    def store_root(self) -> Path:
        if paths.unconfigured(self.project.root, os.environ):
            return paths.default_store_dir()  # what config would say, without its imports
        return self.settings.store

    @cached_property
    def store(self) -> Store:
        return Store.open(self.store_root)

    @cached_property
    def _index(self) -> CommandIndex:
        """The index's one owner for this command (commands.fastpath), never replaced."""
        return CommandIndex(self.store, probe=self._probe, on_sync=self._synced)

    @property
    def unsynced_index(self) -> MemoryIndex:
        """The store's index as it is on disk (for `reindex`, which rebuilds it anyway)."""
        return self._index.unsynced()

    @property
    def index(self) -> MemoryIndex:
        """The store's index, brought up to date with the store once per command."""
        return self._index.synced()

    def _synced(self, index: MemoryIndex, report: SyncReport) -> None:
        """What a sync found, said on stderr. Every file it cannot read is reported each
        time, not only when first seen: until it is fixed, results are missing that memory."""
        if report.stale:
            self.warn(report.stale)
        broken = index.broken()
        for skipped in broken[:MAX_WARNINGS]:
            self.warn(f"skipped {skipped.path}: {skipped.reason}")
        if len(broken) > MAX_WARNINGS:
            self.warn(f"skipped {len(broken) - MAX_WARNINGS} more malformed files "
                      "(`aidermem doctor` lists them all)")

    def read(self, work: Callable[[MemoryIndex], T]) -> T:
        """`work` done over the up-to-date index, fast: answered from the index while git
        checks the store when it can be (commands.fastpath). For read-only work."""
        return self._index.answer(work)

    def index_after_write(self, written: dict[str, Memory | None]) -> None:
        """Bring the index up to date after this command committed to the store.

        `written`: the relpaths the command wrote (their memories) or deleted (None).
        When the index was current before the commit, only they are indexed; else a
        sync. The store write is committed first, so a busy index only delays
        indexing to the next command.
        """
        try:
            self._index.after_commit(self.store.last_commit, written, wait=AFTER_WRITE_WAIT)
        except IndexBusyError:
            self.warn("the search index is busy; the change is stored and the next aidermem "
                      "command will index it")
        except IndexWriteError as exc:  # the store's commit is the truth: still a success
            self.warn(f"the change is stored; {exc.message} (the next aidermem command that "
                      "can will index it)")

    def short_ids(self, ids: Iterable[str]) -> dict[str, str]:
        """Shortest unique id prefixes (>= 8 chars), from the synced index's term
        dictionary: walking 100k file names for them cost ~300 ms per command."""
        return self.index.short_ids(ids, min_len=SHORT_ID_MIN)

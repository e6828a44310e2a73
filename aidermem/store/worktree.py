"""Which files of the store's work tree differ from HEAD, told cheaply on every command.

`git status` answers it, but at 100k memories it costs ~170 ms, most of it the
untracked-file walk and the staged-change diff, which rarely change. So a
Snapshot keeps the answer in three parts, and each is redone only when its
signal moved:

- tracked files edited or deleted in the work tree: `git diff-files`, on every
  call (one lstat per file, in git's threads; nothing cheaper catches an in-place
  edit, which changes no directory);
- staged changes: `git diff-index --cached HEAD`, when HEAD or .git/index moved;
- untracked files: when a directory's mtime moved (a file was created, deleted or
  renamed in it), only that directory is listed again.

A Probe starts `git diff-files` before the caller does its own work (imports,
opening the index), so they overlap (commands/fastpath.py starts one first thing).
No snapshot, a changed .gitignore or anything unexpected takes the full `git status`
path.

Never: write to the store's files, or guess (when unsure, the full path). The
one write is to git's index, and only to its cached stat data: refreshed when
many files changed their stat but not their content (REFRESH_AT).
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aidermem import gitutil
from aidermem.errors import StoreError

# A directory changed this close to a check may change again within the same mtime tick
# (2 s on FAT, 1 s on ext3/HFS+); it is recorded as unknown and listed again next time.
RACY_NS = 2_000_000_000
UNSETTLED = -1
# More stat-only changes than this (a copied or touched store) and git's cached stat data
# is refreshed, so later checks stop re-reading those files.
REFRESH_AT = 64


@dataclass
class Snapshot:
    """What differed from HEAD at one moment, and the signals that tell when it may not."""

    head: str | None
    git_index: list[int] | None  # stat of .git/index: [mtime_ns, size, inode]
    dirs: dict[str, int]  # every directory but .git, relpath ("" = root) -> mtime_ns
    modified: list[str] = field(default_factory=list)  # work tree != git's index
    staged: list[str] = field(default_factory=list)  # git's index != HEAD
    untracked: list[str] = field(default_factory=list)

    def paths(self) -> set[str]:
        """Every path that differs from HEAD."""
        return {*self.modified, *self.staged, *self.untracked}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Snapshot | None:
        """The snapshot saved by to_json, or None when it is missing or damaged."""
        try:
            assert isinstance(data, dict)
            snap = cls(**data)
            assert isinstance(snap.dirs, dict) and all(
                isinstance(v, list) for v in (snap.modified, snap.staged, snap.untracked))
        except (AssertionError, TypeError):
            return None
        return snap


class Probe:
    """The git call every check needs, started now and read when the check runs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._modified = gitutil.start_git(["diff-files", "--name-only", "-z"], root)

    def modified(self) -> list[str] | None:
        code, out = self._modified.result()
        return _split(out) if code == 0 else None

    def close(self) -> None:
        """Reap git (a probe whose answer was not needed)."""
        self._modified.result()


def check(root: Path, before: Snapshot | None, probe: Probe | None = None) -> Snapshot:
    """What differs from HEAD now; cheap when `before` (the last check's answer) is given."""
    probe = probe or Probe(root)
    try:
        if before is None:
            return full(root)
        return _since(root, before, probe) or full(root)
    finally:
        probe.close()


def full(root: Path) -> Snapshot:
    """The whole answer from `git status` (signals are read first: a change made while
    git runs shows up in the next check instead of being missed)."""
    started = time.time_ns()
    git_index = _index_stat(root)
    dirs = _settled(_walk_dirs(root, ""), started)
    head = gitutil.head(root)
    code, out, err = gitutil.run_git_full(gitutil.STATUS_ARGS, root, check=False)
    if code != 0:
        raise StoreError(f"git status failed in {root}: {' '.join(err.split())}",
                                 f"check the store with `git -C {root} status`")
    snap = Snapshot(head, git_index, dirs)
    for xy, path in gitutil.status_entries(out):
        if xy == "??":
            snap.untracked.append(path)
            continue
        if xy[0] != " ":
            snap.staged.append(path)
        if xy[1] != " ":
            snap.modified.append(path)
    return snap


def _since(root: Path, before: Snapshot, probe: Probe) -> Snapshot | None:
    """The answer built from `before` and what moved since; None: take the full path."""
    started = time.time_ns()
    git_index = _index_stat(root)
    dirs = {d: m for d in before.dirs if (m := _mtime(root / d)) is not None}
    moved = [d for d in before.dirs if dirs.get(d) != before.dirs[d]]
    head = gitutil.head(root)
    modified = probe.modified()
    if head is None or before.head is None or modified is None or "" not in dirs:
        return None
    if len(modified) > REFRESH_AT:
        gitutil.run_git_full(["update-index", "-q", "--refresh"], root, check=False, retries=0)
        code, out, _ = gitutil.run_git_full(["diff-files", "--name-only", "-z"], root,
                                            check=False)
        if code != 0:
            return None
        modified = _split(out)
    staged = before.staged
    if head != before.head or git_index is None or git_index != before.git_index:
        code, out, _ = gitutil.run_git_full(
            ["diff-index", "--cached", "--name-only", "-z", "--no-renames", "HEAD", "--"], root,
            check=False)
        if code != 0:
            return None
        staged = _split(out)
    untracked: list[str] | None = before.untracked
    if moved:
        untracked = _relist(root, before, dirs, moved)
    if untracked is None:
        return None
    snap = Snapshot(head, git_index, _settled(dirs, started), modified, staged, untracked)
    new = snap.paths() - before.paths()
    if any(_is_ignore_file(p) for p in (*new, *modified, *staged)):
        return None  # what counts as untracked may have changed anywhere
    return snap


def _relist(root: Path, before: Snapshot, dirs: dict[str, int], moved: list[str]
            ) -> list[str] | None:
    """Untracked files after the directories in `moved` changed: those directories are
    listed again (files directly in them), new subdirectories whole. Adds the new
    directories to `dirs` (stat-ed before git lists them)."""
    specs, fresh = [], []
    for d in moved:
        if d not in dirs:
            continue  # gone: so are its files
        specs.append(f":(glob){_join(_glob_escape(d), '*')}")
        try:
            entries = list(os.scandir(root / d))
        except OSError:
            return None
        for entry in entries:
            rel = _join(d, entry.name)
            if rel not in dirs and entry.is_dir(follow_symlinks=False) and rel != ".git":
                fresh.append(rel)
    for d in fresh:
        dirs.update(_walk_dirs(root, d))
        specs.append(f":(glob){_join(_glob_escape(d), '**')}")
    relisted = set(moved)
    kept = [p for p in before.untracked if _parent(p) not in relisted and _parent(p) in dirs]
    if not specs:
        return kept
    code, out, _ = gitutil.run_git_full(
        ["ls-files", "--others", "--exclude-standard", "-z", "--", *specs], root, check=False)
    return kept + _split(out) if code == 0 else None


def _walk_dirs(root: Path, start: str) -> dict[str, int]:
    """`start` and every directory below it (but .git) -> mtime_ns, parents stat-ed before
    their entries are read."""
    found: dict[str, int] = {}
    todo = [start]
    while todo:
        rel = todo.pop()
        mtime = _mtime(root / rel)
        if mtime is None:
            continue
        found[rel] = mtime
        try:
            with os.scandir(root / rel) as entries:
                for entry in entries:
                    child = _join(rel, entry.name)
                    if child != ".git" and entry.is_dir(follow_symlinks=False):
                        todo.append(child)
        except OSError:
            continue
    return found


def _settled(dirs: dict[str, int], started_ns: int) -> dict[str, int]:
    """`dirs` with the recently changed ones marked UNSETTLED (see RACY_NS)."""
    return {d: (m if m < started_ns - RACY_NS else UNSETTLED) for d, m in dirs.items()}


def _index_stat(root: Path) -> list[int] | None:
    """Stat of git's index; None when .git is not a plain directory (checked every time)."""
    try:
        st = (root / ".git" / "index").stat()
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino]


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _split(out: str) -> list[str]:
    return [p for p in out.split("\0") if p]


def _join(parent: str, name: str) -> str:
    return f"{parent}/{name}" if parent else name


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


def _glob_escape(path: str) -> str:
    """`path` matched literally inside a :(glob) pathspec."""
    return "".join(f"\\{c}" if c in "\\*?[" else c for c in path)


def _is_ignore_file(path: str) -> bool:
    return path == ".gitignore" or path.endswith("/.gitignore")

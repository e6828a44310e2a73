"""Keep what aidermem writes private to the user: directories 0700, files without group or
other bits (0600, or 0400 for git's read-only objects).

Memories, their git history, the index segments that hold their words, the journal's
transcript slices and rescued edits are all private text. New files are made private
where they are made (atomic.write_atomic's temp files are 0600; git is told with
`core.sharedRepository=0600`); `make_dirs` makes directories so, `restrict` fixes one,
`make_tree_private` a tree an older aidermem made, once, on its next write. Never follows a symlink
(it would chmod something outside aidermem's tree), never touches what is not ours.
Cheap to import: no third-party modules.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
_OPEN_BITS = 0o077  # group and other


def is_private(path: Path) -> bool:
    """Whether `path` (a directory, usually a tree's top) has no group or other bits."""
    try:
        return not os.lstat(path).st_mode & _OPEN_BITS
    except OSError:
        return True  # nothing there: nothing to fix


def make_dirs(path: Path) -> None:
    """`path` and any missing parents, created 0700. Existing ones are left as they are (a
    parent may be the user's home): callers restrict() the directories that are theirs."""
    missing: list[Path] = []
    here = path
    while not here.is_dir() and here.parent != here:
        missing.append(here)
        here = here.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            folder.mkdir(mode=DIR_MODE)
        with contextlib.suppress(OSError):
            restrict(folder)  # mkdir's mode is masked by the umask, never widened


def restrict(path: Path, st: os.stat_result | None = None) -> None:
    """Drop group and other bits from one file or directory (symlinks are left alone)."""
    try:
        st = st or os.lstat(path)
    except OSError:
        return  # nothing there
    if stat.S_ISLNK(st.st_mode) or not st.st_mode & _OPEN_BITS:
        return
    mode = DIR_MODE if stat.S_ISDIR(st.st_mode) else stat.S_IMODE(st.st_mode) & 0o700
    with contextlib.suppress(OSError):  # a file that vanished, or is not ours
        path.chmod(mode)  # lstat said it is no symlink (Linux has no lchmod)


def restrict_files_in(folder: Path) -> None:
    """restrict() `folder` and every entry directly in it: for what another library creates
    with the umask (tantivy's directory and segments), after each write."""
    with contextlib.suppress(OSError):
        restrict(folder)
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                restrict(Path(entry.path), entry.stat(follow_symlinks=False))


def make_tree_private(root: Path) -> None:
    """restrict() everything under `root`, then `root` itself (last: its mode says the whole
    tree is done, so a crash halfway is finished by the next call)."""
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in [*dirs, *files]:
            with contextlib.suppress(OSError):
                restrict(Path(folder, name))
    with contextlib.suppress(OSError):
        restrict(root)

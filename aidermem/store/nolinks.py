"""Reading inside the store without following a symbolic link.

A linked memory file or folder could point anywhere on the machine (and a link to
another memory would make one memory two), so the store reads only regular files
reached through real folders, and never writes through a linked folder. Stdlib
only: every read of a memory file comes through here.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from pathlib import Path

from aidermem.errors import MemoryFileError, StoreError

WHY = "aidermem never follows links out of the store (replace it with the file itself)"


def linked_folder(root: Path, relpath: str) -> str | None:
    """The first folder of `relpath` (a posix path under `root`) that is a symbolic link."""
    parts = relpath.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        if root.joinpath(*parts[:i]).is_symlink():
            return "/".join(parts[:i])
    return None


def check_writable(root: Path, relpaths: Iterable[str]) -> None:
    """StoreError if a folder on the way to one of `relpaths` is a symbolic link."""
    for relpath in relpaths:
        if link := linked_folder(root, relpath):
            raise StoreError(f"cannot write {relpath}: {link} is a symbolic link, and "
                             "aidermem never writes through links out of the store",
                             f"replace {root / link} with a real folder")


def read(root: Path, relpath: str) -> bytes:
    """The bytes of the file at `relpath`; MemoryFileError if it or a folder on the way is a
    link, or it cannot be read."""
    if link := linked_folder(root, relpath):
        raise MemoryFileError(relpath, f"{link} is a symbolic link; {WHY}")
    try:
        fd = os.open(root / relpath, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise MemoryFileError(relpath, f"it is a symbolic link; {WHY}") from None
        raise MemoryFileError(relpath, f"cannot read: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise MemoryFileError(relpath, f"cannot read: {exc.strerror or exc}") from exc

"""The undo record of the store's one write in flight: how to put it back if it dies.

Before a write touches any file, it records (fsynced, in `.git/aidermem-undo.json`)
HEAD as it was, the commit message it is about to make and, for every path it
will write or delete, a hard link to the file as it was (`.<name>.undo.tmp`
beside it, which the store's .gitignore ignores). Linking copies nothing, so
undoing needs no free disk space: renaming each link back restores the old file
exactly, hand edits included; a path without a link did not exist and is removed.
Undoing git's index entries makes git write its index, though: a reserve file
(`.git/aidermem-reserve`, allocated before a write starts, at least twice git's
index) is deleted first, so even a disk that filled up meanwhile has the room.
A write that cannot allocate its reserve does not start.

The record goes when the write is committed or undone. One left behind means its
writer died (or could not undo): the next holder of the store lock finishes the job
(store.py decides whether the commit landed). Only the holder of that lock reads or
writes the record. Never: copy file contents, or leave a link once the record is gone.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from dataclasses import dataclass
from pathlib import Path

from aidermem import gitutil
from aidermem.atomic import write_atomic

RECORD_NAME = "aidermem-undo.json"  # store.UNDO_RECORD: store looks for it without this module
RESERVE_NAME = "aidermem-reserve"
RESERVE_MIN = 64 * 1024
# What a file system says when it has no hard links or no fallocate.
_NO_SUCH_THING = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL, errno.ENOSYS,
                  errno.EXDEV, errno.EMLINK}
# The split index git is told to keep (store.py does the same), so undoing rewrites a
# small file, not an index of every memory.
_INDEX_CONFIG = ["-c", "core.splitIndex=true"]


@dataclass
class Record:
    head: str | None  # HEAD before the write
    message: str  # the commit it was making
    paths: dict[str, str | None]  # relpath -> its old file's link (relpath), None: was absent


def record_path(git_dir: Path) -> Path:
    return git_dir / RECORD_NAME


def begin(git_dir: Path, root: Path, head: str | None, message: str,
          relpaths: list[str]) -> Record:
    """Link every old file and write the record; on OSError nothing is left behind."""
    record = Record(head, message, {})
    try:
        _reserve(git_dir)
        for relpath in relpaths:
            target = root / relpath
            link = target.with_name(f".{target.name}.undo.tmp")
            link.unlink(missing_ok=True)  # a leftover of a crash between two steps here
            try:
                os.link(target, link)
            except FileNotFoundError:
                record.paths[relpath] = None
                continue
            except OSError as exc:  # a file system without hard links: copy instead
                if exc.errno not in _NO_SUCH_THING:
                    raise
                write_atomic(link, target.read_bytes())
            record.paths[relpath] = link.relative_to(root).as_posix()
        data = {"head": head, "message": message, "paths": record.paths}
        write_atomic(record_path(git_dir), json.dumps(data).encode("utf-8"))
    except BaseException:
        drop_links(root, record)
        raise
    return record


def _reserve(git_dir: Path) -> None:
    """Make sure the reserve exists (allocated, not written: cheap). Raises OSError."""
    path = git_dir / RESERVE_NAME
    try:
        want = max(RESERVE_MIN, 2 * (git_dir / "index").stat().st_size)
    except OSError:
        want = RESERVE_MIN
    with contextlib.suppress(OSError):
        if path.stat().st_size >= want:
            return
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)  # private, as the store is
    try:
        try:
            os.posix_fallocate(fd, 0, want)
        except OSError as exc:  # not supported here: write the bytes (once per store)
            if exc.errno not in _NO_SUCH_THING:
                raise
            os.pwrite(fd, b"\0" * want, 0)
            os.fsync(fd)
    except OSError:
        path.unlink(missing_ok=True)  # a part-allocated reserve would only take space
        raise
    finally:
        os.close(fd)


def read(git_dir: Path) -> Record | None:
    """The record a write left, or None. A damaged record (only possible if the disk
    lied about the fsync) is treated as none: there is nothing safe to undo from it."""
    try:
        data = json.loads(record_path(git_dir).read_text(encoding="utf-8"))
        return Record(data["head"], str(data["message"]),
                      {str(k): v for k, v in dict(data["paths"]).items()})
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def restore(root: Path, record: Record) -> None:
    """Put every recorded path back as it was (renames and unlinks only). Raises OSError."""
    for relpath, link in record.paths.items():
        target = root / relpath
        if link is None:
            target.unlink(missing_ok=True)
        elif (root / link).exists():
            (root / link).replace(target)


def finish(git_dir: Path, root: Path, record: Record) -> None:
    """Forget the record: the write is committed, or undone."""
    drop_links(root, record)
    record_path(git_dir).unlink(missing_ok=True)


def drop_links(root: Path, record: Record) -> None:
    for link in record.paths.values():
        if link is not None:
            with contextlib.suppress(OSError):
                (root / link).unlink()


def landed(root: Path, record: Record) -> bool:
    """Whether HEAD is the commit the recorded write was making (its writer died after
    moving HEAD): parent and message both match."""
    head = gitutil.head(root)
    if head is None or head == record.head:
        return False
    code, out, _ = gitutil.run_git_full(["log", "-1", "--format=%P%x00%B", head], root,
                                        check=False)
    parents, _, body = out.partition("\0")
    return (code == 0 and parents.strip() == (record.head or "")
            and body.strip() == record.message.strip())


def undo(root: Path, git_dir: Path, record: Record, *, retries: int | None = None) -> bool:
    """Put an uncommitted write's entries in git's index, then its files, back as they
    were: a file is never removed while git's index still lists it. False when that could
    not be done; the record then stays, for the next lock holder to try again."""
    paths = "".join(f"{p}\0" for p in record.paths)
    with contextlib.suppress(OSError):  # the room git needs to write its index
        (git_dir / RESERVE_NAME).unlink(missing_ok=True)
    if gitutil.head(root) is None:  # nothing committed yet: the entries are all the write's
        gitutil.run_git(["update-index", "--force-remove", "-z", "--stdin"], root,
                        check=False, input=paths, retries=retries)
        check = ["--literal-pathspecs", "ls-files", "-z", "--"]
    else:
        gitutil.run_git([*_INDEX_CONFIG, "--literal-pathspecs", "reset", "-q", "HEAD",
                         "--pathspec-from-file=-", "--pathspec-file-nul"], root,
                        check=False, input=paths, retries=retries)
        check = ["--literal-pathspecs", "diff", "--cached", "--name-only", "-z", "HEAD", "--"]
    # A write touches a few paths: argv is fine here (diff takes no pathspec file).
    code, left, _ = gitutil.run_git_full([*check, *record.paths], root, check=False)
    if code != 0 or left.strip("\0"):
        return False
    try:
        restore(root, record)
        finish(git_dir, root, record)
    except OSError:
        return False
    return True

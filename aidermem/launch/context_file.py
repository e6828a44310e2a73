"""Where the memory context file lives while aider runs.

Each launch gets a private directory (0700) in the temp dir, named
`aidermem-<pid>-<random>`, holding one read-only (0400) file that is replaced
atomically as retrieval finishes. aider is given it with `--read` and re-reads it
on every request. The launcher removes the directory when aider exits; one left
behind by a killed aidermem is removed by a later launch, once its pid is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path

from aidermem.atomic import write_atomic
from aidermem.procs import pid_alive

NAME = "aidermem-context.md"
DIR_PREFIX = "aidermem-"  # + "<pid>-<random>", so a dead owner's dir can be removed
_DIR = re.compile(r"aidermem-(\d+)-\w+")
_CONTEXT_PATH = re.compile(r"(?:^|[/\\])aidermem-\d+-\w+[/\\]aidermem-context\.md$")
PLACEHOLDER = "# Project memory (aidermem)\n\nStill loading memories from earlier sessions.\n"
NOTHING_FOUND = "# Project memory (aidermem)\n\nNo relevant memories found.\n"
TOO_SMALL = ("# Project memory (aidermem)\n\nMemories were found, but none fits in {budget} "
             "tokens: raise `--mem-budget` (or `budget_tokens`).\n")


def is_context_path(path: str) -> bool:
    """Whether `path` (as aider or a model spells it: relative, absolute, `\\`) names a
    launch's context file: ours, never a file the session worked on."""
    return bool(_CONTEXT_PATH.search(path.strip()))


def write(path: Path, text: str) -> None:
    """Replace the context file atomically; it stays read-only (0400).

    No fsync: it lives in a private temp dir for one session, and the first
    write happens before aider is spawned.
    """
    write_atomic(path, text.encode("utf-8"), mode=0o400, durable=False)


def _temp_base() -> Path:
    """Where tempfile would put temporary files, as far as the environment says."""
    for name in ("TMPDIR", "TEMP", "TMP"):
        value = os.environ.get(name)
        if value and Path(value).is_dir():
            return Path(value)
    return Path("/tmp")


def make_dir() -> Path:
    """A new private (0700) directory for the context file: tempfile.mkdtemp's job, done
    without importing tempfile (~8 ms, before aider can start)."""
    for _ in range(10):
        path = _temp_base() / f"{DIR_PREFIX}{os.getpid()}-{os.urandom(5).hex()}"
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            continue
        except OSError:
            break  # not writable: let tempfile find a place that is
        return path
    import tempfile

    return Path(tempfile.mkdtemp(prefix=f"{DIR_PREFIX}{os.getpid()}-"))


def remove_stale_dirs() -> None:
    """Context dirs of aidermem processes that were killed before they could clean up."""
    import tempfile

    for base in {_temp_base(), Path(tempfile.gettempdir())}:  # make_dir's and its fallback's
        with contextlib.suppress(OSError):
            for path in base.glob(f"{DIR_PREFIX}*"):
                match = _DIR.fullmatch(path.name)
                if not match or path.is_symlink() or path.lstat().st_uid != os.getuid():
                    continue
                if not pid_alive(int(match.group(1))):
                    shutil.rmtree(path, ignore_errors=True)

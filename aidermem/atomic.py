"""Replace a file atomically: readers see the old file or the new one, never half.

The one write primitive behind the store, the journal, the context file, the
index's state file and the pattern cache.
The temp file sits beside the target and is named `.<name>.<random>.tmp`, so
a crash leaves only a dotted `.tmp` file (the store's .gitignore ignores those,
and the journal never reads dotted names).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def write_atomic(target: Path, data: bytes, *, mode: int | None = None,
                 durable: bool = True) -> None:
    """Write `data` to a temp file, optionally chmod and fsync it, then os.replace it.

    `durable=False` skips the fsync, for files that need not survive a power
    loss (a private temp file) and are written on a latency-sensitive path.
    """
    import tempfile  # imports shutil (bz2, lzma): ~5 ms a read-only command never needs

    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        if mode is not None:
            tmp.chmod(mode)
        tmp.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise

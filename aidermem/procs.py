"""Facts about other processes on this machine, asked of the kernel.

Today one: is a pid alive. The launch asks it of the aidermem that left a context
directory behind, capture of the aidermem that owns a running journal entry.

Never: send a real signal (only signal 0, which checks and delivers nothing), or
import anything of aidermem; it is a base module every layer may use.
"""

from __future__ import annotations

import os


def pid_alive(pid: int) -> bool:
    """Whether a process holds `pid` now. Someone else's process counts as alive (the
    kernel refuses to signal it, which says it exists); whether it is still the same
    process after a pid reuse is the caller's question."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

"""What `git status` says of a store's memory files, for tests that check a store is clean.

The product never asks this as one question (the index follows the work tree with
store/worktree.py); tests ask git directly, so their answer does not depend on the code
under test.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from aidermem.store.store import is_memory_path


def dirty_memory_paths(root: Path) -> list[str]:
    """Memory relpaths whose work tree differs from HEAD: edited, deleted, staged or new."""
    out = subprocess.run(
        ["git", "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"],
        cwd=root, check=True, capture_output=True, text=True).stdout
    return [entry[3:] for entry in out.split("\0") if len(entry) > 3 and is_memory_path(entry[3:])]

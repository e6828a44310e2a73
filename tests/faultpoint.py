"""Run the real `aidermem` CLI in a child process that SIGKILLs itself at one write step.

Test-only (product code has no hooks): the child imports this module, wraps one
function of aidermem's own modules, then runs `aidermem.cli.main`. When the wrapped
step has run for the N-th time, the process kills itself with SIGKILL, as `kill -9`
would at that instant. No cleanup, no `finally`, no atexit runs.

A point is `KIND:NAME:N`:
- `git:SUBCOMMAND:N`: right after the N-th git SUBCOMMAND (update-index, write-tree,
  commit-tree, update-ref, ...) returned;
- `after:MODULE.ATTR:N` / `before:MODULE.ATTR:N`: right after (before) the N-th call
  of that function, e.g. `after:aidermem.store.store.write_atomic:2`, or of a method,
  `after:aidermem.index.memory_index.MemoryIndex._write:1`;
- `enospc:MODULE.ATTR:N`: the N-th call and every later one raise OSError(ENOSPC)
  instead of running, as on a disk that stays full (the process lives on).
"""

from __future__ import annotations

import errno
import functools
import importlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CHILD = ("import sys, faultpoint; faultpoint.install(sys.argv[1]); "
         "from aidermem.cli.main import main; sys.exit(main(sys.argv[2:]))")


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _full() -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def _counting(original: Callable[..., Any], n: int, *, before: bool,
              matches: Callable[..., bool], act: Callable[[], None] = _die,
              again: bool = False) -> Callable[..., Any]:
    seen = 0

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal seen
        hit = matches(*args, **kwargs)
        if hit:
            seen += 1
        if hit and before and (seen == n or (again and seen > n)):
            act()
        result = original(*args, **kwargs)
        if hit and not before and seen == n:
            act()
        return result

    return wrapper


def install(point: str) -> None:
    kind, name, count = point.rsplit(":", 2) if point.count(":") >= 2 else ("", point, "1")
    n = int(count)
    if kind == "none":
        return
    if kind == "git":
        from aidermem import gitutil

        def is_sub(args: list[str], *_: Any, **__: Any) -> bool:
            return gitutil._command_name(args) == name

        gitutil.run_git_full = _counting(gitutil.run_git_full, n, before=False, matches=is_sub)
        return
    module_name, _, attr = name.rpartition(".")
    owner: Any
    try:
        owner = importlib.import_module(module_name)
    except ModuleNotFoundError:  # a method: MODULE.CLASS.ATTR
        module_name, _, cls = module_name.rpartition(".")
        owner = getattr(importlib.import_module(module_name), cls)
    wrapped = _counting(getattr(owner, attr), n, before=kind in ("before", "enospc"),
                        matches=lambda *a, **k: True,
                        act=_full if kind == "enospc" else _die, again=kind == "enospc")
    setattr(owner, attr, wrapped)


def run(point: str | None, *argv: str, cwd: Path, stdin: str | None = None,
        env: dict[str, str] | None = None, timeout: float = 120
        ) -> subprocess.CompletedProcess[str]:
    """`aidermem ARGV` in a child; killed at `point` (None: not at all)."""
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(HERE), full_env.get("PYTHONPATH", "")) if p)
    return subprocess.run(
        [sys.executable, "-c", CHILD, point or "none:none:0", *argv], cwd=cwd, input=stdin,
        text=True, capture_output=True, env=full_env, timeout=timeout, check=False)

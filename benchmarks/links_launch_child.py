"""One launch's retrieval in a fresh process, timed: bench_links.py's fresh-process child.

    python benchmarks/links_launch_child.py SRC STORE REPO PROJECT QUERY check|base

SRC is the aidermem checkout to load (put first on sys.path, so an older commit's worktree
can be measured against this one in the same run). It imports what the `aidermem` command
has loaded when its launcher starts retrieval (the CLI, the runner, the index, the store,
retrieval and rendering), syncs the index as a launch does, then times retrieval alone:
`base` without link checks, `check` with a linkuse.Checker, the check's own imports
(links.check, tree-sitter, a grammar, its tags query) included, and the blob cache saved.
Prints the wall seconds and the CPU seconds (this process and its git children) on stdout.
Never writes anything but the fingerprint cache.
"""

from __future__ import annotations

import resource
import sys
import time


def main(argv: list[str]) -> int:
    src, store_root, repo, project, query, mode = argv
    sys.path.insert(0, src)
    from pathlib import Path

    import aidermem
    import aidermem.cli.main
    from aidermem.index.memory_index import MemoryIndex
    from aidermem.launch import runner  # noqa: F401
    from aidermem.links.use import Checker
    from aidermem.retrieve import (
        launch_context,  # noqa: F401
        render,  # noqa: F401
    )
    from aidermem.retrieve import select as retrieve
    from aidermem.store.store import Store

    if not str(Path(aidermem.__file__).resolve()).startswith(str(Path(src).resolve())):
        raise SystemExit(f"loaded aidermem from {aidermem.__file__}, not {src}")
    store = Store.open(Path(store_root), create=False)
    index = MemoryIndex.open(store)
    index.refresh()
    cpu_started, started = _cpu(), time.perf_counter()
    checker = Checker((project,), Path(repo), store.root) if mode == "check" else None
    retrieve.retrieve(index, store, query=query, where=retrieve.Filter(project), links=checker)
    if checker is not None:
        checker.save()
    print(time.perf_counter() - started, _cpu() - cpu_started)
    return 0


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (git): what a busy machine's
    other work does not inflate, unlike wall time."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # microseconds; os.times: ticks
    return time.process_time() + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

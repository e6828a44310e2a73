"""One launch's retrieval in a fresh process, timed: the child of bench_links.py's fresh-process rows.

    python benchmarks/links_launch_child.py SRC STORE REPO PROJECT QUERY check|base

SRC is the aidermem checkout to load (put first on sys.path, so an older commit's worktree
can be measured against this one in the same run). It imports what the `aidermem` command
has loaded when its launcher starts retrieval (the CLI, the runner, the index, the store,
retrieval and rendering), syncs the index as a launch does, then times retrieval alone:
`base` without link checks, `check` with a linkuse.Checker, the check's own imports
(links.check, tree-sitter, a grammar, its tags query) included, and the blob cache saved.
Prints the seconds on stdout. Never writes anything but the fingerprint cache.
"""

from __future__ import annotations

import sys
import time


def main(argv: list[str]) -> int:
    src, store_root, repo, project, query, mode = argv
    sys.path.insert(0, src)
    from pathlib import Path

    import aidermem
    import aidermem.cli.main  # noqa: F401  what the command has loaded
    from aidermem.index.memory_index import MemoryIndex
    from aidermem.launch import runner  # noqa: F401
    from aidermem.links.use import Checker
    from aidermem.retrieve import launch_context  # noqa: F401
    from aidermem.retrieve import render  # noqa: F401
    from aidermem.retrieve import select as retrieve
    from aidermem.store.store import Store

    if not str(Path(aidermem.__file__).resolve()).startswith(str(Path(src).resolve())):
        raise SystemExit(f"loaded aidermem from {aidermem.__file__}, not {src}")
    store = Store.open(Path(store_root), create=False)
    index = MemoryIndex.open(store)
    index.refresh()
    started = time.perf_counter()
    checker = Checker((project,), Path(repo), store.root) if mode == "check" else None
    retrieve.retrieve(index, store, query=query, where=retrieve.Filter(project), links=checker)
    if checker is not None:
        checker.save()
    print(time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

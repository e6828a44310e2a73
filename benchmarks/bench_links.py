"""What checking memories' links to code costs launch retrieval and search (issue #13).

Usage (from the repository root; a few minutes on a 2-core box, most of it set-up):

    .venv/bin/python benchmarks/bench_links.py
    .venv/bin/python benchmarks/bench_links.py --memories 10000 --files 2000 --runs 15

Set-up, in a temporary directory: a git repository of --files Python source files (six
functions each, in 40 packages), one commit; a store of --memories memories from
benchmarks/gen_memories.py, every one of them filed under that repository's project
and linked to one to three symbols and a file in it (taken at that commit), indexed.

Timed, in this process, each --runs times after one discarded warm-up:

- `retrieve`: launch retrieval (retrieve.retrieve with a query of five words) without
  link checking, then with it (a fresh linkuse.Checker per run: one `git ls-tree` of
  HEAD, then every retrieved memory's links), in three states of the repository:
  `fresh` (HEAD is the links' commit), `changed-warm` (a second commit changed 10% of
  the files; their blobs already parsed and cached) and `changed-cold` (the same, with
  the fingerprint cache deleted before each run: every changed linked file is parsed);
- `search`: the index query of `aidermem search` (10 hits), then the same plus the
  link states of the hits, as `aidermem search` computes them;
- each pair alternately, so the `added by the check` rows (the paired differences) cancel
  most of a busy machine's drift;
- the first parse in a fresh process: what a cold cache adds once to a launch or a
  search process (importing tree-sitter, loading a grammar, compiling its query);
- `fresh process`: a launch's retrieval in a new python (links_launch_child.py: the
  command's modules imported, then retrieval timed with the check's imports included),
  without and with the check, alternately, in the changed repository with the blob cache
  deleted before each checked child (`cold`: the first launch after a pull) and kept
  (`warm`), in wall time and in CPU time (the child's and its git processes': what other
  work on a busy machine inflates least). `--before DIR` runs the same children against
  another aidermem checkout too (a worktree of an older commit: `git worktree add
  /tmp/before <commit>`), interleaved with this one's, so a before/after is measured in
  one run.
  `--fresh-process-only` skips the in-process rows.

Targets: the check adds <= 50 ms to launch retrieval at 10k memories in a repo of
2,000 files, and <= 20% to `aidermem search`.
Output: a Markdown report on stdout, also saved with the raw samples in benchmarks/results/.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_common import STAT_HEADERS, header, isolate, save, stat_row, table

PROJECT = "bench.example/linked"
QUERY = "session cache retry token worker"


def make_repo(root: Path, files: int, rng: random.Random) -> list[str]:
    root.mkdir(parents=True)
    paths = []
    for i in range(files):
        rel = f"pkg{i % 40}/mod{i}.py"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        body = "".join(
            f"def func_{i}_{j}(value, limit={j}):\n    total = value * {rng.randint(1, 99)}\n"
            f"    return min(total, limit)\n\n\n" for j in range(6))
        (root / rel).write_text(body)
        paths.append(rel)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "code")
    return paths


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.name=B", "-c", "user.email=b@x",
                    "-c", "commit.gpgsign=false", *args], check=True)


def make_store(store_root: Path, repo: Path, paths: list[str], count: int,
               rng: random.Random) -> None:
    import gen_memories

    from aidermem.links.check import Repo, take
    from aidermem.store import memfile
    from aidermem.store.store import Store

    linked = Repo(repo)
    store = Store.open(store_root)
    end = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(count):
        memory = gen_memories.make_memory(rng, i, end)
        path = rng.choice(paths)
        number = path.rsplit("mod", 1)[1].removesuffix(".py")
        links = [take(linked, path, f"func_{number}_{j}")
                 for j in rng.sample(range(6), rng.randint(1, 3))]
        links.append(take(linked, path))
        memory = memory.model_copy(update={"project": PROJECT, "project_name": "linked",
                                           "links": links})
        target = store.root / store.relpath_for(memory)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(memfile.dump(memory), encoding="utf-8")
    _git(store.root, "add", "-A", ".")
    _git(store.root, "commit", "-q", "-m", "bench memories")


def change_files(repo: Path, paths: list[str], share: float, rng: random.Random) -> None:
    for rel in rng.sample(paths, int(len(paths) * share)):
        target = repo / rel
        target.write_text(target.read_text().replace("min(total", "max(total", 1))
    _git(repo, "commit", "-q", "-am", "change some")


def paired(base: Callable[[], object], checked: Callable[[], object], runs: int
           ) -> tuple[list[float], list[float], list[float]]:
    """Both, alternately, `runs` times after a discarded warm-up: (base, checked, checked -
    base of each pair). Pairs cancel most of a busy machine's drift; the deltas are the cost."""
    base_s, checked_s, deltas = [], [], []
    for i in range(runs + 1):
        started = time.perf_counter()
        base()
        middle = time.perf_counter()
        checked()
        ended = time.perf_counter()
        if i:
            base_s.append(middle - started)
            checked_s.append(ended - middle)
            deltas.append((ended - middle) - (middle - started))
    return base_s, checked_s, deltas


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--memories", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--before", type=Path, default=None,
                        help="another aidermem checkout to measure in the same run")
    parser.add_argument("--fresh-process-only", action="store_true",
                        help="only the fresh-process rows (and the set-up)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-links-"))
    try:
        return run(work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, args: argparse.Namespace) -> int:
    isolate(work)
    from aidermem import paths as aidermem_paths
    from aidermem.index.memory_index import MemoryIndex
    from aidermem.index.search import SearchRequest, find
    from aidermem.links.cache import FILE_NAME
    from aidermem.links.use import Checker
    from aidermem.retrieve import select as retrieve
    from aidermem.store.store import Store

    rng = random.Random(13)
    repo = work / "repo"
    started = time.perf_counter()
    source_paths = make_repo(repo, args.files, rng)
    make_store(work / "store", repo, source_paths, args.memories, rng)
    store = Store.open(work / "store")
    index = MemoryIndex.open(store)
    index.refresh()
    setup = time.perf_counter() - started
    cache_file = aidermem_paths.index_dir_for(store.root) / FILE_NAME

    def launch(check: bool) -> object:
        checker = Checker((PROJECT,), repo, store.root) if check else None
        found = retrieve.retrieve(index, store, query=QUERY, where=retrieve.Filter(PROJECT),
                                  links=checker)
        if checker is not None:
            checker.save()
        return found

    request = SearchRequest(text=QUERY, scope="all", limit=10, current_project=PROJECT)

    def search(check: bool) -> object:
        hits = find(index, request)
        if check:
            checker = Checker((PROJECT,), repo, store.root)
            for hit in hits:
                checker.states_of_docs(hit.project, hit.links)
            checker.save()
        return hits

    samples: dict[str, list[float]] = {}

    def measure(label: str, base: Callable[[], object], checked: Callable[[], object],
                what: str) -> None:
        base_s, checked_s, deltas = paired(base, checked, args.runs)
        samples[f"{what}, no link check ({label})"] = base_s
        samples[f"{what} + link check ({label})"] = checked_s
        samples[f"**added by the check** to {what} ({label})"] = deltas

    if not args.fresh_process_only:
        measure("fresh", lambda: launch(False), lambda: launch(True), "retrieve")
        measure("fresh", lambda: search(False), lambda: search(True), "search query")
    change_files(repo, source_paths, 0.10, rng)
    if args.fresh_process_only:
        samples.update(fresh_process(store.root, repo, cache_file, args))
        return report_and_save(samples, args, setup, launch(True))

    def cold() -> None:
        cache_file.unlink(missing_ok=True)
        launch(True)

    measure("changed, cold cache", lambda: launch(False), cold, "retrieve")
    measure("changed, warm cache", lambda: launch(False), lambda: launch(True), "retrieve")
    measure("changed, warm cache", lambda: search(False), lambda: search(True), "search query")

    # In a fresh process the first parse also loads the grammar tables and a grammar; a
    # warm cache never does (blobs are looked up by file name). Measured once per run here.
    probe = ("import time; t = time.perf_counter(); from aidermem.links import fingerprint; "
             "fingerprint.definitions(b'def f():\\n    return 1\\n', 'python'); "
             "print(time.perf_counter() - t)")
    samples["first parse in a fresh process (imports + grammar)"] = [
        float(subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                             text=True).stdout) for _ in range(args.runs)]

    samples.update(fresh_process(store.root, repo, cache_file, args))
    return report_and_save(samples, args, setup, launch(True))


def fresh_process(store_root: Path, repo: Path, cache_file: Path, args: argparse.Namespace
                  ) -> dict[str, list[float]]:
    """Launch retrieval in new processes, without and with the check, cold and warm cache;
    this checkout's and --before's children interleaved, their order alternating per round."""
    here = Path(__file__).resolve().parent
    sources = [("this checkout", here.parent)]
    if args.before is not None:
        sources.append((f"before ({args.before})", args.before.resolve()))

    def child(src: Path, mode: str) -> tuple[float, float]:
        out = subprocess.run(
            [sys.executable, str(here / "links_launch_child.py"), str(src), str(store_root),
             str(repo), PROJECT, QUERY, mode], check=True, capture_output=True, text=True)
        wall, cpu = out.stdout.split()
        return float(wall), float(cpu)

    samples: dict[str, list[float]] = {}
    for state in ("cold", "warm"):
        for _name, src in sources:  # one discarded pair each: the OS's file cache
            child(src, "base")
            child(src, "check")
        for i in range(args.runs):
            order = sources if i % 2 == 0 else sources[::-1]
            for name, src in order:
                if state == "cold":
                    cache_file.unlink(missing_ok=True)
                modes = ("base", "check") if i % 2 == 0 else ("check", "base")
                timed = {mode: child(src, mode) for mode in modes}
                for k, clock in enumerate(("wall", "CPU")):
                    key = f"fresh process, {state} cache, {name}, {clock}"
                    base, checked = timed["base"][k], timed["check"][k]
                    samples.setdefault(f"retrieve, no link check ({key})", []).append(base)
                    samples.setdefault(f"retrieve + link check ({key})", []).append(checked)
                    samples.setdefault(f"**added by the check** ({key})", []).append(
                        checked - base)
    return samples


def report_and_save(samples: dict[str, list[float]], args: argparse.Namespace, setup: float,
                    found: object) -> int:
    linked = [m for m in [found.last_session, *found.notes] if m is not None]  # type: ignore[attr-defined]
    report = "\n".join([
        header("Link checks at launch retrieval and search (issue #13)"), "",
        f"Set-up: {args.files:,} source files, {args.memories:,} linked memories, "
        f"{setup:.1f} s; a launch retrieves {len(linked)} memories with "
        f"{sum(len(m.links) for m in linked)} links.", "",
        table(STAT_HEADERS, [stat_row(k, v) for k, v in samples.items()]),
    ])
    print(report)
    save("bench_links", report, {"samples": samples, "files": args.files,
                                 "memories": args.memories})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

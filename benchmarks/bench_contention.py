"""Contention: many writers, readers and a reindex at once against one store.

    python benchmarks/bench_contention.py [--writers 32] [--adds 6] [--readers 3]
                                          [--memories 1000] [--src DIR] [--workdir DIR]

Generates a store of --memories (benchmarks/gen_memories.py) in a fresh
AIDERMEM_HOME and builds its index, then starts everything at the same moment:
- --writers threads, each running `aidermem add` --adds times in a row;
- --readers threads per reading command (`search`, `list`, `stats`), each looping
  that command until the last writer is done;
- one thread looping `aidermem reindex` until then.
Every command is a whole `python -m aidermem` process, as a user would run it.
`--src DIR` runs the aidermem package found in DIR instead (PYTHONPATH), to compare
another commit on the same machine in the same way.

Reported: adds that landed (commits in the store's git) of those attempted, add
failures, reader failures (exit status not 0, or an `aidermem: error`), reader answers
that came with a "may miss the newest changes" warning, p50/p90/max latency of each
command, and whether the store ended consistent (clean `git status`, `git fsck`,
index documents == memory files). Results go to benchmarks/results/ and stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import bench_common
from bench_common import STAT_HEADERS, header, isolate, save, stat_row, table

READERS = (("search", "payment", "webhook", "retry"), ("list",), ("stats",))


class Runs:
    """Every command run: (kind, seconds, exit status, stderr), shared by the threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: list[tuple[str, float, int, str]] = []

    def run(self, kind: str, argv: list[str], env: dict[str, str], cwd: Path) -> int:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "aidermem", *argv], cwd=cwd, env=env,
                              capture_output=True, text=True, check=False)
        with self.lock:
            self.rows.append((kind, time.perf_counter() - started, done.returncode,
                              done.stderr))
        return done.returncode

    def of(self, kind: str) -> list[tuple[str, float, int, str]]:
        return [r for r in self.rows if r[0] == kind]


def git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                          check=False)


def contend(args: argparse.Namespace, env: dict[str, str], cwd: Path) -> Runs:
    runs = Runs()
    writers_done = threading.Event()
    start = threading.Barrier(args.writers + args.readers * len(READERS) + 1)

    def writer(w: int) -> None:
        start.wait()
        for i in range(args.adds):
            runs.run("add", ["add", f"contention writer {w} note {i}"], env, cwd)

    def reader(argv: tuple[str, ...]) -> None:
        start.wait()
        while not writers_done.is_set():
            runs.run(argv[0], list(argv), env, cwd)

    def reindexer() -> None:
        start.wait()
        while not writers_done.is_set():
            runs.run("reindex", ["reindex"], env, cwd)

    writers = [threading.Thread(target=writer, args=(w,)) for w in range(args.writers)]
    others = [threading.Thread(target=reader, args=(argv,))
              for argv in READERS for _ in range(args.readers)]
    others.append(threading.Thread(target=reindexer))
    for thread in writers + others:
        thread.start()
    for thread in writers:
        thread.join()
    writers_done.set()
    for thread in others:
        thread.join()
    return runs


def summarize(args: argparse.Namespace, runs: Runs, store: Path, env: dict[str, str],
              cwd: Path, seconds: float) -> dict[str, Any]:
    subjects = git(store, "log", "--format=%s").stdout.splitlines()
    landed = sum(1 for s in subjects if s.startswith("add note: contention writer"))
    adds = runs.of("add")
    reads = [r for r in runs.rows if r[0] in ("search", "list", "stats")]
    stats = subprocess.run([sys.executable, "-m", "aidermem", "stats", "--json"], cwd=cwd,
                           env=env, capture_output=True, text=True, check=False)
    counts = json.loads(stats.stdout) if stats.returncode == 0 else {}
    fsck = git(store, "fsck", "--no-progress")
    return {
        "wall_s": round(seconds, 1),
        "adds_attempted": args.writers * args.adds,
        "adds_landed": landed,
        "add_failures": [r[3].strip()[:300] for r in adds if r[2] != 0],
        "reader_runs": len(reads),
        "reader_failures": [f"{r[0]}: {r[3].strip()[:300]}" for r in reads
                            if r[2] != 0 or "aidermem: error" in r[3]],
        "reader_stale_answers": sum(1 for r in reads if "may miss the newest" in r[3]),
        "reindex_runs": len(runs.of("reindex")),
        "reindex_failures": [r[3].strip()[:300] for r in runs.of("reindex") if r[2] != 0],
        "clean_status": git(store, "status", "--porcelain").stdout == "",
        "fsck_ok": fsck.returncode == 0,
        "index_docs": counts.get("index_docs"),
        "store_files": counts.get("store_files"),
        "latency": {kind: sorted(r[1] for r in runs.of(kind))
                    for kind in ("add", "search", "list", "stats", "reindex")},
    }


def render(args: argparse.Namespace, result: dict[str, Any]) -> str:
    lines = [header("Contention: writers, readers and a reindex at once"), "",
             f"{args.writers} writers × {args.adds} adds, {args.readers} × each of "
             f"search/list/stats looping, 1 reindex looping, over {args.memories:,} memories; "
             f"aidermem from {args.src or 'the installed package'}.", "",
             table(["measure", "value"], [
                 ["adds landed / attempted",
                  f"{result['adds_landed']} / {result['adds_attempted']}"],
                 ["add failures", str(len(result["add_failures"]))],
                 ["reader runs / failures",
                  f"{result['reader_runs']} / {len(result['reader_failures'])}"],
                 ["reader answers from a stale index (warned)",
                  str(result["reader_stale_answers"])],
                 ["reindex runs / failures",
                  f"{result['reindex_runs']} / {len(result['reindex_failures'])}"],
                 ["git status clean, fsck ok",
                  f"{result['clean_status']}, {result['fsck_ok']}"],
                 ["index documents / memory files",
                  f"{result['index_docs']} / {result['store_files']}"],
                 ["wall time (s)", str(result["wall_s"])],
             ]), "",
             table(STAT_HEADERS, [stat_row(f"`aidermem {kind}`", values)
                                  for kind, values in result["latency"].items()])]
    for name in ("add_failures", "reader_failures", "reindex_failures"):
        if result[name]:
            lines += ["", f"First {name.replace('_', ' ')}:", ""]
            lines += [f"- `{text}`" for text in dict.fromkeys(result[name])][:5]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=32)
    parser.add_argument("--adds", type=int, default=6, help="adds per writer, one after another")
    parser.add_argument("--readers", type=int, default=3, help="threads per reading command")
    parser.add_argument("--memories", type=int, default=1000, help="memories in the store")
    parser.add_argument("--src", type=Path, help="run the aidermem package in this directory")
    parser.add_argument("--workdir", type=Path, help="default: a temporary directory")
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="aidermem-contention-"))
    shutil.rmtree(work / "aidermem", ignore_errors=True)
    isolate(work)
    env = dict(os.environ)
    if args.src:
        env["PYTHONPATH"] = str(args.src.resolve())
    cwd = work / "cwd"
    cwd.mkdir(exist_ok=True)
    store = Path(env["AIDERMEM_HOME"]) / "store"
    print(bench_common.ensure_store(store, args.memories), flush=True)
    subprocess.run([sys.executable, "-m", "aidermem", "reindex"], cwd=cwd, env=env, check=True,
                   capture_output=True)
    started = time.perf_counter()
    runs = contend(args, env, cwd)
    result = summarize(args, runs, store, env, cwd, time.perf_counter() - started)
    report = render(args, result)
    path = save("contention", report, {"args": {k: str(v) for k, v in vars(args).items()},
                                       **result, "runs": runs.rows})
    print(report)
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

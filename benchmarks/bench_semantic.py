"""Speed of semantic search (issue #11 item 4), as ratios measured in the same run.

    python benchmarks/bench_semantic.py [--size 10000] [--runs 15] [--workdir DIR]

On one generated store (benchmarks/gen_memories.py) this measures, alternating
`semantic = false` and `semantic = true` in the user config file so load changes
hit both alike:
- `aidermem reindex` as a whole process after `rm -rf` of the index directory
  (cold: Tantivy rebuild, plus, when semantic is on, the vector cache and the
  tokenizer's table from nothing): memories/s by the wall clock, median;
- `aidermem reindex` with semantic on and the vector cache kept (warm: the
  vectors of unchanged memories are reused by content hash);
- `aidermem search --all-projects QUERY` as a whole process, warm (index and
  vector cache built), median of --runs per mode;
- `aidermem search` with semantic on right after an `aidermem add` (the vector
  cache follows the changed index once: it walks the index, embeds the new memory
  and writes it to the delta beside the cache, vector_delta.py), median of
  --after-add-runs;
- `aidermem search` with no config file at all (the default, `semantic = "auto"`: on at
  10,000 memories, off above; it skips the config's imports), in the same loop;
- the ratio semantic/BM25-only of search and reindex.
Budgets: search ≤ 1.5 times BM25-only, reindex with vectors ≥ 2,000 memories/s. The default
search against the default before semantic was on (BM25, no config file) is measured by
`bench_store.py --sizes 10k --against REV`, which runs an earlier revision's search
alternated with this one's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_common

QUERIES = ["retry the webhook when the signature fails", "cache invalidation on deploy",
           "why did login loop", "parse_config timeout", "customers charged twice"]


def aidermem() -> list[str]:
    script = Path(sys.executable).parent / "aidermem"
    return [str(script)] if script.exists() else [sys.executable, "-m", "aidermem"]


def timed(cmd: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--reindex-runs", type=int, default=3)
    parser.add_argument("--after-add-runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-semantic-"))
    bench_common.isolate(work)
    from aidermem import paths

    store = paths.default_store_dir()
    print(bench_common.ensure_store(store, args.size), flush=True)
    config = paths.user_config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    cwd = work  # not a git work tree: every project is in scope
    modes = {"bm25": "semantic = false\n", "semantic": "semantic = true\n"}
    reindex: dict[str, list[float]] = {m: [] for m in modes}
    search: dict[str, list[float]] = {m: [] for m in modes}
    warm: list[float] = []
    for _ in range(args.reindex_runs):
        for mode, text in modes.items():
            config.write_text(text, encoding="utf-8")
            shutil.rmtree(paths.index_dir_for(store), ignore_errors=True)
            reindex[mode].append(args.size / timed([*aidermem(), "reindex"], cwd))
        warm.append(args.size / timed([*aidermem(), "reindex"], cwd))  # semantic, cache kept
    from aidermem.index import fusion
    from aidermem.store.store import Store

    # A reused --workdir holds earlier runs' notes: the default depends on the count searched.
    searched = sum(1 for _ in Store.open(store).iter_paths())
    default = "semantic" if fusion.in_force("auto", searched) else "BM25"
    search["no config"] = []
    for i in range(args.runs + 2):
        for mode, text in [*modes.items(), ("no config", None)]:
            if text is None:
                config.unlink(missing_ok=True)
            else:
                config.write_text(text, encoding="utf-8")
            took = timed([*aidermem(), "search", "--all-projects", QUERIES[i % len(QUERIES)]],
                         cwd)
            if i >= 2:  # the first two warm the page cache
                search[mode].append(took)
    config.write_text(modes["semantic"], encoding="utf-8")
    after_add: list[float] = []
    for i in range(args.after_add_runs):
        subprocess.run([*aidermem(), "add", "--title", f"bench note {i}",
                        "a note added between two searches"], cwd=cwd, check=True,
                       stdout=subprocess.DEVNULL)
        after_add.append(timed([*aidermem(), "search", "--all-projects", QUERIES[0]], cwd))
    med = {m: statistics.median(v) for m, v in search.items()}
    rate = {m: statistics.median(v) for m, v in reindex.items()}
    rows = [[mode, f"{rate[mode]:,.0f}", f"{med[mode] * 1000:.0f}"] for mode in modes]
    rows[1][1] += f" (warm: {statistics.median(warm):,.0f})"
    rows.append([f"no config file (the default: {default})", "", f"{med['no config'] * 1000:.0f}"])
    print(bench_common.header("aidermem semantic search speed"))
    print(f"{args.size:,} memories; load average {os.getloadavg()[0]:.2f} at the end\n")
    print(bench_common.table(["mode", "reindex memories/s, cold (whole process)",
                              "`aidermem search` ms median"], rows))
    print(f"\nsearch semantic/BM25-only = {med['semantic'] / med['bm25']:.2f}× (budget ≤ 1.5×; "
          f"both read the same config file; with none, the default search takes "
          f"{med['no config'] * 1000:.0f} ms: bench_store.py --against compares it with an "
          f"earlier revision's); "
          f"reindex with vectors {rate['semantic']:,.0f}/s cold, "
          f"{statistics.median(warm):,.0f}/s warm (budget ≥ 2,000/s), "
          f"BM25-only {rate['bm25']:,.0f}/s; "
          f"first semantic search after an add {statistics.median(after_add) * 1000:.0f} ms")
    print(f"\nsamples (s): search {search}, reindex rates {reindex}, warm {warm}, "
          f"after add {after_add}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

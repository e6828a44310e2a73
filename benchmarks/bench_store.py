"""Speed of the store and index at 1k, 10k and 100k memories.

    python benchmarks/bench_store.py [--sizes 1k,10k,100k] [--runs 20] [--reindex-runs 3]
                                     [--workdir DIR] [--against REV]

For each size: generate a store once (benchmarks/gen_memories.py, cached in
--workdir), then measure
- bulk reindex rate: a full rebuild from an empty index dir, in its own process,
  --reindex-runs times, median and range (memories/s by the wall clock, and CPU
  seconds of the process and its parse workers, which says more than the wall
  clock on a busy machine);
- the no-change sync (runs before every search) in-process, beside a full
  `git status` of the store (what it replaced);
- `aidermem search` as a whole process, median of --runs (warm page cache), run
  as the installed `aidermem` script (else `python -m aidermem`), else a minimal
  `python -c` that opens the store and index and searches (the report says which);
- `aidermem add` as a whole process, median;
- the baseline `python -c pass` in the same run, to show interpreter start-up;
- with --against REV: `aidermem search` and `add` again, each run alternated with the
  same command run on REV's code (`git archive` into --workdir, first on PYTHONPATH),
  on the same store: medians of both and their ratio, this checkout / REV.
Targets: search <= 150 ms at 100k, reindex >= 5,000/s, add <= 300 ms.
Results go to benchmarks/results/latest.md (ignored by git) and stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import gen_memories  # noqa: E402

QUERIES = [
    "getUserById token refresh", "payment webhook retry", "flaky tests in ci",
    "migration timeout", "cache invalidation stale", "src/api/orderService.ts",
    "validate_invoice_by_customer", "deploy staging release", "用户登录", "session expired",
    "why did we rename the handler", "queue worker crash", "PaymentWebhookService",
    "schema migration rollback", "Ошибка кэша", "permission role profile", "retries",
    "config default option", "report query slow", "customer price product",
]
TARGETS = {"search_ms": 150.0, "reindex_per_s": 5000.0, "add_ms": 300.0}

REINDEX = """
import json, resource, shutil, sys, time
from pathlib import Path
from aidermem import paths
from aidermem.index.memory_index import MemoryIndex
from aidermem.store.store import Store
store = Store.open(Path(sys.argv[1]), create=False)
shutil.rmtree(paths.index_dir_for(store.root), ignore_errors=True)
t = time.perf_counter()
report = MemoryIndex.open(store).sync()
wall = time.perf_counter() - t
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "added": report.added, "skipped": len(report.skipped),
                  "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime}))
"""

SYNC = """
import json, statistics, sys, time
from pathlib import Path
from aidermem import gitutil
from aidermem.index.memory_index import MemoryIndex
from aidermem.store.store import Store
store = Store.open(Path(sys.argv[1]), create=False)
index = MemoryIndex.open(store)
index.sync()
def median_ms(fn, n=10):
    out = []
    for _ in range(n):
        t = time.perf_counter(); fn(); out.append((time.perf_counter() - t) * 1000)
    return statistics.median(out)
from aidermem.index.search import SearchRequest, find
queries = iter(json.loads(sys.argv[2]) * 3)
def query():
    find(index, SearchRequest(text=next(queries), scope="all"))
print(json.dumps({"sync_ms": median_ms(index.sync), "head_ms": median_ms(store.head),
                  "dirty_ms": median_ms(lambda: gitutil.changed_files(store.root)),
                  "query_ms": median_ms(query, 20)}))
"""

IMPORTS = "import aidermem.store.store, aidermem.index.memory_index, aidermem.index.search"

MINIMAL_SEARCH = """
import sys
from pathlib import Path
from aidermem.index.memory_index import MemoryIndex
from aidermem.index.search import SearchRequest, find
from aidermem.store.store import Store
index = MemoryIndex.open(Store.open(Path(sys.argv[1]), create=False))
for hit in find(index, SearchRequest(text=sys.argv[2], scope="all")):
    print(hit.title)
"""

MINIMAL_ADD = """
import sys
from pathlib import Path
from aidermem.index.memory_index import MemoryIndex
from aidermem.models import Memory
from aidermem.store.store import Store
store = Store.open(Path(sys.argv[1]), create=False)
store.add(Memory(title=sys.argv[2], body=sys.argv[2]))
MemoryIndex.open(store).sync()
"""


def parse_size(text: str) -> int:
    text = text.strip().lower()
    return int(float(text[:-1]) * 1000) if text.endswith("k") else int(text)


def timed_runs(cmds: list[list[str]], env: dict[str, str], cwd: Path) -> list[float]:
    """Wall milliseconds of each command, run one after another."""
    out = []
    for cmd in cmds:
        t = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
        out.append((time.perf_counter() - t) * 1000)
        if proc.returncode != 0:
            raise SystemExit(f"benchmark command failed: {cmd}\n{proc.stderr[-2000:]}")
    return out


def aidermem_command() -> list[str]:
    """The installed `aidermem` script beside this Python (what a user types), else -m."""
    script = Path(sys.executable).parent / "aidermem"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "aidermem"]


def cli_works(env: dict[str, str], cwd: Path) -> bool:
    if not any((REPO / "aidermem" / cli).exists() for cli in ("cli.py", "cli")):
        return False
    probe = subprocess.run([*aidermem_command(), "search", "--help"], env=env,
                           cwd=cwd, capture_output=True)
    return probe.returncode == 0


def python_json(script: str, args: list[str], env: dict[str, str]) -> dict[str, float]:
    proc = subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def export(rev: str, workdir: Path) -> tuple[str, Path]:
    """REV's aidermem package and prompts, exported once into workdir: (short sha, dir)."""
    sha = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", rev], check=True,
                         capture_output=True, text=True).stdout.strip()
    target = workdir / f"against-{sha}"
    if not (target / "aidermem").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        tar = subprocess.run(["git", "-C", str(REPO), "archive", sha, "aidermem", "prompts"],
                             check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=tar, check=True)
    return sha, target


def alternated(ours: list[list[str]], theirs: list[list[str]], env: dict[str, str],
               env_against: dict[str, str], cwd: Path) -> tuple[list[float], list[float]]:
    """Each pair run one after the other (ours, then theirs), so drift hits both alike."""
    a, b = [], []
    for mine, other in zip(ours, theirs, strict=True):
        a += timed_runs([mine], env, cwd)
        b += timed_runs([other], env_against, cwd)
    return a, b


def compare(result: dict[str, object], against: tuple[str, Path], command: list[str],
            runs: int, env: dict[str, str], cwd: Path) -> None:
    """search and add of this checkout against REV's, alternated (see the docstring)."""
    sha, code = against
    env_against = {**env, "PYTHONPATH": str(code)}
    # `python -m aidermem` on both sides: the installed script names this checkout's entry
    # point, which an earlier revision (before the layout by stage) does not have.
    command = [sys.executable, "-m", "aidermem"]
    searches = [[*command, "search", "--all-projects", QUERIES[i % len(QUERIES)]]
                for i in range(runs)]
    alternated(searches[:2], searches[:2], env, env_against, cwd)  # warm up both
    mine, theirs = alternated(searches, searches, env, env_against, cwd)
    adds = [[*command, "add", "--global", "--title", f"bench vs {i}",
             f"benchmark memory {i} about getUserById"] for i in range(2 * max(5, runs // 2))]
    add_mine, add_theirs = alternated(adds[::2], adds[1::2], env, env_against, cwd)
    result["against"] = sha
    for key, a, b in (("search", mine, theirs), ("add", add_mine, add_theirs)):
        result[f"{key}_vs_ms"] = statistics.median(a)
        result[f"{key}_against_ms"] = statistics.median(b)
        result[f"{key}_ratio"] = statistics.median(a) / statistics.median(b)


def bench_size(n: int, workdir: Path, runs: int, reindex_runs: int,
               against: tuple[str, Path] | None = None) -> dict[str, object]:
    home = workdir / f"n{n}"
    store = home / "store"
    if not (store / ".git").exists():
        shutil.rmtree(home, ignore_errors=True)
        t = time.perf_counter()
        gen_memories.generate(store, n)
        print(f"  generated {n} memories in {time.perf_counter() - t:.1f}s", flush=True)
    env = {**os.environ, "AIDERMEM_HOME": str(home)}
    env.pop("AIDERMEM_CACHE_DIR", None)
    # As installed: bytecode cached. (Without .pyc files every start compiles every module.)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cwd = home  # not a git work tree: "current project" is none, so scope is every project
    result: dict[str, object] = {"n": n, "load_before": os.getloadavg()[0]}

    rebuilds = []
    for _ in range(reindex_runs):
        rebuilds.append(python_json(REINDEX, [str(store)], env))
        print(f"  reindex {rebuilds[-1]['added']} in {rebuilds[-1]['wall']:.1f}s", flush=True)
    rates = sorted(r["added"] / r["wall"] for r in rebuilds)
    result["reindex_per_s"] = statistics.median(rates)
    result["reindex_per_s_range"] = (rates[0], rates[-1])
    result["reindex_cpu_us_per_memory"] = statistics.median(
        r["cpu"] / max(r["added"], 1) * 1e6 for r in rebuilds)
    result["reindex_wall_s"] = statistics.median(r["wall"] for r in rebuilds)
    result.update(python_json(SYNC, [str(store), json.dumps(QUERIES)], env))

    use_cli = cli_works(env, cwd)
    command = aidermem_command()
    via = " ".join(Path(c).name for c in command)
    result["search_via"] = f"{via} search" if use_cli else "python -c (minimal)"

    def search_cmd(q: str, cli: bool) -> list[str]:
        if cli:
            return [*command, "search", "--all-projects", q]
        return [sys.executable, "-c", MINIMAL_SEARCH, str(store), q]

    for cli, key in ((use_cli, "search"), (False, "minimal_search")):
        timed_runs([search_cmd(q, cli) for q in QUERIES[:2]], env, cwd)  # warm up
        times = timed_runs([search_cmd(QUERIES[i % len(QUERIES)], cli) for i in range(runs)],
                           env, cwd)
        result[f"{key}_ms"] = statistics.median(times)
        result[f"{key}_p90_ms"] = statistics.quantiles(times, n=10)[-1]
    result["imports_ms"] = statistics.median(
        timed_runs([[sys.executable, "-c", IMPORTS]] * runs, env, cwd))
    result["python_pass_ms"] = statistics.median(
        timed_runs([[sys.executable, "-c", "pass"]] * runs, env, cwd))

    add_runs = max(5, runs // 2)
    if use_cli:
        adds = [[*command, "add", "--global", "--title",
                 f"bench add {i}", f"benchmark memory number {i} about getUserById"]
                for i in range(add_runs)]
        result["add_via"] = f"{via} add"
    else:
        adds = [[sys.executable, "-c", MINIMAL_ADD, str(store), f"bench add {i}"]
                for i in range(add_runs)]
        result["add_via"] = "python -c (minimal)"
    result["add_ms"] = statistics.median(timed_runs(adds, env, cwd))
    if against is not None and use_cli:
        compare(result, against, command, runs, env, cwd)
    result["load_after"] = os.getloadavg()[0]
    return result


def render(results: list[dict[str, object]], command: str) -> str:
    lines = [
        "# aidermem store/search benchmark", "",
        f"Command: `{command}`  ",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}  ",
        f"Date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}", "",
        "| memories | reindex /s median (range) | reindex CPU µs/memory | no-change sync ms "
        "(git HEAD / status) | query ms in-process | search ms median (p90) | minimal "
        "search process ms (p90) | imports ms | `python -c pass` ms | add ms | load avg |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['n']:,} | {r['reindex_per_s']:,.0f} ({r['reindex_per_s_range'][0]:,.0f}–"
            f"{r['reindex_per_s_range'][1]:,.0f}) | {r['reindex_cpu_us_per_memory']:,.0f} | "
            f"{r['sync_ms']:.1f} ({r['head_ms']:.1f} / {r['dirty_ms']:.1f}) | "
            f"{r['query_ms']:.1f} | {r['search_ms']:.0f} ({r['search_p90_ms']:.0f}) | "
            f"{r['minimal_search_ms']:.0f} ({r['minimal_search_p90_ms']:.0f}) | "
            f"{r['imports_ms']:.0f} | {r['python_pass_ms']:.0f} | {r['add_ms']:.0f} | "
            f"{r['load_before']:.1f}→{r['load_after']:.1f} |")
    lines += ["", f"Search measured via: {results[0]['search_via']}; add via: "
              f"{results[0]['add_via']}. The minimal search process opens the store and "
              "index and searches (`python -c`, no CLI); imports = `import aidermem.store.store, "
              "aidermem.index.memory_index, aidermem.index.search` alone.", "",
              "Targets: search ≤ 150 ms at 100k, reindex ≥ 5,000/s, add ≤ 300 ms. "
              "Reindex CPU µs/memory counts the process and its parse workers; on 2 cores "
              "5,000/s needs ≤ 400 µs of CPU per memory with both cores free.", ""]
    compared = [r for r in results if "against" in r]
    if compared:
        lines += [f"Against {compared[0]['against']} (alternated runs on the same store):", "",
                  "| memories | search ms this / against (ratio) | add ms this / against "
                  "(ratio) |", "|---:|---:|---:|"]
        lines += [f"| {r['n']:,} | {r['search_vs_ms']:.1f} / {r['search_against_ms']:.1f} "
                  f"({r['search_ratio']:.3f}×) | {r['add_vs_ms']:.1f} / "
                  f"{r['add_against_ms']:.1f} ({r['add_ratio']:.3f}×) |" for r in compared]
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1k,10k,100k", help="comma-separated, e.g. 1k,10k")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reindex-runs", type=int, default=3,
                        help="full rebuilds per size; the median rate is reported")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/aidermem-bench"),
                        help="where generated stores are kept between runs")
    parser.add_argument("--against", metavar="REV",
                        help="also time search and add against this git revision's code, "
                             "alternating runs (e.g. HEAD~1)")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    against = export(args.against, args.workdir) if args.against else None
    results = []
    for size in args.sizes.split(","):
        n = parse_size(size)
        print(f"{n} memories", flush=True)
        results.append(bench_size(n, args.workdir, args.runs, args.reindex_runs, against))
        print("  " + json.dumps(results[-1], default=str), flush=True)
    text = render(results, "python benchmarks/bench_store.py " + " ".join(sys.argv[1:]))
    out = HERE / "results" / "latest.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

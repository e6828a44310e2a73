"""Start-up of `aidermem mcp`: spawn → `initialize` answered, against baselines in one run.

Usage (from the repository root; about a minute with the defaults on a 2-core box):

    .venv/bin/python benchmarks/bench_mcp.py
    .venv/bin/python benchmarks/bench_mcp.py --runs 20 --memories 10000

What it measures, with the server on plain pipes as a client spawns it (JSON-RPC
lines on stdin/stdout, no SDK on the client side, so only the server is timed):

  initialize  spawn → the `initialize` response read. Clients wait for this
              (Codex: 10 s by default; others less). Target: ≤ 1 s.
  first call  `initialized`, then `search_memories` → its answer: what the lazy
              start-up defers (project, store, index open and sync) over a store
              of --memories generated memories, index already built.
  baselines   spawn → exit of `python -c pass`, of `aidermem --version` (the
              interpreter, and aidermem's CLI without any command), and of
              `python -c "import mcp.server.fastmcp"` (the SDK's import, the floor;
              its exit tears down ~1,000 modules, which the server's figure, timed
              before any exit, does not include).

Runs alternate (baselines, server, …) so drift hits all; one discarded warm-up
each. Output: a Markdown report on stdout, also saved with the raw samples in
benchmarks/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

from bench_common import (
    STAT_HEADERS,
    command_line,
    ensure_store,
    header,
    isolate,
    machine_info,
    median,
    save,
    stat_row,
    table,
)

AIDERMEM = str(Path(sys.executable).with_name("aidermem"))
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "bench", "version": "1"}}}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
SEARCH = {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
          "params": {"name": "search_memories", "arguments": {"query": "cache retry timeout"}}}


def send(pipe: IO[bytes], message: dict[str, object]) -> None:
    pipe.write(json.dumps(message).encode() + b"\n")
    pipe.flush()


def answer(pipe: IO[bytes], wanted: int) -> dict[str, object]:
    while True:
        line = pipe.readline()
        if not line:
            raise RuntimeError("the server closed stdout before answering")
        message = json.loads(line)
        if message.get("id") == wanted:
            return message


def server_once(cwd: Path) -> tuple[float, float]:
    """(spawn → initialize answered, search call → answered)."""
    started = time.perf_counter()
    proc = subprocess.Popen([AIDERMEM, "mcp"], cwd=cwd, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdin is not None and proc.stdout is not None
    send(proc.stdin, INIT)
    answer(proc.stdout, 1)
    ready = time.perf_counter() - started
    send(proc.stdin, INITIALIZED)
    asked = time.perf_counter()
    send(proc.stdin, SEARCH)
    reply = answer(proc.stdout, 2)
    first_call = time.perf_counter() - asked
    assert not reply["result"]["isError"], reply  # type: ignore[index]
    proc.stdin.close()
    proc.wait(timeout=30)
    return ready, first_call


def exit_once(argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each (10)")
    parser.add_argument("--memories", type=int, default=1_000, help="store size (1000)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="aidermem-bench-mcp-")).resolve()
    samples: dict[str, list[float]] = {"python": [], "version": [], "sdk": [], "init": [],
                                       "call": []}
    try:
        isolate(work)
        store_dir = work / "aidermem" / "store"
        notes = [ensure_store(store_dir, args.memories)] if args.memories else []
        repo = work / "repo"
        repo.mkdir()
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
        subprocess.run([AIDERMEM, "reindex"], cwd=repo, check=True, stdout=subprocess.DEVNULL)
        for i in range(args.runs + 1):
            times = {
                "python": exit_once([sys.executable, "-c", "pass"], repo),
                "version": exit_once([AIDERMEM, "--version"], repo),
                "sdk": exit_once([sys.executable, "-c", "import mcp.server.fastmcp"], repo),
            }
            times["init"], times["call"] = server_once(repo)
            if i == 0:
                continue  # warm-up
            for key, value in times.items():
                samples[key].append(value)
            print(f"  run {i}/{args.runs}: " + " ".join(f"{k} {v:.3f}" for k, v in
                                                      times.items()), file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = [
        stat_row("`python -c pass`: spawn → exit", samples["python"]),
        stat_row("`aidermem --version`: spawn → exit", samples["version"]),
        stat_row("`python -c 'import mcp.server.fastmcp'`: spawn → exit", samples["sdk"]),
        stat_row("**`aidermem mcp`: spawn → initialize answered**", samples["init"]),
        stat_row("`aidermem mcp`: first search_memories → answered", samples["call"]),
    ]
    verdict = "met" if median(samples["init"]) <= 1.0 else "MISSED"
    report = "\n\n".join([
        header("aidermem mcp start-up benchmark"),
        table(STAT_HEADERS, rows),
        f"spawn → initialize, median: **{median(samples['init']):.3f} s** (target ≤ 1 s: "
        f"{verdict}); the SDK's bare import, exit included: "
        f"{median(samples['sdk']):.3f} s.",
        "Notes: " + "; ".join([*notes, "index built before timing",
                               "one discarded warm-up run of each"]) + ".",
    ])
    print(report)
    raw = {"command": command_line(), "machine": machine_info(), "samples": samples}
    print(f"\nsaved to {save('mcp', report, raw)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

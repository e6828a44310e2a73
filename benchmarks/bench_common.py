"""Shared by the benchmark scripts: statistics, Markdown, machine facts, isolation.

Not a benchmark itself. Medians and p90 (linear interpolation, numpy's
default), a Markdown table, the report header (exact command, nproc, CPU,
Python, aider and aidermem versions, load average), saving a report plus its
raw samples under benchmarks/results/ (git-ignored), and pointing this process
at a throw-away HOME and AIDERMEM_HOME before anything runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
# tests/ for the pty harness and the fake LLM; aidermem itself comes from the installed
# package (or PYTHONPATH), exactly as for the `aidermem` executable the benchmarks run.
sys.path[:0] = [str(HERE), str(ROOT / "tests")]

def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    s = sorted(values)
    k = (len(s) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return percentile(values, 0.5)


def fmt(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds:.3f}"


def stat_row(label: str, values: list[float]) -> list[str]:
    """| label | N | median | p90 | min | max |"""
    if not values:
        return [label, "0", "–", "–", "–", "–"]
    return [label, str(len(values)), fmt(median(values)), fmt(percentile(values, 0.9)),
            fmt(min(values)), fmt(max(values))]


STAT_HEADERS = ["measure (seconds)", "N", "median", "p90", "min", "max"]


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def machine_info() -> dict[str, str]:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    head = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                          capture_output=True, text=True, check=False).stdout.strip()
    from importlib.metadata import version

    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": cpu,
        "python": platform.python_version(),
        "os": platform.platform(),
        "aider-chat": version("aider-chat"),
        "aidermem": f"{version('aidermem')} ({head or 'unknown commit'}), "
                    f"imported from {_package_dir()}",
        "load average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _package_dir() -> str:
    """Where `import aidermem` resolves (PYTHONPATH can point a run at another copy)."""
    import importlib.util

    spec = importlib.util.find_spec("aidermem")
    return str(Path(spec.origin).parent) if spec and spec.origin else "?"


def command_line() -> str:
    return shlex.join([sys.executable, *sys.argv])


def header(title: str) -> str:
    info = machine_info()
    lines = [f"# {title}", "", f"Command: `{command_line()}`", "",
             f"Date: {datetime.now().astimezone().isoformat(timespec='seconds')}", ""]
    lines += [f"- {k}: {v}" for k, v in info.items()]
    if os.getloadavg()[0] > len(os.sched_getaffinity(0)) / 2:
        lines += ["", "**Warning: the machine was busy when this run started; wall times "
                      "include other work. Compare ratios, or rerun on a quiet machine.**"]
    return "\n".join(lines)


def save(stem: str, report: str, raw: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"{stem}-{stamp}.md"
    path.write_text(report + "\n", encoding="utf-8")
    path.with_suffix(".json").write_text(json.dumps(raw, indent=1) + "\n", encoding="utf-8")
    return path


def isolate(work: Path, **extra: str) -> Path:
    """Point this process (and so its children) at a fresh HOME and AIDERMEM_HOME in `work`."""
    home = work / "home"
    home.mkdir(parents=True, exist_ok=True)
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Bench\n\temail = bench@example.com\n"
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n")
    for key in list(os.environ):
        if key.startswith(("AIDERMEM_", "AIDER_", "XDG_", "OPENAI_", "ANTHROPIC_", "GIT_")):
            del os.environ[key]
    os.environ.update({"HOME": str(home), "AIDERMEM_HOME": str(work / "aidermem"), **extra})
    return home


def ensure_store(store: Path, count: int) -> str:
    """Generate `count` memories with gen_memories unless `store` exists (then reuse it)."""
    if store.is_dir():
        return f"reused the store in {store}"
    import gen_memories

    started = time.perf_counter()
    gen_memories.generate(store, count)
    return f"generated {count:,} memories in {time.perf_counter() - started:.1f} s"

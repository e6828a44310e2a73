"""Launch and exit latency of `aidermem` against bare `aider`, both on a real pty.

Usage (from the repository root; about 4 minutes with the defaults on a 2-core box):

    /work/venv/bin/python benchmarks/bench_launch.py
    /work/venv/bin/python benchmarks/bench_launch.py --runs 20 --exit-runs 10 --cold-runs 3
    /work/venv/bin/python benchmarks/bench_launch.py --parts start,profile
    /work/venv/bin/python benchmarks/bench_launch.py --workdir /tmp/bench   # keep, reuse store

What it measures, in one process that starts the fake LLM (tests/fakellm.py) on
127.0.0.1 and drives the real executables under pexpect (no network; aider's
model-price cache is seeded as tests/aider_harness.headless_env does):

  start  Command -> aider's first prompt (PROMPT_RE), bare `aider` vs
         `aidermem` with --memories (10k) memories from benchmarks/gen_memories.py,
         index already built. Runs alternate bare/aidermem (ABAB…) so drift
         hits both; one discarded warm-up of each first. For aidermem it also
         records, by polling /proc and the temp dir, when aider was spawned
         (aidermem's own start-up) and when the context file held the
         memories; and for both, the CPU seconds used by the first prompt,
         which other load on the machine inflates less than wall time.
         Target: ratio of medians <= 1.05.
  cold   The same start with the index deleted first (the first-run rebuild).
  exit   A session of --messages messages, then `/exit` -> EOF of the command
         (the terminal is back), and when the aider process itself exited.
         aidermem's own part is aider exited -> EOF (capture, store commit,
         index upsert, its exit); target <= 1 s. After each aidermem run the
         benchmark waits for the background summarizer (timed too), so it
         cannot slow the next run.
  profile  Where aidermem's time goes: `python -X importtime` of the launch
         path and cProfile of one real launch. Runs by itself when the start
         target is missed (--no-profile to skip).

Output: a Markdown report on stdout, also saved with the raw samples (JSON) in
benchmarks/results/ (git-ignored). Numbers are seconds; N is runs per figure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_common import (
    STAT_HEADERS,
    command_line,
    ensure_store,
    fmt,
    header,
    isolate,
    machine_info,
    median,
    percentile,
    save,
    stat_row,
    table,
)

# -- the rig: an isolated HOME, a repo, a 10k store and the fake LLM --------------------

BIN = Path(sys.executable).parent
AIDER, AIDERMEM = str(BIN / "aider"), str(BIN / "aidermem")
MESSAGES = [
    "Why does the cart total round before the discount is applied?",
    "decision: keep all money in integer cents and round once, at checkout",
    "How should the payment retry back off when the gateway times out?",
    "remember: the gateway sandbox rejects amounts below 50 cents",
    "Summarize what we agreed about rounding and retries.",
]
REPLY = ("Rounding happens first because the discount is computed on the displayed "
         "price, so two rounding steps can disagree by a cent. Keeping integer cents "
         "everywhere and rounding once at checkout removes that. For the gateway, an "
         "exponential back-off with jitter, capped at three attempts, keeps retries "
         "from piling up while the gateway recovers.")
SUMMARY = {
    "title": "Cart rounding and payment retries",
    "summary": "Discussed why the cart total rounds before the discount; agreed to keep "
               "money in integer cents and round once at checkout.",
    "decisions": [{"title": "Integer cents", "decision": "keep money in integer cents",
                   "rationale": "one rounding step", "rejected_alternatives": ["floats"]}],
    "bugs": [], "conventions": [], "open_threads": ["implement the retry back-off"],
    "topics": ["payments", "rounding"], "files": [],
}
SUMMARIZER_MARK = "You write the project memory for a coding session"
TARGET_RATIO = 1.05  # aidermem's median start over bare aider's
TARGET_TAIL = 1.0  # seconds from aider's exit to the terminal being back


@dataclass
class Rig:
    work: Path
    memories: int
    env: dict[str, str] = field(default_factory=dict)
    fake: Any = None
    flags: list[str] = field(default_factory=list)

    @property
    def repo(self) -> Path:
        return self.work / "shop"

    @property
    def tmp(self) -> Path:
        return self.work / "tmp"

    @property
    def store(self) -> Path:
        return self.work / "aidermem" / "store"

    def setup(self) -> list[str]:
        """Isolate this process (children inherit it) and build what is missing."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        home = isolate(self.work, TMPDIR=str(self.tmp))
        import aider_harness

        self.env = aider_harness.headless_env(home)
        from fakellm import FakeLLM

        self.fake = FakeLLM(default_reply=REPLY, responder=_summarizer_reply).start()
        self.flags = aider_harness.aider_flags(self.fake)
        if not (self.repo / ".git").is_dir():
            _make_repo(self.repo)
        return [ensure_store(self.store, self.memories)]

    def index_dir(self) -> Path:
        from aidermem import paths

        return paths.index_dir_for(self.store)

    def reindex(self) -> float:
        started = time.perf_counter()
        subprocess.run([AIDERMEM, "reindex"], cwd=self.repo, env=self.env, check=True,
                       capture_output=True)
        return time.perf_counter() - started

    def journal_entries(self) -> list[Path]:
        return list((self.work / "aidermem" / "journal").glob("*.json"))

    def store_commits(self) -> int:
        out = subprocess.run(["git", "-C", str(self.store), "rev-list", "--count", "HEAD"],
                             capture_output=True, text=True, check=True).stdout
        return int(out)

    def spawn(self, exe: str, log: Path) -> Any:
        import aider_harness

        child = aider_harness.spawn([exe, *self.flags], cwd=self.repo, env=self.env,
                                    timeout=120, log_path=log)
        child.ptyproc.delayafterclose = 0  # the child has exited when we close; no need to wait
        return child


def _summarizer_reply(request: Any) -> str | None:
    return json.dumps(SUMMARY) if SUMMARIZER_MARK in request.text else None


def _make_repo(repo: Path) -> None:
    """A small repo with history: origin is one of gen_memories' projects (acme/shop)."""
    repo.mkdir(parents=True)
    git = ["git", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "remote", "add", "origin", "git@github.com:acme/shop.git"], check=True)
    files = {
        "src/cart.py": "def cart_total(items, discount):\n"
                       "    return round(sum(items)) - discount\n",
        "src/payment.py": "TIMEOUT = 10\n\ndef charge(amount):\n    raise NotImplementedError\n",
        "tests/test_cart.py": "from src.cart import cart_total\n\n"
                              "def test_total():\n    assert cart_total([1, 2], 0) == 3\n",
        "README.md": "# shop\n",
    }
    for i, (name, text) in enumerate(files.items()):
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        subprocess.run([*git, "add", name], check=True)
        subprocess.run([*git, "commit", "-q", "-m", f"step {i}: add {name}"], check=True)
    subprocess.run([*git, "checkout", "-q", "-b", "feature/payment-retry"], check=True)


# -- watching a launch from outside -----------------------------------------------------


class Watch(threading.Thread):
    """Polls every 5 ms: when aidermem spawned aider, when the context file was ready."""

    def __init__(self, pid: int, tmp: Path, started: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.tmp, self.started = pid, tmp, started
        self.wall = time.time() - (time.perf_counter() - started)  # the start, wall clock
        self.spawned: float | None = None
        self.spawn_cpu: float | None = None  # aidermem's CPU seconds (and its git's) by then
        self.ready: float | None = None
        self._halt = threading.Event()

    def run(self) -> None:
        from aidermem.launch.context_file import NAME as CONTEXT_NAME
        from aidermem.launch.context_file import PLACEHOLDER

        while True:
            halted = self._halt.wait(0.005)
            if self.spawned is None and aider_pid(self.pid) is not None:
                self.spawned = time.perf_counter() - self.started
                self.spawn_cpu = cpu_seconds(self.pid)
            if self.ready is None:
                for path in self.tmp.glob(f"aidermem-*/{CONTEXT_NAME}"):
                    with contextlib.suppress(OSError):
                        mtime = path.stat().st_mtime  # written once, atomically: its time
                        if path.read_text(encoding="utf-8") != PLACEHOLDER:
                            self.ready = mtime - self.wall
            if halted:
                return

    def stop(self) -> None:
        self._halt.set()
        self.join()


class ExitWatch(threading.Thread):
    """Polls every 2 ms until process `pid` has exited (a zombie or gone)."""

    def __init__(self, pid: int, started: float) -> None:
        super().__init__(daemon=True)
        self.stat, self.started = Path(f"/proc/{pid}/stat"), started
        self.gone: float | None = None

    def run(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                state = self.stat.read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                state = "X"
            if state in "ZX":
                self.gone = time.perf_counter() - self.started
                return
            time.sleep(0.002)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of `pid` and of its children already waited for (git calls)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def aider_pid(parent: int) -> int | None:
    """The child of `parent` whose argv[1] is the aider script (not git, not a fork of us)."""
    with contextlib.suppress(OSError):
        for pid in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if len(argv) > 1 and argv[1].endswith(b"/aider"):
                return int(pid)
    return None


# -- one run -----------------------------------------------------------------------------


@dataclass
class Run:
    exe: str
    prompt: float | None = None  # command -> first prompt
    spawned: float | None = None  # command -> aider spawned by aidermem
    ready: float | None = None  # command -> context file holds the memories
    spawn_cpu: float | None = None  # aidermem's CPU seconds before aider was spawned
    cpu: float | None = None  # CPU seconds used by the first prompt, aider + aidermem
    aider_cpu: float | None = None  # … of which the aider process's own
    aider_exit: float | None = None  # `/exit` -> the aider process exited
    exit: float | None = None  # `/exit` -> EOF: the terminal is back
    background: float | None = None  # EOF -> the background summary is stored
    commits: int = 0  # store commits made by this run

    @property
    def tail(self) -> float | None:
        """What the wrapper adds after aider exited (0 for bare aider)."""
        if self.exit is None or self.aider_exit is None:
            return None
        return self.exit - self.aider_exit if self.exe == AIDERMEM else 0.0


def _finish(child: Any) -> float:
    """Wait for EOF; return when it came (before close(), which may sleep)."""
    import aider_harness
    import pexpect

    aider_harness.expect(child, pexpect.EOF)
    eof = time.perf_counter()
    child.close()
    if child.exitstatus != 0:
        raise SystemExit(f"{child.args}: exit status {child.exitstatus}, signal "
                         f"{child.signalstatus}; log {child.log_path}")
    return eof


def _exit(child: Any, exe: str, run: Run) -> None:
    """Type `/exit`; time aider's own exit and the EOF of the command we started."""
    pid = child.pid if exe == AIDER else aider_pid(child.pid)
    if pid is None:
        raise SystemExit(f"no aider process under {exe}; see {child.log_path}")
    sent = time.perf_counter()
    watch = ExitWatch(pid, sent)
    watch.start()
    child.sendline("/exit")
    run.exit = _finish(child) - sent
    watch.join()
    run.aider_exit = watch.gone


def run_start(rig: Rig, exe: str, log: Path) -> Run:
    """Command -> first prompt, then /exit at once (an empty session, nothing captured)."""
    import aider_harness

    run = Run(exe)
    started = time.perf_counter()
    child = rig.spawn(exe, log)
    watch = Watch(child.pid, rig.tmp, started)
    watch.start()
    aider_harness.wait_prompt(child)
    run.prompt = time.perf_counter() - started
    pid = child.pid if exe == AIDER else aider_pid(child.pid)
    run.aider_cpu = cpu_seconds(pid) if pid is not None else None
    wrapper = cpu_seconds(child.pid) if exe == AIDERMEM else 0.0
    if run.aider_cpu is not None and wrapper is not None:
        run.cpu = run.aider_cpu + wrapper
    watch.stop()
    run.spawned, run.ready, run.spawn_cpu = watch.spawned, watch.ready, watch.spawn_cpu
    _exit(child, exe, run)
    if exe == AIDERMEM and "aidermem-context.md" not in log.read_text(errors="replace"):
        raise SystemExit(f"aidermem did not pass its context file to aider; see {log}")
    return run


def run_session(rig: Rig, exe: str, log: Path, messages: int) -> Run:
    """A few messages, then /exit -> EOF; waits out the background summarizer."""
    import aider_harness

    before = rig.store_commits()
    run = Run(exe)
    child = rig.spawn(exe, log)
    aider_harness.wait_prompt(child)
    for text in (MESSAGES * messages)[:messages]:
        aider_harness.send_message(child, text)
    aider_harness.discard_pending(child)
    _exit(child, exe, run)
    eof = time.perf_counter()
    deadline = time.monotonic() + 120
    while rig.journal_entries() and time.monotonic() < deadline:
        time.sleep(0.02)
    run.background = time.perf_counter() - eof if exe == AIDERMEM else None
    run.commits = rig.store_commits() - before
    if exe == AIDERMEM and run.commits < 1:
        raise SystemExit(f"aidermem stored nothing at exit; see {log}")
    return run


def alternate(rig: Rig, pairs: int, name: str, one: Any, **kw: Any) -> list[Run]:
    runs: list[Run] = []
    logs = rig.work / "logs"
    logs.mkdir(exist_ok=True)
    for i in range(pairs):
        for exe in (AIDER, AIDERMEM):
            run = one(rig, exe, logs / f"{name}-{i}-{Path(exe).name}.log", **kw)
            runs.append(run)
            print(f"  {name} {i + 1}/{pairs} {Path(exe).name:8} prompt {fmt(run.prompt)} "
                  f"aider exited {fmt(run.aider_exit)} eof {fmt(run.exit)}", file=sys.stderr,
                  flush=True)
    return runs


def _of(runs: list[Run], exe: str, attr: str) -> list[float]:
    values = [getattr(r, attr) for r in runs if r.exe == exe]  # a field or a property
    return [v for v in values if v is not None]


def _raw(run: Run) -> dict[str, Any]:
    return {**run.__dict__, "tail": run.tail}


def _paired(runs: list[Run], attr: str) -> list[float]:
    bare, mem = _of(runs, AIDER, attr), _of(runs, AIDERMEM, attr)
    return [m / b for b, m in zip(bare, mem, strict=True)]


# -- the benchmark -----------------------------------------------------------------------


def bench_start(rig: Rig, pairs: int, memories: int) -> tuple[str, dict[str, Any]]:
    run_start(rig, AIDER, rig.work / "warmup-aider.log")
    run_start(rig, AIDERMEM, rig.work / "warmup-aidermem.log")
    runs = alternate(rig, pairs, "start", run_start)
    bare, mem = _of(runs, AIDER, "prompt"), _of(runs, AIDERMEM, "prompt")
    ratio = median(mem) / median(bare)
    cpu_ratio = median(_of(runs, AIDERMEM, "cpu")) / median(_of(runs, AIDER, "cpu"))
    rows = [
        stat_row("bare `aider`: command → first prompt", bare),
        stat_row(f"`aidermem`, {memories:,} memories: command → first prompt", mem),
        stat_row("`aidermem`: command → aider spawned", _of(runs, AIDERMEM, "spawned")),
        stat_row("`aidermem`: command → context file ready", _of(runs, AIDERMEM, "ready")),
        stat_row("paired ratio aidermem/bare (per ABAB pair)", _paired(runs, "prompt")),
        stat_row("CPU s to the first prompt: bare `aider`", _of(runs, AIDER, "cpu")),
        stat_row("CPU s to the first prompt: `aidermem` + its aider", _of(runs, AIDERMEM, "cpu")),
        stat_row("CPU s to the first prompt: the aider under `aidermem` alone",
                 _of(runs, AIDERMEM, "aider_cpu")),
        stat_row("CPU s of `aidermem` (and its git calls) before spawning aider",
                 _of(runs, AIDERMEM, "spawn_cpu")),
        stat_row("bare `aider`: `/exit` → EOF (empty session)", _of(runs, AIDER, "exit")),
        stat_row("`aidermem`: `/exit` → EOF (empty session)", _of(runs, AIDERMEM, "exit")),
        stat_row("`aidermem`: aider exited → EOF (empty session)", _of(runs, AIDERMEM, "tail")),
    ]
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    text = "\n".join([
        f"## Start: command → aider's first prompt (warm index, {memories:,} memories)", "",
        table(STAT_HEADERS, rows), "",
        f"Ratio of medians aidermem/bare: **{ratio:.3f}×** "
        f"(target ≤ {TARGET_RATIO}×: {verdict}); "
        f"aidermem − bare: {median(mem) - median(bare):+.3f} s. CPU time is less "
        f"sensitive to other load than wall time: CPU ratio {cpu_ratio:.3f}×.",
    ])
    return text, {"runs": [_raw(r) for r in runs], "ratio": ratio}


def bench_cold(rig: Rig, count: int, memories: int) -> tuple[str, dict[str, Any]]:
    runs: list[Run] = []
    for i in range(count):
        shutil.rmtree(rig.index_dir(), ignore_errors=True)
        runs.append(run_start(rig, AIDERMEM, rig.work / f"cold-{i}.log"))
        print(f"  cold {i + 1}/{count} prompt {fmt(runs[-1].prompt)} "
              f"ready {fmt(runs[-1].ready)}", file=sys.stderr, flush=True)
    rows = [
        stat_row("`aidermem`, no index: command → first prompt", _of(runs, AIDERMEM, "prompt")),
        stat_row("`aidermem`, no index: command → context file ready",
                 _of(runs, AIDERMEM, "ready")),
    ]
    text = "\n".join([
        f"## Cold first run: the index is rebuilt from {memories:,} memory files", "",
        table(STAT_HEADERS, rows), "",
        "Retrieval runs after aider is spawned, but aidermem relays aider's output only "
        "once it is done, so a rebuild longer than aider's start-up delays the prompt.",
    ])
    return text, {"runs": [_raw(r) for r in runs]}


def bench_exit(rig: Rig, pairs: int, messages: int) -> tuple[str, dict[str, Any]]:
    runs = alternate(rig, pairs, "exit", run_session, messages=messages)
    bare, mem = _of(runs, AIDER, "exit"), _of(runs, AIDERMEM, "exit")
    tail = _of(runs, AIDERMEM, "tail")
    refined = sum(1 for r in runs if r.exe == AIDERMEM and r.commits >= 2)
    rows = [
        stat_row("bare `aider`: `/exit` → EOF", bare),
        stat_row("`aidermem`: `/exit` → EOF", mem),
        stat_row("bare `aider`: `/exit` → aider exited", _of(runs, AIDER, "aider_exit")),
        stat_row("aider under `aidermem`: `/exit` → aider exited",
                 _of(runs, AIDERMEM, "aider_exit")),
        stat_row("**`aidermem`: aider exited → EOF** (capture, store, index, exit)", tail),
        stat_row("paired difference of `/exit` → EOF, aidermem − bare",
                 [m - b for b, m in zip(bare, mem, strict=True)]),
        stat_row("`aidermem`: EOF → background summary stored", _of(runs, AIDERMEM, "background")),
    ]
    verdict = "met" if median(tail) <= TARGET_TAIL else "MISSED"
    text = "\n".join([
        f"## Exit: `/exit` → terminal back, after a session of {messages} messages", "",
        table(STAT_HEADERS, rows), "",
        f"The terminal is back **{median(tail):.3f} s** (median; p90 "
        f"{percentile(tail, 0.9):.3f} s) after aider exits (target: median ≤ {TARGET_TAIL} s: "
        f"{verdict}); "
        f"difference of `/exit` → EOF medians: {median(mem) - median(bare):+.3f} s. "
        f"Model summaries stored in the background: {refined}/{len(mem)} runs.",
    ])
    return text, {"runs": [_raw(r) for r in runs], "tail": median(tail)}


# -- where the time goes (--profile) -----------------------------------------------------

IMPORTS = "import aidermem.cli.main, aidermem.session"  # what `aidermem [aider args]` imports
# (module file, function) -> label; the phases of one launch, in order.
PHASES = [
    ("cli/main.py", "<module>", "import aidermem.cli.main"),
    ("session.py", "<module>", "import aidermem.session"),
    ("config.py", "resolve", "pre-spawn: config.resolve"),
    ("project.py", "identify", "pre-spawn: project.identify (git)"),
    ("launch/aider_config.py", "resolve_values", "pre-spawn: aider_config.resolve_values"),
    ("store/store.py", "open", "pre-spawn: Store.open"),
    ("capture/driver.py", "recover", "pre-spawn: capture.recover"),
    ("launch/plan.py", "plan_launch", "pre-spawn: plan_launch (argv, project, settings)"),
    ("launch/plan.py", "build_argv", "pre-spawn: build_argv"),
    ("capture/journal.py", "write", "pre-spawn + exit: Journal.write (all calls)"),
    ("retrieve/launch_context.py", "launch_query", "pre-spawn: launch_context.launch_query (git)"),
    ("launch/runner.py", "start_aider", "spawn: runner.start_aider"),
    ("session.py", "_retrieve_into", "after spawn: _retrieve_into (index sync, search, render)"),
    ("index/memory_index.py", "sync", "  MemoryIndex.sync"),
    ("retrieve/select.py", "retrieve", "  retrieve.retrieve"),
    ("retrieve/render.py", "render", "  context.render"),
    ("retrieve/tokens.py", "_encoder", "  tokens._encoder (tiktoken load)"),
    ("launch/runner.py", "wait", "aider runs (relay until it exits)"),
    ("session.py", "_capture_after_exit", "at exit: _capture_after_exit"),
    ("session.py", "_llm_config", "  _llm_config"),
    ("capture/llm.py", "_packaged_settings", "  llm._packaged_settings (model-settings.yml)"),
]


def _importtime_once() -> dict[str, tuple[float, str]]:
    """{module: (cumulative ms, the aidermem module that imported it first)}."""
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", IMPORTS],
                         capture_output=True, text=True, check=True).stderr
    rows = []
    for line in err.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = line.split("|")
            depth = (len(name) - len(name.lstrip()) - 1) // 2
            rows.append((depth, name.strip(), int(cumulative) / 1000))
    out: dict[str, tuple[float, str]] = {"(total)": (0.0, "")}
    for i, (depth, name, ms) in enumerate(rows):
        # Output is post-order: the parent is the next line one level up.
        parent = next((n for d, n, _ in rows[i + 1:] if d == depth - 1), "")
        if depth == 0 and name.startswith("aidermem"):
            out["(total)"] = (out["(total)"][0] + ms, "")
        elif parent.startswith("aidermem"):
            out[name] = (ms, parent)
    return out


def profile_imports(runs: int = 5) -> str:
    samples = [_importtime_once() for _ in range(runs)]
    names = set.intersection(*(set(s) for s in samples))
    rows = sorted(((median([s[n][0] for s in samples]), n, samples[0][n][1]) for n in names),
                  reverse=True)
    body = [[n if n != "(total)" else "**all of it**", via or "–", f"{ms:.0f}"]
            for ms, n, via in rows[:20]]
    return "\n".join([
        f"### `python -X importtime -c \"{IMPORTS}\"` (median of {runs})", "",
        "Modules imported directly by an aidermem module, cumulative (a row includes "
        "what it pulls in, so rows overlap); \"imported by\" is the first importer.", "",
        table(["module", "imported by", "ms"], body),
    ])


def profile_launch(rig: Rig) -> str:
    """-X importtime of the launch path, then cProfile of one real launch (to prompt, /exit)."""
    import pstats

    import aider_harness

    out = rig.work / "launch.prof"
    child = aider_harness.spawn(
        [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "aidermem", *rig.flags],
        cwd=rig.repo, env=rig.env, timeout=120, log_path=rig.work / "profile.log")
    aider_harness.wait_prompt(child)
    child.sendline("/exit")
    _finish(child)
    stats = pstats.Stats(str(out)).stats  # type: ignore[attr-defined]
    rows = []
    for filename, func, label in PHASES:
        found = [(v[1], v[3]) for (f, _, fn), v in stats.items()
                 if fn == func and f.endswith(f"/aidermem/{filename}")]
        if found:
            calls, cumulative = max(found, key=lambda x: x[1])
            rows.append([label, str(calls), f"{cumulative * 1000:.0f}"])
    return "\n\n".join([
        "## Where aidermem's time goes", profile_imports(),
        "### cProfile of one `aidermem` launch (to the first prompt, then `/exit`)",
        "cProfile slows Python code 2-3×, so read the shares, not the seconds; the "
        "start table's \"aider spawned\" row is the real pre-spawn time.",
        table(["phase", "calls", "cumulative ms (profiled)"], rows),
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="start: runs of each (10)")
    parser.add_argument("--exit-runs", type=int, default=6, help="exit: runs of each (6)")
    parser.add_argument("--cold-runs", type=int, default=2, help="cold first runs (2)")
    parser.add_argument("--memories", type=int, default=10_000, help="store size (10000)")
    parser.add_argument("--messages", type=int, default=3, help="messages per exit session")
    parser.add_argument("--parts", default="cold,start,exit",
                        help="comma-separated from cold,start,exit,profile (cold,start,exit)")
    parser.add_argument("--no-profile", action="store_true",
                        help="no profile even when the start target is missed")
    parser.add_argument("--workdir", type=Path,
                        help="keep everything here and reuse its store (default: a temp dir)")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    work = args.workdir or Path(tempfile.mkdtemp(prefix="aidermem-bench-"))
    rig = Rig(work.resolve(), args.memories)
    report = [header("aidermem launch benchmark")]
    raw: dict[str, Any] = {"command": command_line(), "machine": machine_info()}
    try:
        notes = rig.setup()
        if "cold" in parts and args.cold_runs:
            text, raw["cold"] = bench_cold(rig, args.cold_runs, args.memories)
            report.append(text)
        elif not (rig.index_dir() / "state.json").exists():
            notes.append(f"indexed once before timing in {rig.reindex():.1f} s")
        if "start" in parts:
            text, raw["start"] = bench_start(rig, args.runs, args.memories)
            report.append(text)
        if "exit" in parts:
            text, raw["exit"] = bench_exit(rig, args.exit_runs, args.messages)
            report.append(text)
        missed = raw.get("start", {}).get("ratio", 0) > TARGET_RATIO
        if "profile" in parts or (missed and not args.no_profile):
            report.append(profile_launch(rig))
        kept = f"kept in {rig.work}" if args.workdir else "a temp dir, deleted"
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        report.append("Notes: " + "; ".join([*notes, f"work dir: {kept}",
                                            f"load average at the end: {load}"]) + ".")
    finally:
        if rig.fake is not None:
            rig.fake.stop()
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    text = "\n\n".join(report)
    print(text)
    print(f"\nsaved {save('launch', text, raw)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Live retrieval end to end: Enter on the pty -> the fake LLM receiving aider's request.

Usage (from the repository root; a few minutes at the defaults, the 10k store is generated
once and reused from --workdir):

    .venv/bin/python benchmarks/bench_live_e2e.py
    .venv/bin/python benchmarks/bench_live_e2e.py --messages 30 --workdir /tmp/ble

What it measures. bench_live.py times the hold inside aidermem's byte pump; this times
what a user would feel: the real `aidermem` on a pty starting the real aider, talking to
tests/fakellm.py (in this process, so its arrival stamps share this clock). Per store size
(benchmarks/gen_memories.py, index built first, the repo's origin is the store's acme/shop
project), three sessions stay open side by side for the whole run:

  aider    the bare `aider` with the same flags (a reference: no aidermem in between).
  off      `aidermem` with `live = "off"` (the baseline: the same pty relay, no retrieval).
  on       `aidermem` with live retrieval on.

After --warmup rounds (1: aider's first request also builds its repo map), each round
types the same message into each session, in a rotating order: the text in one
write, a pause (--pause, 0.3 s, as the rest of a line is typed after its first key), then
the clock starts and Enter is written; it stops at the fake's stamp for the request whose
last user message is that text (the headers in). Then the reply, then the next session.
Messages use the generator's vocabulary, so they find memories. Budget: the default
(1500 tokens x 0.5 for live notes) unless --budget/--live-budget say otherwise; the `on`
session's exit receipt says how many memories joined. Output: a Markdown table (median,
p90, max in ms per session; the paired differences on-off and off-aider per round, their
median and p90; the ratio of medians) on stdout, saved with the raw samples under
benchmarks/results/.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_common as bc
from bench_launch import AIDER, AIDERMEM, Rig
from bench_live import messages

ARMS = ("aider", "off", "on")


def config(budget: int, live_budget: float) -> str:
    return (f'budget_tokens = {budget}\nlive_budget = {live_budget}\n'
            '[profiles.liveoff]\nlive = "off"\n')


def start(rig: Rig, arm: str, log: Path) -> Any:
    import aider_harness

    exe = AIDER if arm == "aider" else AIDERMEM
    extra = [] if arm == "aider" else ["--mem-no-capture"]
    if arm == "off":
        extra += ["--mem-profile", "liveoff"]
    child = aider_harness.spawn([exe, *rig.flags, *extra], cwd=rig.repo, env=rig.env,
                                timeout=120, log_path=log)
    aider_harness.wait_prompt(child)
    return child


def one_message(rig: Rig, child: Any, text: str, pause: float) -> float:
    """Type `text`, pause, Enter: seconds until the fake has the request answering it."""
    import aider_harness

    aider_harness.discard_pending(child)
    seen = len(rig.fake.chat_requests())
    child.send(text)
    time.sleep(pause)
    started = time.perf_counter()
    child.send("\r")
    deadline = time.monotonic() + 60
    while True:
        new = [r for r in rig.fake.chat_requests()[seen:]
               if r.streaming and r.last_user_text.startswith(text)]
        if new:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"no request for {text!r}; see {child.log_path}")
        time.sleep(0.002)
    aider_harness.wait_prompt(child)  # the reply is done: the next round starts clean
    return new[0].received - started


def receipt(child: Any) -> str:
    import aider_harness
    import pexpect

    child.sendline("/exit")
    aider_harness.expect(child, pexpect.EOF)
    child.close()
    screen = Path(child.log_path).read_text(errors="replace")
    found = re.search(r"aidermem: live retrieval: [^\r\n]*", screen)
    return found.group(0) if found else "(no live retrieval receipt)"


def bench_size(work: Path, size: int, count: int, pause: float,
               budget: tuple[int, float],
               warmup: int) -> tuple[list[list[str]], dict[str, Any], str]:
    rig = Rig(work / f"size-{size}", size)
    notes = rig.setup()
    from aidermem import paths

    paths.user_config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.user_config_file().write_text(config(*budget), encoding="utf-8")
    rig.reindex()  # built once, before any launch
    logs = rig.work / "logs"
    logs.mkdir(exist_ok=True)
    children = {arm: start(rig, arm, logs / f"{arm}.log") for arm in ARMS}
    samples: dict[str, list[float]] = {arm: [] for arm in ARMS}
    texts = messages(warmup + count, seed=size)
    for text in texts[:warmup]:  # aider's first request builds its repo map: not counted
        for arm in ARMS:
            one_message(rig, children[arm], text, pause)
    for i, text in enumerate(texts[warmup:]):
        order = ARMS[i % 3:] + ARMS[:i % 3]  # each session goes first, second, third in turn
        for arm in order:
            samples[arm].append(one_message(rig, children[arm], text, pause))
    said = receipt(children["on"])
    for arm in ("aider", "off"):
        receipt(children[arm])
    rig.fake.stop()
    on_off = [a - b for a, b in zip(samples["on"], samples["off"], strict=True)]
    off_aider = [a - b for a, b in zip(samples["off"], samples["aider"], strict=True)]

    def row(label: str, values: list[float], base: list[float] | None) -> list[str]:
        ratio = f"{bc.median(values) / bc.median(base):.3f}" if base else "–"
        return [f"{size:,}", label, str(len(values)), f"{bc.median(values) * 1000:.1f}",
                f"{bc.percentile(values, 0.9) * 1000:.1f}", f"{max(values) * 1000:.1f}", ratio]

    rows = [row("aider (bare)", samples["aider"], None),
            row("aidermem, live off (ratio: / aider)", samples["off"], samples["aider"]),
            row("aidermem, live on (ratio: / off)", samples["on"], samples["off"]),
            row("on − off, paired", on_off, None),
            row("off − aider, paired", off_aider, None)]
    raw = {**samples, "on_minus_off": on_off, "off_minus_aider": off_aider, "receipt": said}
    return rows, raw, f"- {size:,} memories: {notes[0]}; the `on` session: {said}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--pause", type=float, default=0.3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--budget", type=int, default=1500)
    parser.add_argument("--live-budget", type=float, default=0.5)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-live-e2e-"))
    report = [bc.header("Live retrieval end to end: Enter on the pty -> aider's request")]
    rows: list[list[str]] = []
    raw: dict[str, Any] = {}
    for size in (int(s) for s in args.sizes.split(",")):
        found, raw[str(size)], note = bench_size(work, size, args.messages, args.pause,
                                                 (args.budget, args.live_budget), args.warmup)
        rows += found
        report.append(note)
    report.append(f"- load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    report.append("")
    report.append(bc.table(["memories", "session", "N", "median ms", "p90 ms", "max ms",
                            "ratio of medians"], rows))
    text = "\n".join(report)
    print(text)
    saved = bc.save("live-e2e", text, raw)
    print(f"\nsaved {saved}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

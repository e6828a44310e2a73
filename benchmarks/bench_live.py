"""Live retrieval's added latency: Enter -> the bytes reaching aider, with and without it.

Usage (from the repository root; about a minute at the defaults, most of it generating the
10k store once — reused from --workdir):

    .venv/bin/python benchmarks/bench_live.py
    .venv/bin/python benchmarks/bench_live.py --sizes 1000,10000 --messages 40 --workdir /tmp/bl

What it measures. runner's byte pump calls `LiveSession.on_input(chunk)` before it copies
the chunk to aider's pty, so the time that call takes is exactly what live retrieval adds
between the Enter key and aider receiving it. Per store size (benchmarks/gen_memories.py,
committed, index built first), in one process:

  off      a LiveSession with `live = "off"`: keystroke tracking only (the baseline: what
           the pump does for every chunk when live retrieval is off).
  typed    live on, a message typed as a person does: its first key, a pause
           (--pause, 0.3 s), then the rest and Enter; the measure is the Enter chunk.
  pasted   live on, the whole message and Enter in one chunk (no pause: nothing could be
           prepared while it was typed).
  added    live on, typed, but a memory is committed to the store (another terminal's
           `aidermem add`) just before each message: the index follows the store on the
           Enter path.

Messages are built from the generator's vocabulary, so they find memories; the live budget
is large (budget 32000, share 1.0) so memories keep joining (a join writes the file) rather
than the budget running out. The context file lives in a private temp dir as in a launch.
Output: a Markdown table (median, p90, max, in milliseconds; ratio of medians against
`off` of the same run) on stdout, saved with the raw samples under benchmarks/results/.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import bench_common as bc

from aidermem import config
from aidermem.launch import context_file
from aidermem.models import Memory
from aidermem.project import Project
from aidermem.retrieve.live_session import LiveSession


def messages(count: int, seed: int) -> list[str]:
    import gen_memories as gm

    rng = random.Random(seed)
    out = []
    for _ in range(count):
        words = [rng.choice(gm.VERBS), "the", rng.choice(gm.NOUNS), rng.choice(gm.NOUNS),
                 "when", "the", rng.choice(gm.NOUNS), rng.choice(gm.WORDS[17:])]
        out.append("how do we " + " ".join(words) + "?")
    return out


def session(store: Path, live: str) -> LiveSession:
    settings = config.Settings(store=store, budget_tokens=32000, live_budget=1.0, live=live,
                               scope="project")
    project = Project(id="github.com/acme/shop", name="shop", root=None)  # gen_memories' own
    path = context_file.make_dir() / context_file.NAME
    launch = "# Project memory (aidermem)\n\nLaunch text.\n"
    context_file.write(path, launch)
    live_session = LiveSession(history=None, offset=0)
    live_session.activate(path, project, settings, launch, ())
    deadline = time.monotonic() + 30
    while live == "on" and live_session._ctx is None and time.monotonic() < deadline:
        time.sleep(0.01)
    return live_session


def measure(live_session: LiveSession, texts: list[str], *, pause: float, store: Path | None,
            pasted: bool = False) -> list[float]:
    samples = []
    from aidermem.store.store import Store

    writer = Store.open(store) if store is not None else None
    for i, text in enumerate(texts):
        if writer is not None:
            writer.add(Memory(title=f"bench note {i}", body=f"{text} (added mid-session)",
                              project="github.com/acme/shop", project_name="shop"))
        if not pasted:
            live_session.on_input(text[:1].encode())
            time.sleep(pause)
            rest = text[1:].encode() + b"\r"
        else:
            rest = text.encode() + b"\r"
        started = time.perf_counter()
        live_session.on_input(rest)
        samples.append(time.perf_counter() - started)
        time.sleep(0.05)  # the worker finishes a late write before the next message
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--pause", type=float, default=0.3)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-live-"))
    bc.isolate(work)
    report = [bc.header("Live retrieval: added latency between Enter and aider")]
    rows: list[list[str]] = []
    raw: dict[str, dict[str, list[float]]] = {}
    for size in (int(s) for s in args.sizes.split(",")):
        store = work / f"store-{size}"
        note = bc.ensure_store(store, size)
        from aidermem.index.memory_index import MemoryIndex
        from aidermem.store.store import Store

        MemoryIndex.open(Store.open(store)).refresh()  # built once, before any timing
        texts = messages(args.messages, seed=size)
        found: dict[str, list[float]] = {}
        joined = {}
        for case in ("off", "typed", "pasted", "added"):
            live_session = session(store, "off" if case == "off" else "on")
            found[case] = measure(live_session, texts, pause=args.pause,
                                  store=store if case == "added" else None,
                                  pasted=case == "pasted")
            ctx = live_session._ctx
            joined[case] = len(ctx.joined) if ctx is not None else 0
            late = live_session.late
            live_session.close()
            found[case + "_late"] = [float(late)]
        raw[str(size)] = found
        base = bc.median(found["off"])
        for case in ("off", "typed", "pasted", "added"):
            values = found[case]
            rows.append([f"{size:,}", case, str(len(values)), f"{bc.median(values) * 1000:.2f}",
                         f"{bc.percentile(values, 0.9) * 1000:.2f}", f"{max(values) * 1000:.2f}",
                         f"{bc.median(values) / base:.0f}x" if case != "off" else "1x",
                         str(joined[case]), str(int(found[case + "_late"][0]))])
        report.append(f"- {size:,} memories: {note}")
    report.append("")
    report.append(bc.table(["memories", "case", "N", "median ms", "p90 ms", "max ms",
                            "vs off", "joined", "late (>50 ms)"], rows))
    text = "\n".join(report)
    print(text)
    saved = bc.save("live", text, raw)
    print(f"\nsaved {saved}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

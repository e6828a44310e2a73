"""Extractive capture of a 1 MB transcript slice: redact, split, extract, store, index.

Usage (from the repository root; under a minute with the defaults on a 2-core box):

    /work/venv/bin/python benchmarks/bench_capture.py
    /work/venv/bin/python benchmarks/bench_capture.py --runs 20 --size 2000000
    /work/venv/bin/python benchmarks/bench_capture.py --memories 0          # an empty store
    /work/venv/bin/python benchmarks/bench_capture.py --workdir /tmp/bench  # keep, reuse store

The slice: whole sessions of the real transcripts in /work/shared/corpus/aider-histories/
(files in MANIFEST.tsv order, sessions in file order) concatenated until --size
bytes (1 MiB), cut at the last line break before that size, so the last session
is cut off as a killed aider leaves it.

Each run times, on the same slice, the steps capture runs at exit in order:
redact.redact(raw) -> transcript.split_sessions(redacted) -> extractive.extract()
for every session with user turns [= the pure figure, target <= 1 s] ->
Store.add_many(memories) (one git commit) -> MemoryIndex.upsert() [= the full
figure]. The store holds --memories memories from benchmarks/gen_memories.py
(10k: git's index and Tantivy are as big as a real store's), indexed before
timing; each run adds its memories to it. One discarded warm-up run first.

Output: a Markdown report on stdout, also saved with the raw samples (JSON) in
benchmarks/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

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

CORPUS = Path("/work/shared/corpus/aider-histories")
MIB = 1 << 20
STEPS = ["redact", "split", "extract", "store", "index"]


def build_slice(size: int, corpus: Path = CORPUS) -> tuple[str, int]:
    """(text, transcripts used): real sessions concatenated, cut at `size` bytes."""
    from aidermem.capture import transcript

    names = [line.split("\t", 1)[0] for line in
             (corpus / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    parts: list[str] = []
    total = 0
    for files, name in enumerate(names, start=1):
        text = (corpus / name).read_text(encoding="utf-8", errors="replace")
        for session in transcript.split_sessions(text):
            parts.append(session.text if session.text.endswith("\n") else session.text + "\n")
            total += len(parts[-1].encode())
            if total >= size:
                raw = "".join(parts).encode()[:size]
                return raw[: raw.rfind(b"\n") + 1].decode(errors="ignore"), files
    raise SystemExit(f"the corpus holds only {total:,} bytes; ask for less than --size {size}")


def run_once(raw: str, store: Any, index: Any) -> tuple[dict[str, float], int]:
    """One capture of `raw`: seconds per step, and how many memories it made."""
    from aidermem.capture import extractive, transcript
    from aidermem.redaction import redact

    times: dict[str, float] = {}
    t = time.perf_counter()
    clean = redact.redact(raw).text
    times["redact"] = time.perf_counter() - t
    t = time.perf_counter()
    sessions = [s for s in transcript.split_sessions(clean) if s.user_turns]
    times["split"] = time.perf_counter() - t
    t = time.perf_counter()
    memories = []
    for number, session in enumerate(sessions):
        origin = extractive.Origin(f"bench-capture-{time.time_ns()}-{number}",
                                   "/home/dev/shop/.aider.chat.history.md")
        memories += extractive.extract(
            session, origin, project_id="github.com/acme/shop", project_name="shop")
    times["extract"] = time.perf_counter() - t
    t = time.perf_counter()
    relpaths = store.add_many(memories, f"bench: capture {len(memories)} memories")
    times["store"] = time.perf_counter() - t
    t = time.perf_counter()
    index.upsert(list(zip(relpaths, memories, strict=True)))
    times["index"] = time.perf_counter() - t
    return times, len(memories)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs (10)")
    parser.add_argument("--size", type=int, default=MIB, help="slice size in bytes (1 MiB)")
    parser.add_argument("--memories", type=int, default=10_000, help="store size (10000)")
    parser.add_argument("--workdir", type=Path,
                        help="keep everything here and reuse its store (default: a temp dir)")
    args = parser.parse_args()
    work = (args.workdir or Path(tempfile.mkdtemp(prefix="aidermem-bench-"))).resolve()
    try:
        isolate(work)
        store_dir = work / "aidermem" / "store"
        notes = [ensure_store(store_dir, args.memories)] if args.memories else []
        from aidermem.index.memory_index import MemoryIndex
        from aidermem.store.store import Store

        store = Store.open(store_dir)
        index = MemoryIndex.open(store)
        notes.append(f"index synced before timing in {index.sync().seconds:.1f} s")
        raw, files = build_slice(args.size)
        from aidermem.capture import transcript

        sessions = transcript.split_sessions(raw)
        talks = sum(1 for s in sessions if s.user_turns)
        run_once(raw, store, index)  # warm-up: first-call costs are not capture's
        samples: list[dict[str, float]] = []
        made = 0
        for i in range(args.runs):
            times, made = run_once(raw, store, index)
            samples.append(times)
            print(f"  run {i + 1}/{args.runs}: " + " ".join(f"{k} {v:.3f}" for k, v in
                                                         times.items()), file=sys.stderr,
                  flush=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    pure = [sum(t[k] for k in STEPS[:3]) for t in samples]
    full = [sum(t.values()) for t in samples]
    rows = [stat_row(f"`{step}`", [t[step] for t in samples]) for step in STEPS]
    rows += [stat_row("**redact + split + extract**", pure),
             stat_row("**… + store commit + index upsert**", full)]
    size = len(raw.encode())
    verdict = "met" if median(pure) <= 1.0 else "MISSED"
    report = "\n\n".join([
        header("aidermem capture benchmark"),
        f"## Extractive capture of a {size:,}-byte slice ({size / MIB:.2f} MiB)",
        f"Slice: {len(sessions)} sessions ({talks} with user input; the last one cut off) "
        f"from {files} real transcripts; {made} memories per run, committed to a store of "
        f"{args.memories:,} memories and upserted into its index.",
        table(STAT_HEADERS, rows),
        f"redact + split + extract, median: **{median(pure):.3f} s** (target ≤ 1 s: {verdict}"
        f"); with the store commit and index upsert: **{median(full):.3f} s**.",
        "Notes: " + "; ".join([*notes, "one discarded warm-up run"]) + ".",
    ])
    print(report)
    raw_data = {"command": command_line(), "machine": machine_info(), "size": size,
                "sessions": len(sessions), "memories_per_run": made, "samples": samples}
    print(f"\nsaved {save('capture', report, raw_data)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

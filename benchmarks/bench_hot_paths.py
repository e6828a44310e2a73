"""The pure hot paths of one launch and one capture, this tree against an earlier commit.

Usage (from the repository root; about two minutes with the defaults on a 2-core box):

    .venv/bin/python benchmarks/bench_hot_paths.py                  # against e7d9c03
    .venv/bin/python benchmarks/bench_hot_paths.py --against HEAD~3 --rounds 9

For a refactor that must not cost time (issue #10's complexity bounds split render,
retrieve, transcript parsing and redaction into helpers). Both sides run from a
`git archive` of their commit (this side: the work tree's tracked files as they are now,
via `git stash create`), each in its own interpreter, on the same inputs:

- redact: `redact.redact()` of a 1 MiB slice of the real transcripts (bench_capture's),
- parse: `transcript.split_sessions()` of the same slice once redacted,
- render: the context file of 40 ranked memories and a last session at a 1,500-token
  budget (the fitting loop tokenizes each candidate),
- retrieve: `select.retrieve()` of a launch query against a 1k-memory store and index.

One discarded run per side first (it builds the index). Rounds alternate the sides
(old, new, then new, old, ...), each child timing every step --repeat times; the figure
per side is the median of all its samples, and the ratio is new / old from this one run.
Output: Markdown on stdout, saved with the raw samples in
benchmarks/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_capture import MIB, build_slice
from bench_common import command_line, ensure_store, header, median, save, table

ROOT = Path(__file__).resolve().parent.parent
STEPS = ["redact", "parse", "render", "retrieve"]
QUERY = "cache invalidation redis worker queue retry billing"

# Runs in the child, against whichever aidermem is first on its path. It speaks both the
# old keyword API and the new option objects, so one script times both sides.
CHILD = r'''
import json, sys, time
from datetime import UTC, datetime, timedelta
import aidermem
from aidermem.capture import transcript
from aidermem.index.memory_index import MemoryIndex
from aidermem.models import Kind, Memory
from aidermem.redaction import redact
from aidermem.retrieve import render, select
from aidermem.store.store import Store

slice_path, store_path, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
raw = open(slice_path, encoding="utf-8").read()
clean = redact.redact(raw).text
store = Store.open(store_path, create=False)
index = MemoryIndex.open(store)
index.refresh()  # as a launch does first
start = datetime(2026, 1, 1, tzinfo=UTC)
kinds = [Kind.DECISION, Kind.CONVENTION, Kind.BUG, Kind.NOTE]
notes = [Memory(title=f"Note {i} about the cache worker {i % 7}", kind=kinds[i % 4],
                body=("Workers retry the queue with backoff; the cache is invalidated by key. "
                      * (1 + i % 5)), project="github.com/acme/shop", project_name="shop",
                created=start - timedelta(days=i), updated=start - timedelta(days=i))
         for i in range(40)]
last = Memory(title="Moved the cache to Redis", kind=Kind.SESSION,
              body="## Done\n" + "".join(f"- note {i} about the cache worker\n" for i in range(12)),
              project="github.com/acme/shop", project_name="shop", created=start, updated=start)

def do_render():
    if hasattr(render, "Frame"):
        return render.render(render.Frame("shop", "github.com/acme/shop"), last_session=last,
                             memories=notes, budget=1500)
    return render.render(project_name="shop", current_project="github.com/acme/shop",
                         last_session=last, memories=notes, budget=1500)

def do_retrieve():
    if hasattr(select, "Filter"):
        return select.retrieve(index, store, query=QUERY, where=select.Filter(PROJECT))
    return select.retrieve(index, store, query=QUERY, current_project=PROJECT)

PROJECT = json.loads(sys.argv[4])
QUERY = sys.argv[5]
steps = {"redact": lambda: redact.redact(raw), "parse": lambda: transcript.split_sessions(clean),
         "render": do_render, "retrieve": do_retrieve}
for step in steps.values():  # warm: imports, tokenizer, index readers
    step()
out = {"file": aidermem.__file__}
for name, step in steps.items():
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        step()
        samples.append(time.perf_counter() - t)
    out[name] = samples
print(json.dumps(out))
'''


def export(rev: str | None, dest: Path) -> Path:
    """The package at `rev` (None: the work tree's tracked files now) under `dest`, with
    prompts/ where aidermem.prompts is looked for."""
    tree = rev or subprocess.run(["git", "stash", "create"], cwd=ROOT, check=True,
                                 capture_output=True, text=True).stdout.strip() or "HEAD"
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", tree, "aidermem", "prompts"], cwd=ROOT,
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    shutil.move(str(dest / "prompts"), str(dest / "aidermem" / "prompts"))
    (dest / "aidermem" / "prompts" / "__init__.py").touch()
    return dest


def child(code: Path, slice_path: Path, store: Path, repeat: int, project: str,
          home: Path) -> dict[str, list[float]]:
    env = {**os.environ, "PYTHONPATH": str(code), "HOME": str(home),
           "AIDERMEM_HOME": str(home / "aidermem")}
    done = subprocess.run([sys.executable, "-c", CHILD, str(slice_path), str(store),
                           str(repeat), json.dumps(project), QUERY],
                          env=env, cwd=home, check=True, capture_output=True, text=True)
    out = json.loads(done.stdout)
    if not out.pop("file").startswith(str(code)):
        raise SystemExit(f"the child did not import the code in {code}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="e7d9c03", help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=6, help="child runs per side (6)")
    parser.add_argument("--repeat", type=int, default=5, help="samples per step per run (5)")
    parser.add_argument("--memories", type=int, default=1000, help="store size (1000)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="aidermem-hot-"))
    try:
        home = work / "home"
        (home / "aidermem").mkdir(parents=True)
        old, new = export(args.against, work / "old"), export(None, work / "new")
        raw, _ = build_slice(MIB)
        slice_path = work / "slice.md"
        slice_path.write_text(raw, encoding="utf-8")
        store = work / "store"
        made = ensure_store(store, args.memories)
        project = "github.com/acme/shop"
        for code in (new, old):  # discarded: builds the index, warms the disk cache
            child(code, slice_path, store, 1, project, home)
        samples: dict[str, dict[str, list[float]]] = {"old": {}, "new": {}}
        for number in range(args.rounds):
            order = [("old", old), ("new", new)] if number % 2 == 0 else [("new", new),
                                                                           ("old", old)]
            for side, code in order:
                got = child(code, slice_path, store, args.repeat, project, home)
                for step, values in got.items():
                    samples[side].setdefault(step, []).extend(values)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rows = []
    for step in STEPS:
        before, after = median(samples["old"][step]), median(samples["new"][step])
        rows.append([step, f"{before * 1000:.2f} ms", f"{after * 1000:.2f} ms",
                     f"{after / before:.3f}x"])
    report = "\n".join([
        header(f"Hot paths: this tree against {args.against}"),
        f"{args.rounds} runs per side, alternating, {args.repeat} samples per step each; "
        f"store: {made}.",
        "",
        table(["step", f"{args.against} (median)", "this tree (median)", "ratio"], rows),
        "",
        f"Reproduce (from the repository root): `{command_line()}`",
    ])
    print(report)
    save("hot_paths", report, {"args": vars(args), "samples": samples})
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Live retrieval quality: what joins the context when a developer says something in aider.

    python benchmarks/bench_live_recall.py [--expansions] [--verbose]

The retrieval benchmark's memories and queries (benchmarks/retrieval, built into one real
store and repo per project as bench_retrieval.py does), each query sent as one message of a
session to the real live_context.LiveContext, in its project's repo, with a fresh context
file and the default settings (budget, live share, scope): which memories join the file
(at most two per message). It prints, per query style, how often a memory the message
means joined, how often only memories it does not mean joined, and how often nothing did;
then the same for ordinary session lines (CHAT below), which mean no memory at all.

Second table: could the dense vectors let a memory join by meaning alone (live retrieval
requires a shared content word with the message today)? For each paraphrase and symptom
query, the nearest memory by meaning inside the same filters, whether it is the memory meant
(grade 2), and its cosine; for each chat line, its nearest memory's cosine. Per floor: how
many right and wrong memories would join, and how many chat lines would pull one in.
Deterministic; no network; a throw-away HOME.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_common
import bench_retrieval as br
import retrieval_data as rd

# What developers type to aider between the questions that call for a memory (none does).
CHAT = ["thanks, that works", "ok now run the tests again", "looks good, commit it",
        "can you explain that last change", "hmm, that didn't work, try again",
        "please add a docstring to this function", "rename the variable to something clearer",
        "yes do it", "what do you think we should do next", "let's stop here for today",
        "make the error message friendlier", "undo that, I liked it better before"]
FLOORS = (0.35, 0.40, 0.45, 0.50, 0.55, 0.60)
STYLES = ("exact", "identifier", "symptom", "paraphrase", "non-english")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expansions", action="store_true",
                        help="give every memory the model-written expansions (as capture does)")
    parser.add_argument("--verbose", action="store_true",
                        help="list each message that joined only memories it does not mean")
    args = parser.parse_args()
    projects = rd.load(expansions=rd.EXPANSIONS if args.expansions else None)
    with tempfile.TemporaryDirectory(prefix="bench-live-recall-") as tmp:
        joins, nearest = run(projects, Path(tmp))
    label = ", model-written expansions" if args.expansions else ""
    print(bench_common.header(f"live retrieval: what joins the context{label}"))
    print(f"{sum(len(p.memories) for p in projects)} memories, "
          f"{sum(len(p.queries) for p in projects)} queries as messages, "
          f"{len(CHAT)} chat lines x {len(projects)} projects\n")
    print(join_table(joins))
    if args.verbose:
        for j in joins:
            if j["joined"] and not any(j["relevant"].get(m) for m in j["joined"]):
                print(f"- {j['style']}: {j['text']!r} joined {j['joined']}")
    print("\nBy meaning alone (the nearest memory inside the filters, at a cosine floor):\n")
    print(floor_table(nearest))
    return 0


def run(projects: list[rd.BenchProject], work: Path
        ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every project's queries and the chat lines through live retrieval, in `work`:
    (what joined per message, the nearest memory by meaning per message)."""
    bench_common.isolate(work)
    repos = {p.name: br.make_repo(work / "repos" / p.name, p.remote) for p in projects}
    ids = br.build_store(projects, repos, time.time())
    joins, nearest = [], []
    for project in projects:
        j, n = live_run(project, repos[project.name], ids, work)
        joins += j
        nearest += n
    return joins, nearest


def live_run(project: rd.BenchProject, repo: Path, ids: dict[str, str], work: Path
             ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from aidermem.index import fusion
    from aidermem.index.search import SearchRequest, build_query
    from aidermem.retrieve import live_query, select
    from aidermem.retrieve.live_context import LiveContext

    app = br._app_class()(cwd=repo)
    path = work / f"{project.name}-context.md"
    messages = [(q.text, q.style, dict(q.relevant)) for q in project.queries]
    messages += [(line, "chat", {}) for line in CHAT]
    joins, nearest = [], []
    for text, style, relevant in messages:
        if live_query.message_of(text) is None:  # live_session never searches for it
            joins.append({"style": style, "joined": [], "relevant": relevant, "text": text})
            continue
        path.write_text("# Project memory\n", encoding="utf-8")
        live = LiveContext(path, app.project, app.settings, "# Project memory\n", ())
        joined = [ids.get(i, f"other:{i}") for i in live.add(text).joined]
        joins.append({"style": style, "joined": joined, "relevant": relevant, "text": text})
        if style in ("paraphrase", "symptom", "chat"):
            filters = build_query(live.index.schema, SearchRequest(
                scope=app.settings.scope, kinds=select.NOTE_KINDS, project=app.project.id,
                aliases=app.project.aliases), {})
            found = fusion.dense_candidates(live.index, live.index.searcher(), text, filters)
            if found:
                relpath, sim, _ = found[0]
                memory = live.store.load(relpath)
                top = ids.get(memory.id, f"other:{memory.id}")
                nearest.append({"style": style, "sim": sim,
                                "meant": relevant.get(top) == 2})
    return joins, nearest


def join_table(joins: list[dict[str, Any]]) -> str:
    rows = []
    for style in (*STYLES, "chat"):
        mine = [j for j in joins if j["style"] == style]
        if not mine:
            continue
        tally: Counter[str] = Counter()
        for j in mine:
            grades = [j["relevant"].get(m, 0) for m in j["joined"]]
            tally["meant" if 2 in grades else "useful" if 1 in grades
                  else "wrong" if grades else "none"] += 1
        n = len(mine)
        rows.append([style, str(n), *(f"{tally[k] / n:.3f}" for k in
                                      ("meant", "useful", "wrong", "none"))])
    return bench_common.table(
        ["message", "N", "the memory meant joined", "only a useful one", "only wrong ones",
         "nothing joined"], rows)


def floor_table(nearest: list[dict[str, Any]]) -> str:
    rows = []
    for floor in FLOORS:
        row = [f"{floor:.2f}"]
        for style in ("paraphrase", "symptom"):
            mine = [x for x in nearest if x["style"] == style]
            right = sum(1 for x in mine if x["meant"] and x["sim"] >= floor)
            wrong = sum(1 for x in mine if not x["meant"] and x["sim"] >= floor)
            row.append(f"{right} / {wrong} of {len(mine)}")
        chat = [x for x in nearest if x["style"] == "chat"]
        row.append(f"{sum(1 for x in chat if x['sim'] >= floor)} of {len(chat)}")
        rows.append(row)
    return bench_common.table(["cosine floor", "paraphrase: right / wrong joins",
                               "symptom: right / wrong joins", "chat lines pulling one in"],
                              rows)


if __name__ == "__main__":
    raise SystemExit(main())

"""Retrieval quality: does search find the memory a developer means?

    python benchmarks/bench_retrieval.py [--verbose] [--json OUT.json] [--keep DIR]
                                         [--compare REF] [--semantic | --bm25]
                                         [--expansions] [--by-project]

For every project in benchmarks/retrieval/*.yaml this makes a real git repo
whose origin remote gives aidermem's project id, writes the project's memories
into one real aidermem store (Store.add_many, the write path of `aidermem
add`), and runs every query twice in the same run:

- aidermem: from inside the project's repo, `aidermem search QUERY` as the CLI
  runs it (its parser, its `run`: current project + global memories, limit 10),
  in-process, without the JSON rendering;
- plain BM25: a separate Tantivy index of the same project's memories with one
  text field (title, body, topics, files) and Tantivy's default analyzer, the
  query's default-analyzer tokens OR-ed together.

It prints recall@5, MRR and nDCG@10 per query style and overall for both.
`--compare REF` adds a column set for aidermem at another commit, measured in
the same run: the REF's `aidermem` package is extracted with `git archive` and
this script runs once more with it first on PYTHONPATH (same data, same baseline, and
the same ranking flag). aidermem runs with its default settings (`semantic = "auto"`:
meaning on, at this size), `--semantic` with `semantic = true`, `--bm25` with `semantic =
false` (BM25 alone, the default before 2026-12-04). `--by-project` adds recall@5 per
project and style, for choosing a method on some projects and holding the others out.
`--expansions` gives each memory the questions, symptoms and aliases of
benchmarks/retrieval/expansions/ (written for these memories as the capture model
is asked to, by writers who never saw the queries): how memories captured from a
session would rank, against the default of hand-added memories without them.
Dates are ages (`age_days`) relative to the moment the store is built, so every
run ranks with the same recency factors. No network; a throw-away HOME.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_common
import retrieval_data as rd

LIMIT = 10
DAY = 86_400


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list each query aidermem or "
                        "the baseline misses (no relevant memory in the top 5)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write all scores here")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="build in DIR (must not exist) and keep it, instead of a temp dir")
    parser.add_argument("--compare", metavar="REF",
                        help="also score aidermem as it is at this git commit (e.g. main)")
    ranking = parser.add_mutually_exclusive_group()
    ranking.add_argument("--semantic", dest="ranking", action="store_const", const="semantic",
                         default="default", help="score aidermem with `semantic = true` in "
                         "its user config (the REF of --compare runs with it too)")
    ranking.add_argument("--bm25", dest="ranking", action="store_const", const="bm25",
                         help="score aidermem with `semantic = false`: BM25 alone (the REF of "
                         "--compare too)")
    parser.add_argument("--expansions", action="store_true",
                        help="give every memory the model-written questions, symptoms and "
                        f"aliases of {rd.EXPANSIONS.relative_to(bench_common.ROOT)} (as capture "
                        "would; the REF of --compare gets them too; the baseline does not)")
    parser.add_argument("--by-project", action="store_true",
                        help="also print recall@5 per project and query style")
    args = parser.parse_args(argv)
    projects = rd.load(expansions=rd.EXPANSIONS if args.expansions else None)
    bad = [p for project in projects for p in rd.problems(project)]
    if bad:
        print("\n".join(bad), file=sys.stderr)
        return 2
    if args.keep:
        args.keep.mkdir(parents=True)
        results = run(projects, args.keep, ranking=args.ranking)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-retrieval-") as tmp:
            results = run(projects, Path(tmp), ranking=args.ranking)
    if args.expansions:
        results["commit"] += ", model-written expansions"
    if args.compare:
        results["compare"] = {"ref": args.compare, **run_at(
            args.compare, ranking=args.ranking, expansions=args.expansions)}
    print(report(projects, results, verbose=args.verbose))
    print("\n" + by_language(projects, results))
    if args.by_project:
        print("\n" + by_project(projects, results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n",
                             encoding="utf-8")
    return 0


# --semantic / --bm25 / neither: aidermem's user config, and how the run is labelled
RANKINGS = {"default": (None, ", default settings"),
            "semantic": ("semantic = true\n", ", semantic"),
            "bm25": ("semantic = false\n", ", BM25 only")}


def run(projects: list[rd.BenchProject], work: Path, *, ranking: str = "default"
        ) -> dict[str, Any]:
    bench_common.isolate(work)
    config, label = RANKINGS[ranking]
    if config is not None:
        from aidermem import paths

        paths.user_config_file().parent.mkdir(parents=True, exist_ok=True)
        paths.user_config_file().write_text(config, encoding="utf-8")
    repos = {p.name: make_repo(work / "repos" / p.name, p.remote) for p in projects}
    built_at = time.time()
    ids = build_store(projects, repos, built_at)
    queries = []
    for project in projects:
        found = aidermem_results(repos[project.name], project, ids)
        plain = baseline_results(project, work / "baseline" / project.name)
        for q, mine, theirs in zip(project.queries, found, plain, strict=True):
            queries.append({"project": project.name, "text": q.text, "style": q.style,
                            "lang": q.lang, "relevant": dict(q.relevant),
                            "aidermem": mine, "baseline": theirs})
    import aidermem

    return {"commit": bench_common.machine_info()["aidermem"] + label,
            "imported_from": str(Path(aidermem.__file__).parent), "queries": queries,
            "scores": {system: summary(queries, system) for system in ("aidermem", "baseline")}}


def run_at(ref: str, *, ranking: str = "default", expansions: bool = False
           ) -> dict[str, Any]:
    """This benchmark's scores for aidermem at `ref`, from a child process that imports the
    `aidermem` package of that commit (the data and the baseline are this checkout's)."""
    root = bench_common.ROOT
    commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", ref],
                            capture_output=True, text=True, check=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="bench-retrieval-ref-") as tmp:
        code = Path(tmp) / "code"
        code.mkdir()
        archive = subprocess.run(["git", "-C", str(root), "archive", commit, "aidermem",
                                  "prompts"], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
        out = Path(tmp) / "ref.json"
        env = {**os.environ, "PYTHONPATH": str(code)}
        flags = [f"--{ranking}"] * (ranking != "default") + ["--expansions"] * expansions
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--json", str(out),
                        *flags], env=env, check=True, stdout=subprocess.DEVNULL)
        ref_results = json.loads(out.read_text(encoding="utf-8"))
    if not ref_results["imported_from"].startswith(str(code)):
        raise SystemExit(f"the run for {ref} imported aidermem from "
                         f"{ref_results['imported_from']}, not from its archive")
    return {"commit": commit, "queries": ref_results["queries"],
            "scores": ref_results["scores"]["aidermem"]}


def make_repo(path: Path, remote: str) -> Path:
    path.mkdir(parents=True)
    git = ["git", "-C", str(path)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "remote", "add", "origin", remote], check=True)
    (path / "README.md").write_text("benchmark project\n", encoding="utf-8")
    subprocess.run([*git, "add", "README.md"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], check=True)
    return path


def build_store(projects: list[rd.BenchProject], repos: dict[str, Path],
                built_at: float) -> dict[str, str]:
    """Every project's memories in the one store, committed once; aidermem id -> bench id."""
    from ulid import ULID

    from aidermem.models import Kind, Memory

    try:
        from aidermem.expansion import Expansion
    except ImportError:  # --compare with a revision from before document expansion
        Expansion = None  # type: ignore[misc,assignment]

    App = _app_class()

    memories, ids = [], {}
    for project in projects:
        app = App(cwd=repos[project.name])
        if app.project.id != project.project_id:
            raise SystemExit(f"{project.name}: the repo's project id is {app.project.id!r}, "
                             f"the data says {project.project_id!r}")
        for m in project.memories:
            created = datetime.fromtimestamp(built_at, UTC) - timedelta(days=m.age_days)
            millis = int(created.timestamp() * 1000)
            seed = hashlib.sha256(f"{project.name}/{m.id}".encode()).digest()[:10]
            memory_id = str(ULID.from_bytes(millis.to_bytes(6, "big") + seed))
            ids[memory_id] = m.id
            extra = {}
            if m.expansion:
                if Expansion is None:
                    raise SystemExit("--expansions: this revision has no document expansion")
                extra["expansion"] = Expansion(**{k: list(v) for k, v in m.expansion.items()})
            memories.append(Memory(
                id=memory_id, title=m.title, kind=Kind(m.kind), body=m.body,
                project=app.project.id, project_name=app.project.name, topics=list(m.topics),
                files=list(m.files), created=created, updated=created, **extra))
    App(cwd=repos[projects[0].name]).store.add_many(memories, "bench: retrieval memories")
    return ids


def _app_class() -> type:
    try:
        from aidermem.commands.app import App
    except ImportError:  # --compare with a revision from before the layout by stage
        from aidermem.app import App  # type: ignore[no-redef]
    return App


def aidermem_results(repo: Path, project: rd.BenchProject, ids: dict[str, str]) -> list[list[str]]:
    """Each query run by the `aidermem search QUERY` command's own code (argument parsing,
    request, App.read over the synced index) from inside the project's repo."""
    try:
        from aidermem.cli.main import build_parser, command
    except ImportError:  # --compare with a revision from before the layout by stage
        from aidermem.cli import build_parser, command  # type: ignore[attr-defined,no-redef]
    App = _app_class()

    app = App(cwd=repo)
    search = command("search")
    out = []
    for q in project.queries:
        args = build_parser("search").parse_args(["--limit", str(LIMIT), "--", q.text])
        hits = search.run(args, app).payload.hits  # type: ignore[union-attr]
        out.append([ids.get(h.id, f"other:{h.id}") for h in hits])
    return out


def baseline_results(project: rd.BenchProject, directory: Path) -> list[list[str]]:
    """Plain BM25: one text field, Tantivy's default analyzer, query tokens OR-ed."""
    import tantivy

    directory.mkdir(parents=True)
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("text", tokenizer_name="default")
    schema = builder.build()
    index = tantivy.Index(schema, path=str(directory))
    writer = index.writer(heap_size=50_000_000, num_threads=1)
    for m in project.memories:
        writer.add_document(tantivy.Document(id=m.id, text=m.text()))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    # Tantivy's "default" tokenizer: simple tokenizer, long tokens (> 40 bytes) dropped,
    # lowercased. Built here only to split the query the way the field was split.
    analyzer = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
                .filter(tantivy.Filter.remove_long(40)).filter(tantivy.Filter.lowercase())
                .build())
    out = []
    for q in project.queries:
        tokens = list(dict.fromkeys(analyzer.analyze(q.text)))
        if not tokens:
            out.append([])
            continue
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "text", t)) for t in tokens])
        hits = searcher.search(query, LIMIT).hits
        out.append([searcher.doc(addr).get_first("id") for _, addr in hits])
    return out


def summary(queries: list[dict[str, Any]], system: str) -> dict[str, dict[str, float]]:
    groups: dict[str, list[tuple[list[str], dict[str, int]]]] = {s: [] for s in rd.STYLES}
    for q in queries:
        groups[q["style"]].append((q[system], q["relevant"]))
    groups["all"] = [pair for style in rd.STYLES for pair in groups[style]]
    out = {}
    for style, runs in groups.items():
        s = rd.score(runs)
        out[style] = {"n": s.n, "recall@5": s.recall, "mrr": s.mrr, "ndcg@10": s.ndcg}
    return out


def report(projects: list[rd.BenchProject], results: dict[str, Any], *, verbose: bool) -> str:
    n_mem = sum(len(p.memories) for p in projects)
    lines = [f"Retrieval quality: {len(projects)} projects, {n_mem} memories, "
             f"{len(results['queries'])} queries ({results['commit']})", ""]
    metrics = ("recall@5", "mrr", "ndcg@10")
    systems = [("aidermem", results["scores"]["aidermem"])]
    if "compare" in results:
        systems.insert(0, (f"aidermem@{results['compare']['commit']}",
                           results["compare"]["scores"]))
    systems.append(("BM25", results["scores"]["baseline"]))
    headers = ["query style", "N"]
    for name, _ in systems:
        headers += [f"{name} R@5", "MRR", "nDCG@10"]
    rows = []
    for style in [*rd.STYLES, "all"]:
        row = [f"**{style}**" if style == "all" else style, str(systems[-1][1][style]["n"])]
        for _, scores in systems:
            row += [f"{scores[style][m]:.3f}" for m in metrics]
        rows.append(row)
    lines.append(bench_common.table(headers, rows))
    if verbose:
        lines += ["", "Misses (no relevant memory in the top 5):"]
        for q in results["queries"]:
            for system in ("aidermem", "baseline"):
                if not set(q[system][:5]) & set(q["relevant"]):
                    lines.append(f"- {system:8} {q['project']:12} {q['style']:11} "
                                 f"{q['text'][:70]!r} wants {sorted(q['relevant'])} "
                                 f"got {q[system][:5]}")
    return "\n".join(lines)


def by_project(projects: list[rd.BenchProject], results: dict[str, Any]) -> str:
    """Recall@5 per project and query style, for each system of the report."""
    systems = [("aidermem", results["queries"], "aidermem")]
    if "compare" in results:
        systems.insert(0, (f"aidermem@{results['compare']['commit']}",
                           results["compare"]["queries"], "aidermem"))
    systems.append(("BM25", results["queries"], "baseline"))
    headers = ["project", "query style", *(f"{name} R@5" for name, _, _ in systems)]
    rows = []
    for project in projects:
        for style in rd.STYLES:
            row = [project.name, style]
            for _, queries, system in systems:
                runs = [(q[system], q["relevant"]) for q in queries
                        if q["project"] == project.name and q["style"] == style]
                row.append(f"{rd.score(runs).recall:.3f}" if runs else "—")
            rows.append(row)
    return bench_common.table(headers, rows)


def by_language(projects: list[rd.BenchProject], results: dict[str, Any]) -> str:
    """Recall@5 of the non-English queries, split by the language of the memories they want:
    those written in the query's own language, and those written in English."""
    lang = {(p.name, m.id): m.lang for p in projects for m in p.memories}
    systems = [("aidermem", results["queries"], "aidermem")]
    if "compare" in results:
        systems.insert(0, (f"aidermem@{results['compare']['commit']}",
                           results["compare"]["queries"], "aidermem"))
    systems.append(("BM25", results["queries"], "baseline"))
    headers = ["non-English queries, for memories written in", "N",
               *(f"{name} R@5" for name, _, _ in systems)]
    rows = []
    for label, same in (("the query's language", True), ("English", False)):
        row: list[str] = []
        for _, queries, system in systems:
            runs = []
            for q in queries:
                if q["style"] != "non-english":
                    continue
                wanted = {m: g for m, g in q["relevant"].items()
                          if (lang[(q["project"], m)] == q["lang"]) == same}
                if wanted:
                    runs.append((q[system], wanted))
            row.append(f"{rd.score(runs).recall:.3f}" if runs else "—")
        rows.append([label, str(len(runs)), *row])
    return bench_common.table(headers, rows)


if __name__ == "__main__":
    raise SystemExit(main())

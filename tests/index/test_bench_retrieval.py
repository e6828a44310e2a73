"""The retrieval benchmark's own scoring and data (benchmarks/retrieval_data.py).

Metric expectations are computed by hand in the comments; the data checks are
what the issue asks of the benchmark set (projects, sizes, styles, languages).
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import retrieval_data as rd


def test_recall_counts_every_relevant_memory_in_the_first_five():
    relevant = {"a": 2, "b": 1, "c": 1}
    # a (rank 1) and b (rank 3) are in the top 5, c (rank 6) is not: 2 of 3.
    assert rd.recall_at(["a", "x", "b", "y", "z", "c"], relevant) == pytest.approx(2 / 3)
    assert rd.recall_at(["x", "y"], relevant) == 0.0
    assert rd.recall_at(["c", "b", "a"], relevant) == 1.0
    assert rd.recall_at(["x", "a"], relevant, k=1) == 0.0


def test_reciprocal_rank_is_one_over_the_first_relevant_rank():
    assert rd.reciprocal_rank(["x", "y", "a", "b"], {"a": 1, "b": 2}) == pytest.approx(1 / 3)
    assert rd.reciprocal_rank(["a"], {"a": 2}) == 1.0
    assert rd.reciprocal_rank([], {"a": 2}) == 0.0
    assert rd.reciprocal_rank(["x", "y"], {"a": 2}) == 0.0


def test_ndcg_uses_graded_gain_and_log_discount():
    relevant = {"a": 2, "b": 1}
    # DCG: x at 1 gains 0; a at 2: (2^2-1)/log2(3); b at 3: (2^1-1)/log2(4) = 0.5.
    # Ideal: a at 1: 3/log2(2) = 3; b at 2: 1/log2(3).
    expected = (3 / math.log2(3) + 0.5) / (3 + 1 / math.log2(3))
    assert expected == pytest.approx(0.659002, abs=1e-6)
    assert rd.ndcg_at(["x", "a", "b"], relevant) == pytest.approx(expected)
    assert rd.ndcg_at(["a", "b", "x"], relevant) == pytest.approx(1.0)
    # Grade 1 first and grade 2 second is worse than the ideal order.
    swapped = (1 + 3 / math.log2(3)) / (3 + 1 / math.log2(3))
    assert rd.ndcg_at(["b", "a"], relevant) == pytest.approx(swapped)


def test_ndcg_ignores_results_past_k():
    ranked = [f"x{i}" for i in range(10)] + ["a"]
    assert rd.ndcg_at(ranked, {"a": 2}) == 0.0
    assert rd.ndcg_at(ranked, {"a": 2}, k=11) == pytest.approx(3 / math.log2(12) / 3)


def test_score_averages_over_queries():
    runs = [(["a", "x"], {"a": 2}), (["x", "b"], {"b": 2})]
    s = rd.score(runs)
    assert s.n == 2
    assert s.recall == 1.0
    assert s.mrr == pytest.approx((1 + 0.5) / 2)
    assert s.ndcg == pytest.approx((1 + 1 / math.log2(3)) / 2)
    assert rd.score([]) == rd.Scores(0, 0.0, 0.0, 0.0)


def test_paraphrase_check_sees_shared_content_words_not_function_words():
    memory = rd.BenchMemory(id="m", kind="bug", title="Webhook signature broke",
                            body="Every delivery failed.", age_days=1.0, topics=("stripe",))
    assert rd.shared_content_words("why did the deliveries fail", memory) == {"deliveri", "fail"}
    assert rd.shared_content_words("what did we do about it", memory) == set()


# -- the data -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def projects() -> list[rd.BenchProject]:
    return rd.load()


def test_the_data_is_well_formed(projects):
    assert [p for project in projects for p in rd.problems(project)] == []


def test_the_data_is_as_large_as_the_issue_asks(projects):
    assert len(projects) >= 4
    assert len({p.project_id for p in projects}) == len(projects)
    assert sum(len(p.memories) for p in projects) >= 300
    assert sum(len(p.queries) for p in projects) >= 150
    styles = Counter(q.style for p in projects for q in p.queries)
    assert set(styles) == set(rd.STYLES)
    assert min(styles.values()) >= 20


def test_non_english_queries_and_memories_in_several_languages(projects):
    memory_langs = {m.lang for p in projects for m in p.memories} - {"en"}
    query_langs = {q.lang for p in projects for q in p.queries if q.style == "non-english"}
    assert {"de", "es", "zh", "ja"} <= memory_langs
    assert {"de", "es", "zh", "ja"} <= query_langs
    assert all(q.lang != "en" for p in projects for q in p.queries if q.style == "non-english")


def test_problems_reports_bad_ids_styles_and_grades(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "project: {name: p, id: example.com/p, remote: https://example.com/p.git}\n"
        "memories:\n"
        "- {id: m1, kind: bug, age_days: 1, title: A bug, body: It broke.}\n"
        "- {id: m2, kind: bug, age_days: 1, title: A bug, body: It broke.}\n"
        "- {id: m1, kind: rumour, age_days: 1, title: Again, body: Same id.}\n"
        "queries:\n"
        "- {text: q1, style: exact, relevant: {nope: 2}}\n"
        "- {text: q2, style: vague, relevant: {m1: 1}}\n"
        "- {text: bug broke, style: paraphrase, relevant: {m2: 2}}\n",
        encoding="utf-8")
    found = rd.problems(rd.load_project(bad))
    assert found == [
        "p: duplicate memory ids",
        "p: m1: unknown kind 'rumour'",
        "p: 'q1': unknown relevant id 'nope'",
        "p: 'q2': unknown style 'vague'",
        "p: 'q2': needs one memory of grade 2",
        "p: paraphrase 'bug broke' shares ['broke', 'bug'] with m2",
    ]


# -- the harness ----------------------------------------------------------------------------


TWO_MEMORIES = (
    "project: {name: tiny, id: example.com/team/tiny, remote: https://example.com/team/tiny.git}\n"
    "memories:\n"
    "- {id: pool, kind: bug, age_days: 3, title: QueuePool limit reached,\n"
    "   body: Background tasks kept the session open., topics: [database]}\n"
    "- {id: cache, kind: decision, age_days: 30, title: Redis for idempotency keys,\n"
    "   body: Keys live for 24 hours., files: [app/idempotency.py]}\n")


def run_tiny(tmp_path: Path, text: str) -> tuple[list[rd.BenchProject], dict[str, Any]]:
    """The benchmark over one project written as `text`: (its projects, the results)."""
    import bench_retrieval

    data = tmp_path / "data"
    data.mkdir()
    (data / "tiny.yaml").write_text(text, encoding="utf-8")
    projects = rd.load(data)
    with patch.dict(os.environ):  # run() points HOME and AIDERMEM_HOME at its work dir
        return projects, bench_retrieval.run(projects, tmp_path / "work")


def test_the_benchmark_runs_both_systems_over_a_real_store(tmp_path):
    """A two-memory project through the real write path, `aidermem search` and the baseline."""
    import bench_retrieval

    projects, results = run_tiny(
        tmp_path,
        TWO_MEMORIES + "queries:\n"
        "- {text: QueuePool, style: identifier, relevant: {pool: 2}}\n"
        "- {text: how long do idempotency keys live, style: symptom, relevant: {cache: 2}}\n")
    assert [q["aidermem"][0] for q in results["queries"]] == ["pool", "cache"]
    assert [q["baseline"][0] for q in results["queries"]] == ["pool", "cache"]
    for system in ("aidermem", "baseline"):
        assert results["scores"][system]["all"] == {
            "n": 2, "recall@5": 1.0, "mrr": 1.0, "ndcg@10": 1.0}
        assert results["scores"][system]["paraphrase"]["n"] == 0
    report = bench_retrieval.report(projects, results, verbose=True)
    assert "| identifier | 1 | 1.000 | 1.000 | 1.000 | 1.000 | 1.000 | 1.000 |" in report
    per_project = bench_retrieval.by_project(projects, results)
    assert "| tiny | identifier | 1.000 | 1.000 |" in per_project
    assert "| tiny | paraphrase | — | — |" in per_project


TWO_BUGS = (
    TWO_MEMORIES + "queries:\n"
    "- {text: why does every request hang until it times out, style: paraphrase,\n"
    "   relevant: {pool: 2}}\n")


def test_model_written_expansions_reach_the_stored_memory_and_its_ranking(tmp_path):
    """--expansions: a memory's questions and symptoms are stored and searched like capture's."""
    import bench_retrieval

    data, extra = tmp_path / "data", tmp_path / "expansions"
    data.mkdir()
    extra.mkdir()
    (data / "tiny.yaml").write_text(TWO_BUGS, encoding="utf-8")
    (extra / "tiny.yaml").write_text(
        "pool:\n  symptoms: [every request hangs until it times out]\n"
        "  aliases: [SQLAlchemy pool]\n", encoding="utf-8")
    plain = rd.load(data)
    expanded = rd.load(data, expansions=extra)
    assert plain[0].memories[0].expansion == {}
    assert expanded[0].memories[0].expansion == {
        "symptoms": ("every request hangs until it times out",), "aliases": ("SQLAlchemy pool",)}
    assert expanded[0].memories[1].expansion == {}
    with patch.dict(os.environ):
        without = bench_retrieval.run(plain, tmp_path / "work-plain")
    with patch.dict(os.environ):
        results = bench_retrieval.run(expanded, tmp_path / "work-expanded")
    assert "pool" not in without["queries"][0]["aidermem"]  # nothing shared but small words
    assert results["queries"][0]["aidermem"][0] == "pool"
    assert "pool" not in results["queries"][0]["baseline"]  # the baseline never sees them
    files = [f.read_text(encoding="utf-8") for f in (tmp_path / "work-expanded").rglob("*.md")
             if "QueuePool limit reached" in f.read_text(encoding="utf-8")]
    assert len(files) == 1  # the memory file, its expansion in the front matter
    front = files[0].split("\n---\n", 1)[0]
    assert "every request hangs until it times out" in front and "SQLAlchemy pool" in front


@pytest.mark.parametrize("ranking, vectors", [("default", True), ("semantic", True),
                                                ("bm25", False)])
def test_the_ranking_flag_sets_what_aidermem_ranks_by(tmp_path, ranking, vectors):
    """--semantic and --bm25 pin `semantic` in aidermem's config; without either, aidermem
    runs with its defaults ("auto": meaning on for a store this small)."""
    import bench_retrieval

    data = tmp_path / "data"
    data.mkdir()
    (data / "tiny.yaml").write_text(TWO_BUGS, encoding="utf-8")
    with patch.dict(os.environ):
        results = bench_retrieval.run(rd.load(data), tmp_path / "work", ranking=ranking)
    assert bool(list((tmp_path / "work").rglob("vectors.bin"))) is vectors
    assert results["commit"].endswith(
        {"default": ", default settings", "semantic": ", semantic", "bm25": ", BM25 only"}[ranking])


@pytest.mark.parametrize("text, error", [
    ("nobody:\n  questions: [what broke]\n", "expansions for unknown memories ['nobody']"),
    ("pool:\n  reasons: [because]\n", "pool: expected only questions, symptoms, aliases"),
    ("pool:\n  questions: what broke\n", "pool: each list must hold texts"),
    ("- pool\n", "expected a mapping of memory ids"),
])
def test_malformed_expansion_files_are_refused_by_name(tmp_path, text, error):
    data, extra = tmp_path / "data", tmp_path / "expansions"
    data.mkdir()
    extra.mkdir()
    (data / "tiny.yaml").write_text(TWO_BUGS, encoding="utf-8")
    (extra / "tiny.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(error)):
        rd.load(data, expansions=extra)


def test_the_shipped_expansions_cover_every_memory_and_stay_short(projects):
    expanded = rd.load(expansions=rd.EXPANSIONS)
    for project in expanded:
        for m in project.memories:
            assert m.expansion, f"{project.name}: {m.id} has no expansion"
            assert all(len(v) <= 4 for v in m.expansion.values()), m.id
            assert m.title not in [t for v in m.expansion.values() for t in v], m.id


def test_non_english_recall_is_split_by_the_language_of_the_memories_wanted(tmp_path):
    """The target "non-English queries find non-English memories" has its own line."""
    import bench_retrieval

    projects, results = run_tiny(
        tmp_path,
        "project: {name: tiny, id: example.com/team/tiny, remote: https://example.com/team/tiny.git}\n"
        "memories:\n"
        "- {id: de-pool, kind: bug, age_days: 3, lang: de, title: Verbindungspool erschöpft,\n"
        "   body: Hintergrundaufgaben hielten die Sitzung offen.}\n"
        "- {id: pool, kind: bug, age_days: 3, title: QueuePool limit reached,\n"
        "   body: Background tasks kept the session open.}\n"
        "queries:\n"
        "- {text: Verbindungspool erschöpft, style: non-english, lang: de,\n"
        "   relevant: {de-pool: 2, pool: 1}}\n")
    assert results["queries"][0]["aidermem"] == ["de-pool"]  # no English word in common
    table = bench_retrieval.by_language(projects, results)
    assert "| the query's language | 1 | 1.000 | 1.000 |" in table
    assert "| English | 1 | 0.000 | 0.000 |" in table


def test_the_live_benchmark_counts_what_joins_a_real_live_context(tmp_path):
    """bench_live_recall: each query as a message to the real LiveContext; what joined."""
    import bench_live_recall

    data = tmp_path / "data"
    data.mkdir()
    (data / "tiny.yaml").write_text(
        TWO_MEMORIES + "queries:\n"
        "- {text: why is the QueuePool limit reached, style: symptom, relevant: {pool: 2}}\n"
        "- {text: how long do the idempotency keys live, style: exact, relevant: {cache: 2}}\n"
        "- {text: what is our database tasks policy, style: paraphrase, relevant: {cache: 2}}\n",
        encoding="utf-8")
    projects = rd.load(data)
    with patch.dict(os.environ):  # run() points HOME and AIDERMEM_HOME at its work dir
        joins, nearest = bench_live_recall.run(projects, tmp_path / "work")
    by_text = {j["text"]: j["joined"] for j in joins}
    assert by_text["why is the QueuePool limit reached"] == ["pool"]
    assert by_text["how long do the idempotency keys live"] == ["cache"]
    # Shares two words (database, tasks) with the pool bug, which it does not mean: wrong.
    assert by_text["what is our database tasks policy"] == ["pool"]
    assert len(joins) == 3 + len(bench_live_recall.CHAT)
    table = bench_live_recall.join_table(joins)
    assert "| exact | 1 | 1.000 | 0.000 | 0.000 | 0.000 |" in table
    assert "| paraphrase | 1 | 0.000 | 0.000 | 1.000 | 0.000 |" in table
    # The nearest memory by meaning is recorded for symptoms, paraphrases and chat lines.
    assert {n["style"] for n in nearest} == {"symptom", "paraphrase", "chat"}
    assert all(-1.0 <= n["sim"] <= 1.0 for n in nearest)
    floors = bench_live_recall.floor_table(nearest)
    assert floors.count("\n") == len(bench_live_recall.FLOORS) + 1

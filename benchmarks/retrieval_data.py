"""The retrieval benchmark's data and scores: loading, checking, recall@k, MRR, nDCG@k.

Pure apart from reading the YAML files in benchmarks/retrieval/. The metric
functions take a ranked list of ids and a {id: grade} map (grade 2 = the memory
the query means, 1 = also useful, absent = not relevant) and are what
tests/index/test_bench_retrieval.py checks by hand-computed values. bench_retrieval.py
builds the stores and runs the searches.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent / "retrieval"
# Model-written expansions (questions, symptoms, aliases per memory id), one file per
# project, written blind to the queries: what capture would add to these memories.
EXPANSIONS = DATA / "expansions"
EXPANSION_KEYS = ("questions", "symptoms", "aliases")
STYLES = ("exact", "identifier", "symptom", "paraphrase", "non-english")
KINDS = ("session", "decision", "bug", "convention", "note")
K_RECALL, K_NDCG = 5, 10


@dataclass(frozen=True)
class BenchMemory:
    id: str
    kind: str
    title: str
    body: str
    age_days: float
    topics: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    lang: str = "en"
    expansion: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def text(self) -> str:
        """The one text field of the plain BM25 baseline: title, body, topics, files."""
        return "\n".join([self.title, self.body, " ".join(self.topics), " ".join(self.files)])


@dataclass(frozen=True)
class BenchQuery:
    text: str
    style: str
    relevant: Mapping[str, int]
    lang: str = "en"


@dataclass(frozen=True)
class BenchProject:
    name: str
    project_id: str  # what aidermem derives from the repo's origin remote
    remote: str
    memories: tuple[BenchMemory, ...]
    queries: tuple[BenchQuery, ...]
    source: Path = field(default=Path())


def load(directory: Path = DATA, expansions: Path | None = None) -> list[BenchProject]:
    """Every project; with `expansions`, each memory also carries what that directory's
    `<project file name>` holds for its id (see load_expansions)."""
    return [load_project(path, expansions and load_expansions(expansions / path.name))
            for path in sorted(directory.glob("*.yaml"))]


def load_expansions(path: Path) -> dict[str, dict[str, tuple[str, ...]]]:
    """{memory id: {"questions"|"symptoms"|"aliases": texts}}; a malformed file is an error."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping of memory ids")
    out = {}
    for mid, lists in raw.items():
        if not isinstance(lists, dict) or not set(lists) <= set(EXPANSION_KEYS):
            raise ValueError(f"{path}: {mid}: expected only {', '.join(EXPANSION_KEYS)}")
        if not all(isinstance(v, list) and all(isinstance(t, str) for t in v)
                   for v in lists.values()):
            raise ValueError(f"{path}: {mid}: each list must hold texts")
        out[str(mid)] = {k: tuple(v) for k, v in lists.items()}
    return out


def load_project(path: Path, expansions: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None
                 ) -> BenchProject:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    extra = expansions or {}
    unknown = set(extra) - {str(m["id"]) for m in raw["memories"]}
    if unknown:
        raise ValueError(f"{path.name}: expansions for unknown memories {sorted(unknown)}")
    memories = tuple(
        BenchMemory(id=str(m["id"]), kind=str(m["kind"]), title=str(m["title"]),
                    body=str(m["body"]).strip(), age_days=float(m["age_days"]),
                    topics=tuple(m.get("topics") or ()), files=tuple(m.get("files") or ()),
                    lang=str(m.get("lang", "en")), expansion=extra.get(str(m["id"]), {}))
        for m in raw["memories"]
    )
    queries = tuple(
        BenchQuery(text=str(q["text"]).strip(), style=str(q["style"]),
                   relevant={str(k): int(v) for k, v in q["relevant"].items()},
                   lang=str(q.get("lang", "en")))
        for q in raw["queries"]
    )
    project = raw["project"]
    return BenchProject(name=str(project["name"]), project_id=str(project["id"]),
                        remote=str(project["remote"]), memories=memories, queries=queries,
                        source=path)


def problems(project: BenchProject) -> list[str]:
    """What is wrong with a project's data (empty when it is well-formed)."""
    out: list[str] = []
    ids = [m.id for m in project.memories]
    known = set(ids)
    by_id = {m.id: m for m in project.memories}
    if len(known) != len(ids):
        out.append(f"{project.name}: duplicate memory ids")
    for m in project.memories:
        if m.kind not in KINDS:
            out.append(f"{project.name}: {m.id}: unknown kind {m.kind!r}")
        if not m.title.strip() or not m.body.strip():
            out.append(f"{project.name}: {m.id}: empty title or body")
    for q in project.queries:
        if q.style not in STYLES:
            out.append(f"{project.name}: {q.text!r}: unknown style {q.style!r}")
        if not q.relevant or max(q.relevant.values()) != 2:
            out.append(f"{project.name}: {q.text!r}: needs one memory of grade 2")
        for rid, grade in q.relevant.items():
            if rid not in known:
                out.append(f"{project.name}: {q.text!r}: unknown relevant id {rid!r}")
            if grade not in (1, 2):
                out.append(f"{project.name}: {q.text!r}: grade {grade} is not 1 or 2")
            if q.style == "paraphrase" and rid in known:
                shared = shared_content_words(q.text, by_id[rid])
                if shared:
                    out.append(f"{project.name}: paraphrase {q.text!r} shares {sorted(shared)} "
                               f"with {rid}")
    return out


# -- metrics ------------------------------------------------------------------------------


def recall_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int = K_RECALL) -> float:
    """Share of the relevant memories (any grade) found in the first k results."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & set(relevant)) / len(relevant)


def reciprocal_rank(ranked: Sequence[str], relevant: Mapping[str, int]) -> float:
    """1 / the rank of the first relevant result; 0 when none is returned."""
    for rank, rid in enumerate(ranked, start=1):
        if rid in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int = K_NDCG) -> float:
    """Normalized discounted cumulative gain, gain 2**grade - 1, discount log2(rank + 1)."""
    def dcg(grades: Sequence[int]) -> float:
        return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades[:k]))

    ideal = dcg(sorted(relevant.values(), reverse=True))
    if ideal == 0:
        return 0.0
    return dcg([relevant.get(rid, 0) for rid in ranked]) / ideal


@dataclass(frozen=True)
class Scores:
    n: int
    recall: float
    mrr: float
    ndcg: float


def score(runs: Sequence[tuple[Sequence[str], Mapping[str, int]]]) -> Scores:
    """Mean recall@5, MRR and nDCG@10 over (ranked ids, relevant) pairs."""
    n = len(runs)
    if not n:
        return Scores(0, 0.0, 0.0, 0.0)
    return Scores(
        n=n,
        recall=sum(recall_at(r, rel) for r, rel in runs) / n,
        mrr=sum(reciprocal_rank(r, rel) for r, rel in runs) / n,
        ndcg=sum(ndcg_at(r, rel) for r, rel in runs) / n,
    )


# -- paraphrase check ---------------------------------------------------------------------

# Function words (and the emptiest verbs) that a paraphrase may share with its memory; tantivy's
# English stop list adds the articles and prepositions.
_FUNCTION_WORDS = """
    i me my we us our you your he she his her its them what which who whom whose why how when
    where whether do does did done doing get gets got make makes made have has had having can
    could should would may might must shall from about so any all some each every than too very
    just only also still even ever again once here up down out off over under yet s t don isn
    didn doesn wasn aren won ve ll re d m one two itself themselves ourselves"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split())


def _content_analyzer() -> Any:
    import tantivy

    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.ascii_fold())
            .filter(tantivy.Filter.stopword("english"))
            .filter(tantivy.Filter.custom_stopword(sorted(FUNCTION_WORDS)))
            .filter(tantivy.Filter.stemmer("english")).build())


def shared_content_words(query: str, memory: BenchMemory) -> set[str]:
    """Stems of the content words `query` has in common with `memory` (title, body, topics,
    files): a paraphrase query must have none with the memory it means."""
    analyzer = _content_analyzer()
    return set(analyzer.analyze(query)) & set(analyzer.analyze(memory.text()))

"""The search API: what a caller asks (SearchRequest) and gets back (Hit).

`find` runs a request against a MemoryIndex: it builds a tantivy query
from `analysis.query_terms()` (never from tantivy's query parser, so no
user text can be a syntax error), takes a pool of BM25 candidates, and lets
`ranking.rank` order them by text score, recency and project. An empty
`text` means "list": filters only, newest first.

Scope semantics: "project" = the request's project (with its `aliases`, the
ids it had before) plus global memories (project ""), or everything when the
request has no project; "all" = every project (the current one is still
boosted); a list = exactly those projects, each entry matching a project id
exactly or a readable project name case-insensitively ("" selects global
memories).

`make_snippet` is pure. Nothing here writes anything.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import tantivy

from aidermem.index import analysis, ranking
from aidermem.kinds import normalize_topic
from aidermem.text import one_line

if TYPE_CHECKING:
    from aidermem.index.memory_index import MemoryIndex

# Questions, symptoms and aliases (expansion.py) widen what finds a memory, at a lower
# weight than its own words, so they never outrank a memory that says it.
EXPANSION_BOOST = 0.5
# Per-field weights for BM25. Equal on purpose: each field is scored with its own IDF and
# length norm, so a word in a short title or topic list already outscores the same word in a
# body; boosting on top counted that evidence twice and let the small words of a long query
# (when, was, our) found in a short title outweigh its rare words (issue #11; BENCHMARKS.md).
FIELD_BOOSTS = {"title": 1.0, "topics": 1.0, "files": 1.0, "symbols": 1.0, "body": 1.0,
                "expansion": EXPANSION_BOOST}
# A term scores in its best field plus this share of its other fields (a dis-max query): one
# word found in four fields is still one word, not four (per-field BM25 saturates per field).
FIELD_TIE = 0.3
MAX_QUERY_TERMS = 100  # enough for retrieval's 64-word launch query
MAX_QUERY_CHARS = 10_000  # a longer query is cut (its terms past 100 are dropped anyway)
COMPOUND_WEIGHT, INFLECTION_WEIGHT = 2.0, 0.5
POOL_FACTOR, MIN_POOL = 5, 50  # BM25 candidates re-ranked per result asked for
SNIPPET_CHARS = 200
_CONTEXT_BEFORE = 40  # characters shown before the first highlighted word
ARCHIVED = "archived"


@dataclass(frozen=True)
class SearchRequest:
    text: str = ""
    project: str | None = None  # the current project's id; None outside any project
    scope: str | Sequence[str] = "project"  # "project" | "all" | project ids or names
    topics: Sequence[str] = ()  # required: a memory must carry every one
    prefer_topics: Sequence[str] = ()  # boosted, not required
    kinds: Sequence[str] = ()  # any of these (Kind values); empty = all kinds
    since: datetime | None = None  # created at or after; a naive value is local time
    limit: int = 10
    include_archived: bool = False
    current_project: str | None = None  # boosted; defaults to `project`
    aliases: Sequence[str] = ()  # the current project's earlier ids: in scope and boosted as it
    semantic: bool = False  # fuse BM25 with the dense vectors' order (fusion.py)
    snippets: bool = True  # False: hits carry no snippet (live retrieval reads whole notes)

    def __post_init__(self) -> None:
        def put(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        if isinstance(self.scope, str):
            if self.scope not in ("project", "all"):
                raise ValueError(f"scope must be 'project', 'all' or a list, not {self.scope!r}")
        else:
            put("scope", tuple(self.scope))
            if not self.scope:
                raise ValueError("scope lists at least one project")
        if self.limit < 1:
            raise ValueError(f"limit must be 1 or more, not {self.limit}")
        put("topics", tuple(t for t in dict.fromkeys(map(normalize_topic, self.topics)) if t))
        put("prefer_topics", tuple(t for t in map(normalize_topic, self.prefer_topics) if t))
        put("kinds", tuple(dict.fromkeys(str(k).lower() for k in self.kinds)))
        if self.since is not None and self.since.tzinfo is None:
            put("since", self.since.astimezone())
        if self.current_project is None:
            put("current_project", self.project)
        put("aliases", tuple(self.aliases))


@dataclass(frozen=True)
class Hit:
    id: str
    relpath: str
    score: float  # 0.0 when listing (no text)
    title: str
    kind: str
    project: str
    project_name: str
    topics: tuple[str, ...]
    files: tuple[str, ...]
    created: datetime
    status: str
    snippet: str  # one line of the body around the matched words
    highlights: tuple[tuple[int, int], ...] = field(default=())  # [start, end) in snippet
    links: tuple[dict[str, Any], ...] = field(default=())  # models.Link as plain data


def _unaliased(project: str, request: SearchRequest) -> str:
    """A memory under an earlier id of the current project ranks as the current project's."""
    if project in request.aliases and request.current_project is not None:
        return request.current_project
    return project


def find(index: MemoryIndex, request: SearchRequest) -> list[Hit]:
    searcher = index.searcher()
    schema = index.schema
    terms: list[str] = []
    if request.text.strip():
        terms = analysis.query_terms(request.text[:MAX_QUERY_CHARS])[:MAX_QUERY_TERMS]
        if not terms:
            return []  # only punctuation or symbols: nothing a memory could match
    weights = term_weights(searcher, terms)
    query = build_query(schema, request, weights)
    if not terms:
        result = searcher.search(query, request.limit, count=False, order_by_field="created",
                                 order=tantivy.Order.Desc)
        return [_hit(searcher.doc(addr), 0.0, ()) for _, addr in result.hits]
    pool = max(request.limit * POOL_FACTOR, MIN_POOL)
    stored: dict[str, tuple[tantivy.Document, dict[str, Any]]] = {}
    candidates = []
    for score, addr in searcher.search(query, pool, count=False).hits:
        doc = searcher.doc(addr)
        display = _display(doc)
        key = _relpath(doc)
        stored[key] = (doc, display)
        candidates.append(ranking.Candidate(
            key=key, text_score=score, created=_created(display).timestamp(),
            project=_unaliased(display["project"], request), topics=tuple(display["topics"]),
            kind=display["kind"]))
    ranked = ranking.rank(candidates, now=time.time(), current_project=request.current_project,
                          prefer_topics=request.prefer_topics)
    if request.semantic:
        return _fused(index, searcher, request, [r.candidate.key for r in ranked], stored,
                      list(weights))
    return [_hit(stored[r.candidate.key][0], r.score, list(weights), snippets=request.snippets)
            for r in ranked[: request.limit]]


def _fused(index: MemoryIndex, searcher: tantivy.Searcher, request: SearchRequest,
           lexical: list[str], stored: dict[str, tuple[tantivy.Document, dict[str, Any]]],
           terms: list[str]) -> list[Hit]:
    """BM25's order fused with the dense one (fusion.py explains the gate); of the memories
    only the vectors found, just those shown are read."""
    from aidermem.index import fusion

    best = None
    if lexical:
        d = stored[lexical[0]][1]
        best = " ".join([d["title"], d["body"], *d["topics"], *d["files"]])
    weight = fusion.dense_weight(request.text, best)
    floor = fusion.min_similarity(weight)
    dense = {key: addr for key, sim, addr in fusion.dense_candidates(
        index, searcher, request.text, build_query(index.schema, request, {}))
        if key in stored or sim >= floor}
    order = fusion.fuse(lexical, list(dense), weight)
    return [_hit(stored[key][0] if key in stored else searcher.doc(dense[key]), score, terms,
                 snippets=request.snippets)
            for key, score in order[: request.limit]]


def term_weights(searcher: tantivy.Searcher, terms: list[str]) -> dict[str, float]:
    """Each query term with its weight: an identifier's compound (a term made of other
    query terms: getuserbyid = get+user+by+id) counts double, so the exact identifier
    ranks best; English inflections of the terms (retries for retry) count half, and only
    those that occur in some title or body are added (most generated forms are not words)."""
    vocabulary = set(terms)
    weights = {t: COMPOUND_WEIGHT if _is_compound(t, vocabulary) else 1.0 for t in terms}
    for term in terms:
        for form in analysis.variants(term)[1:]:
            if form not in weights and (searcher.doc_freq("body", form)
                                        or searcher.doc_freq("title", form)):
                weights[form] = INFLECTION_WEIGHT
    return weights


def _is_compound(term: str, vocabulary: set[str]) -> bool:
    """Whether `term` splits into two or more other terms of `vocabulary`."""
    n = len(term)
    if n > 64:  # bounds the quadratic scan; identifiers are shorter
        return False
    reach = [True] + [False] * n  # reach[i]: term[:i] splits into vocabulary terms
    for i in range(n):
        if reach[i]:
            for j in range(i + 1, n + 1):
                if (i, j) != (0, n) and term[i:j] in vocabulary:
                    reach[j] = True
    return n > 1 and reach[n]


def build_query(
    schema: tantivy.Schema, request: SearchRequest, terms: Mapping[str, float]
) -> tantivy.Query:
    """Text terms AND every filter; filters add nothing to the score. Each term counts once
    per memory: its best field plus FIELD_TIE of the others."""
    Q, Occur = tantivy.Query, tantivy.Occur

    def term(name: str, value: str) -> tantivy.Query:
        return Q.term_query(schema, name, value)

    def any_of(queries: list[tantivy.Query]) -> tantivy.Query:
        return Q.boolean_query([(Occur.Should, q) for q in queries])

    filters = [term("topics_raw", t) for t in request.topics]
    if request.kinds:
        filters.append(any_of([term("kind", k) for k in request.kinds]))
    if request.since is not None:
        filters.append(Q.range_query(schema, "created", tantivy.FieldType.Integer,
                                     int(request.since.timestamp()), None))
    if isinstance(request.scope, tuple):
        filters.append(any_of([term("project", p) for p in request.scope]
                              + [term("project_name", p.lower()) for p in request.scope]))
    elif request.scope == "project" and request.project is not None:
        filters.append(any_of([term("project", p)
                               for p in (request.project, *request.aliases, "")]))
    clauses = [(Occur.Must, Q.const_score_query(f, 0.0)) for f in filters]
    if terms:
        text = any_of([
            Q.disjunction_max_query([Q.boost_query(term(name, t), boost * weight)
                                     for name, boost in FIELD_BOOSTS.items()], FIELD_TIE)
            for t, weight in terms.items()])
        clauses.append((Occur.Must, text))
    elif not clauses:
        clauses.append((Occur.Must, Q.all_query()))
    if not request.include_archived:
        clauses.append((Occur.MustNot, term("status", ARCHIVED)))
    return Q.boolean_query(clauses)


def _display(doc: tantivy.Document) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(doc.get_first("doc") or b"{}")
    return shown


def _relpath(doc: tantivy.Document) -> str:
    return str(doc.get_first("relpath"))


def _created(display: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(display["created"])


def _hit(doc: tantivy.Document, score: float, terms: Sequence[str], *,
         snippets: bool = True) -> Hit:
    d = _display(doc)
    snippet, highlights = make_snippet(d["body"], terms) if snippets else ("", ())
    return Hit(
        id=d["id"], relpath=_relpath(doc), score=score, title=d["title"],
        kind=d["kind"], project=d["project"], project_name=d["project_name"],
        topics=tuple(d["topics"]), files=tuple(d["files"]), created=_created(d),
        status=d["status"], snippet=snippet, highlights=highlights,
        links=tuple(d.get("links", ())),
    )


# -- snippets -----------------------------------------------------------------------------

# A word or an identifier with inner separators (auth.service.login, src/app.py).
_SPAN = re.compile(r"[^\W_]+(?:[_\-./:]+[^\W_]+)*")


def make_snippet(
    body: str, terms: Sequence[str], width: int = SNIPPET_CHARS
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """About `width` characters of `body` on one line, around the densest run of words
    whose analysis shares a term with `terms`, and those words' [start, end) offsets."""
    text = one_line(body)
    spans = _matches(text, set(terms)) if terms else []
    anchor = _densest(spans, width)
    start = 0
    if anchor is not None and anchor > _CONTEXT_BEFORE:
        space = text.find(" ", anchor - _CONTEXT_BEFORE, anchor)  # begin at a word
        start = space + 1 if space != -1 else anchor
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start + width // 2, end)
        end = space if space != -1 else end
    prefix = "… " if start else ""
    snippet = prefix + text[start:end] + (" …" if end < len(text) else "")
    shift = len(prefix) - start
    inside = tuple((s + shift, e + shift) for s, e in spans if s >= start and e <= end)
    return snippet, inside


def _matches(text: str, wanted: set[str]) -> list[tuple[int, int]]:
    """Spans of the words in `text` that analyze to a wanted term. A cheap substring test
    on 3-character prefixes skips most words before the real analysis."""
    prefixes = {t[:3] for t in wanted}
    seen: dict[str, set[str]] = {}
    spans: list[tuple[int, int]] = []
    for match in _SPAN.finditer(text):
        word = match.group()
        folded = analysis.fold(word).lower()
        if not any(p in folded for p in prefixes):
            continue
        if word not in seen:
            seen[word] = wanted.intersection(analysis.terms(word))
        found = seen[word]
        if not found:
            continue
        if analysis.has_cjk(word) and all(analysis.has_cjk(t) for t in found):
            spans.extend(_cjk_spans(word, found, match.start()))
        else:
            spans.append(match.span())
    return _merged(spans)


def _cjk_spans(word: str, found: set[str], offset: int) -> list[tuple[int, int]]:
    """Inside a CJK run, mark where the matched grams occur (bigrams over single chars)."""
    longest = max(len(t) for t in found)
    spans = []
    for gram in (t for t in found if len(t) == longest):
        pos = word.find(gram)
        while pos != -1:
            spans.append((offset + pos, offset + pos + len(gram)))
            pos = word.find(gram, pos + 1)
    return spans


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


def _densest(spans: list[tuple[int, int]], width: int) -> int | None:
    """Start of the span that begins the window holding the most spans (sliding window)."""
    if not spans:
        return None
    best, best_count, j = spans[0][0], 0, 0
    for i, (start, _) in enumerate(spans):
        limit = start + width - _CONTEXT_BEFORE
        j = max(j, i)
        while j < len(spans) and spans[j][1] <= limit:
            j += 1
        if j - i > best_count:
            best, best_count = start, j - i
    return best

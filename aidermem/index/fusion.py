"""Semantic ranking fused with BM25: the order `aidermem search` returns (issue #11).

BM25 (search.py + ranking.py) finds memories that share words with the query;
the dense vectors (embedding.py, cached by vectors.py) find memories that mean
the same thing in other words. The two orders are fused by weighted reciprocal
rank: a memory scores  1/(K + its BM25 rank) + w/(K + its dense rank), with a
gate on w:

- w = LEXICAL_WEIGHT (0.2) when the query names something (an identifier, a
  path, a dotted or snake_case name, backticks), is in Chinese or Japanese
  (which the model's vocabulary barely covers), or when BM25's best memory holds
  more than a third of the query's content words: the words matched, so BM25's
  order leads and the dense order only breaks near-ties and fills in below;
- otherwise the dense order leads (SEMANTIC_WEIGHT is infinite): the query
  shares (almost) no content word with what BM25 found, so BM25 ranked on small
  words and its order carries no evidence about the topic. The memories come in
  the dense order, and those only BM25 found follow in BM25's order. This is
  the limit of the weighted sum as w grows, stated as a rule rather than a
  constant: a finite w (4.0 before) still let a distractor BM25 put first jump
  ahead of memories nearer in meaning (paraphrase R@5 0.52 -> 0.60, the dense
  order's own figure; BENCHMARKS.md "Semantic search").

Plain reciprocal-rank fusion (w = 1 for every query) lifted paraphrase recall@5
only from 0.24 to 0.28, because a paraphrase's BM25 list is made of distractors
that share a word with it; the gate gives 0.60, and exact and identifier queries
keep their BM25 order at the top (MRR 1.000 both; BENCHMARKS.md). LEXICAL_WEIGHT,
K, COVERAGE and the similarity floors were chosen on that benchmark (a few
values each), so they are tuned to it.

Pure over plain data except `dense_candidates`, which reads the index.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from aidermem.index import analysis, embedding, vectors

if TYPE_CHECKING:
    import tantivy

    from aidermem.index.memory_index import MemoryIndex

K = 10
AUTO_MAX = 10_000  # `semantic = "auto"` ranks by meaning up to this many indexed memories
LEXICAL_WEIGHT, SEMANTIC_WEIGHT = 0.2, math.inf  # inf: the dense order leads
LEXICAL_MIN_SIM, SEMANTIC_MIN_SIM = 0.5, 0.2  # see min_similarity
COVERAGE = 1 / 3  # share of the query's content words in BM25's best memory
DENSE_POOL = 100  # nearest vectors looked at before the request's filters
DENSE_KEEP = 30  # of those, the ones inside the filters that take part in the fusion

def in_force(setting: bool | str, memories: int) -> bool:
    """Whether a search ranks by meaning: `semantic = true` always, "auto" (the default)
    while the index holds at most AUTO_MAX memories. Above that, scoring every vector costs
    more than the search budget allows (2x a BM25 search at 100,000; BENCHMARKS.md)."""
    return setting is True or (setting == "auto" and memories <= AUTO_MAX)


# Something a developer names rather than describes: a_b, a.b, a/b, a::b, a-b-c, camelCase.
_NAMED = re.compile(r"`|[^\W_]+(?:(?:_|::|[./])[^\W_]+)+|\b[a-z]+[A-Z]\w*|\b[A-Z]\w*[A-Z]\w*[a-z]")
# Words too common to say whether BM25 found the topic (the query's other words do).
_SMALL_WORDS = (
    "a an and are as at be been but by can could did do does for from had has have how i if "
    "in is it its my no not of on or our so than that the their them then there they this to "
    "was we were what when where which who why will with would you your")
_SMALL = frozenset(_SMALL_WORDS.split())


def names_something(query: str) -> bool:
    return _NAMED.search(query) is not None


def content_terms(query: str) -> set[str]:
    return {t for t in analysis.query_terms(query) if len(t) > 2 and t not in _SMALL}


def dense_weight(query: str, best_text: str | None) -> float:
    """The gate: how much the dense order counts against BM25's for this query."""
    if names_something(query) or analysis.has_cjk(query):  # the model barely knows CJK
        return LEXICAL_WEIGHT
    wanted = content_terms(query)
    if best_text is not None and wanted:
        covered = len(wanted & set(analysis.terms(best_text))) / len(wanted)
        if covered > COVERAGE:
            return LEXICAL_WEIGHT
    return SEMANTIC_WEIGHT


def fuse(lexical: Sequence[str], dense: Sequence[str], weight: float) -> list[tuple[str, float]]:
    """Keys of both orders by weighted reciprocal rank, best first (ties: BM25's order).
    An infinite `weight` is the sum's limit: the dense order, then what only BM25 found."""
    if math.isinf(weight):
        order = dict.fromkeys([*dense, *lexical])
        return [(key, 1.0 / (K + rank + 1)) for rank, key in enumerate(order)]
    scores: dict[str, float] = {}
    for rank, key in enumerate(lexical):
        scores[key] = scores.get(key, 0.0) + 1.0 / (K + rank + 1)
    for rank, key in enumerate(dense):
        scores[key] = scores.get(key, 0.0) + weight / (K + rank + 1)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def dense_candidates(index: MemoryIndex, searcher: tantivy.Searcher, query: str,
                     filters: tantivy.Query) -> list[tuple[str, float, tantivy.DocAddress]]:
    """The memories nearest to `query` in meaning that pass `filters`, nearest first, with
    their cosine similarity and where `searcher` has them (no document is read here: the
    caller reads only those it shows)."""
    import tantivy

    found = vectors.current(index)
    near = [(found.relpaths[i], sim) for i, sim in
            found.nearest(embedding.embed_query(query, index.directory), DENSE_POOL) if sim > 0]
    if not near:
        return []
    # Which of them pass the filters, without reading their documents: each relpath's term
    # scores a constant that is its place in `near`, and the filters score nothing, so a
    # hit's score says which memory it is.
    Q, Occur = tantivy.Query, tantivy.Occur
    wanted = Q.boolean_query([
        (Occur.Should, Q.const_score_query(Q.term_query(index.schema, "relpath", p),
                                           float(len(near) - n)))
        for n, (p, _) in enumerate(near)])
    passing = Q.boolean_query([(Occur.Must, Q.const_score_query(filters, 0.0)),
                               (Occur.Must, wanted)])
    places: dict[int, tantivy.DocAddress] = {}
    for score, addr in searcher.search(passing, len(near), count=False).hits:
        places[len(near) - round(score)] = addr
    kept = sorted(places)[:DENSE_KEEP]
    return [(near[n][0], near[n][1], places[n]) for n in kept]


def min_similarity(weight: float) -> float:
    """How near in meaning a memory BM25 did not find must be to be added: far nearer when
    the words matched (a search for `row locks` lists what says row locks, not all that is
    vaguely about databases)."""
    return LEXICAL_MIN_SIM if weight == LEXICAL_WEIGHT else SEMANTIC_MIN_SIM

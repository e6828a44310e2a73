"""Re-ranking search candidates: text relevance, recency and project.

Tantivy gives each candidate a BM25 score (title and topics boosted); this
module turns it into the final order. Every factor multiplies the text score
and is bounded, so a clearly better text match is never buried:

- recency: `floor + (1 - floor) * 0.5 ** (age_days / half_life_days)`, from 1.0
  (today) down towards `floor` (0.6): a two-year-old memory keeps 60% of its
  score, one of 90 days 80%;
- current project: x1.25 for memories of the project being worked on;
- preferred topics: x(1 + 0.15 per shared topic), at most x1.45;
- kind: x0.5 for session summaries, x1.0 for decisions, conventions, bugs and
  notes. A session summary is a log of what happened: it mentions every word
  the work touched, and its decisions and bugs are memories of their own, so a
  log that merely mentions a word must not bury the decision about it. A
  session that really is about the query (its title, an identifier only it
  holds) still has the text score to come first.

- stale links: x0.5 for a memory whose linked code changed or is gone since it was
  written (links.py; applied by retrieve and the search command, which know the
  repository). A note that may
  be wrong should not take the place of one that is not, but a clearly better match
  still shows, marked as stale in the context file.

Recency and project together span at most x2.1 between the best and the worst
placed candidate (x3.0 with preferred topics), so a text match that much
better always stays ahead; a session needs twice the text score of a lasting
memory on top of that.
Pure: plain data in, plain data out; no index, disk or clock access (the
caller passes `now`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

DAY = 86_400.0


@dataclass(frozen=True)
class Weights:
    half_life_days: float = 90.0
    recency_floor: float = 0.6
    project_boost: float = 1.25
    topic_boost: float = 0.15
    topic_boost_max: float = 1.45
    session_weight: float = 0.5  # the kind factor of session summaries (others: 1.0)


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class Candidate:
    """What ranking needs to know about one search candidate."""

    key: str  # the memory's relpath: unique, a stable tie-breaker
    text_score: float  # BM25 from the index
    created: float  # epoch seconds
    project: str
    topics: tuple[str, ...] = ()
    kind: str = ""  # a Kind value


@dataclass(frozen=True)
class Ranked:
    score: float
    candidate: Candidate


def recency_factor(age_seconds: float, weights: Weights = DEFAULT_WEIGHTS) -> float:
    """1.0 for now (or the future), halving the distance to the floor every half-life."""
    age_days = max(age_seconds, 0.0) / DAY
    decay = 0.5 ** (age_days / weights.half_life_days)
    return float(weights.recency_floor + (1.0 - weights.recency_floor) * decay)


def topic_factor(
    topics: Iterable[str], preferred: Iterable[str], weights: Weights = DEFAULT_WEIGHTS
) -> float:
    shared = len(set(topics) & set(preferred))
    return min(1.0 + weights.topic_boost * shared, weights.topic_boost_max)


def final_score(
    candidate: Candidate,
    *,
    now: float,
    current_project: str | None,
    prefer_topics: Sequence[str] = (),
    weights: Weights = DEFAULT_WEIGHTS,
) -> float:
    score = candidate.text_score * recency_factor(now - candidate.created, weights)
    if current_project is not None and candidate.project == current_project:
        score *= weights.project_boost
    if prefer_topics:
        score *= topic_factor(candidate.topics, prefer_topics, weights)
    return score * kind_factor(candidate.kind, weights)


STALE_FACTOR = 0.5


def stale_factor(stale: bool) -> float:
    return STALE_FACTOR if stale else 1.0


def kind_factor(kind: str, weights: Weights = DEFAULT_WEIGHTS) -> float:
    return weights.session_weight if kind == "session" else 1.0


def rank(
    candidates: Iterable[Candidate],
    *,
    now: float,
    current_project: str | None = None,
    prefer_topics: Sequence[str] = (),
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[Ranked]:
    """Best first; equal scores go newest first, then by key, so the order is total."""
    ranked = [
        Ranked(final_score(c, now=now, current_project=current_project,
                           prefer_topics=prefer_topics, weights=weights), c)
        for c in candidates
    ]
    ranked.sort(key=lambda r: (-r.score, -r.candidate.created, r.candidate.key))
    return ranked

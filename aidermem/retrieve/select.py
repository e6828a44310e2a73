"""Decide what aider should know at launch.

`launch_query` is pure: it turns what is known before aider starts (files on
the command line, the branch, recent commit subjects, changed files, a
--message, profile words) into query text. `retrieve` runs the searches and
loads the memories the context file will show. It never writes anything
except through the index's own sync.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING

from aidermem.errors import MemoryFileError
from aidermem.index import ranking
from aidermem.index.memory_index import MemoryIndex
from aidermem.index.search import SearchRequest, find
from aidermem.models import Kind, Memory, Tool
from aidermem.store.store import Store

if TYPE_CHECKING:
    from aidermem.links.use import Checker

# Branch names that say nothing about the work.
_BORING_BRANCHES = {"main", "master", "develop", "dev", "trunk", "head", "release"}
MAX_QUERY_WORDS = 64
NOTE_KINDS = [Kind.DECISION, Kind.CONVENTION, Kind.BUG, Kind.NOTE]


def launch_query(
    *,
    files: Iterable[str] = (),
    branch: str | None = None,
    commit_subjects: Iterable[str] = (),
    changed_files: Iterable[str] = (),
    message: str | None = None,
    extra_words: Iterable[str] = (),
) -> str:
    """Query text, most telling parts first, bounded in length.

    Each word counts once (case-insensitively): twenty changed files in one
    folder must not spend the budget on that folder's name twenty times.
    """
    parts: list[str] = []
    if message:
        parts.append(message)
    parts.extend(extra_words)
    for name in [*files, *changed_files]:
        path = PurePath(name)
        parts.append(path.stem if path.suffix else path.name)
        parts.extend(p for p in path.parent.parts[-2:] if p not in (".", "/"))
    if branch and branch.lower() not in _BORING_BRANCHES:
        parts.append(branch.replace("/", " ").replace("-", " "))
    parts.extend(commit_subjects)
    words: dict[str, str] = {}  # casefolded -> first spelling, in order
    for part in parts:
        for word in part.split():
            words.setdefault(word.casefold(), word)
        if len(words) >= MAX_QUERY_WORDS:
            break
    return " ".join(list(words.values())[:MAX_QUERY_WORDS])


@dataclass(frozen=True)
class Retrieved:
    last_session: Memory | None
    notes: list[Memory]
    # Memory id -> a line per link that is stale (linkuse.stale_line), for the context file.
    warnings: dict[str, list[str]] = field(default_factory=dict)


def merge_ranked(*lists: Sequence[Memory], limit: int) -> list[Memory]:
    """Interleave-free merge: keep first occurrence order, drop duplicates."""
    seen: set[str] = set()
    out: list[Memory] = []
    for memories in lists:
        for memory in memories:
            if memory.id not in seen:
                seen.add(memory.id)
                out.append(memory)
    return out[:limit]


MAX_ELSEWHERE = 2
RELEVANCE_FLOOR = 0.25  # of the best match's score: below it, a note only shares a word


def above_floor(hits: Sequence[tuple[float, Memory]]) -> list[tuple[float, Memory]]:
    """The hits scoring at least RELEVANCE_FLOOR of the best one (hits are best first).

    A launch query holds up to 64 words (files, branch, commit subjects), so nearly every
    note shares one of them; a score far below the best says that is all it shares."""
    best = max((score for score, _ in hits), default=0.0)
    return [(score, memory) for score, memory in hits if score >= RELEVANCE_FLOOR * best]


def highly_relevant_elsewhere(
    hits: Sequence[tuple[float, Memory]], best_here: float, current_project: str
) -> list[Memory]:
    """Other projects' memories that outrank everything found in this one.

    Scores already carry the current project's boost, so a memory from another
    project that still beats the best local match is worth showing; a weaker one
    would only crowd out this project's own notes.
    """
    out = [
        memory for score, memory in hits
        if memory.project not in (current_project, "") and score > best_here
    ]
    return out[:MAX_ELSEWHERE]


LAST_SESSION_LOOKBACK = 20  # newest session memories looked at for the last real one


def is_real_session(memory: Memory) -> bool:
    """Whether a session memory may stand as "where the last session stopped".

    Not an imported session whose start is unknown (a history without its header: dated
    from the file, not from when it happened), and not a trivial run: a one-shot
    `--message` or a single question, i.e. at most one request, no commit and nothing
    worth its own memory (a session that recorded a decision, a bug or a `remember:` note
    links to it in `related`, and is real work however short).
    """
    source = memory.source
    if source.tool is Tool.IMPORT and source.session_start is None:
        return False
    trivial = (source.requests is not None and source.requests <= 1 and not memory.commits
               and not memory.related)
    return not trivial


@dataclass(frozen=True)
class Filter:
    """What every search of one retrieval shares: the project, under its earlier ids too
    (project.Project.aliases: their memories come back as the current project's, so the
    context never calls them foreign), and the topics required and preferred."""

    current_project: str
    aliases: Sequence[str] = ()
    topics_require: Sequence[str] = ()
    topics_prefer: Sequence[str] = ()

    def request(self, text: str, scope: str | Sequence[str], kinds: list[Kind], limit: int
                ) -> SearchRequest:
        return SearchRequest(text=text, scope=scope, kinds=kinds, limit=limit,
                             current_project=self.current_project,
                             project=self.current_project, aliases=self.aliases,
                             topics=list(self.topics_require),
                             prefer_topics=list(self.topics_prefer))


def _sessions(index: MemoryIndex, store: Store, where: Filter) -> Iterator[Memory]:
    """This project's session memories (under its earlier ids too), newest first, loaded one
    at a time as asked for."""
    request = where.request("", "project", [Kind.SESSION], LAST_SESSION_LOOKBACK)
    for _score, memory in _found(index, store, request):
        yield memory


def _found(index: MemoryIndex, store: Store, request: SearchRequest
           ) -> Iterator[tuple[float, Memory]]:
    """The request's hits as (score, memory), loaded one at a time; memories under an
    earlier id of the project (request.aliases) come back as the current project's."""
    for hit in find(index, request):
        try:
            memory = store.load(hit.relpath)
        except MemoryFileError:  # a file edited badly since indexing: skip it
            continue
        if memory.project in request.aliases:  # this project's, under an id it had before
            memory.project = request.current_project or request.project or ""
        yield hit.score, memory


def retrieve(
    index: MemoryIndex,
    store: Store,
    *,
    query: str,
    where: Filter,
    scope: str | Sequence[str] = "project",
    limit: int = 12,
    links: Checker | None = None,
) -> Retrieved:
    """Last session of this project plus the most relevant other notes.

    `links`: checks each found memory's links; a stale one is demoted (ranking.STALE_FACTOR)
    and its warnings come back in `Retrieved.warnings`."""
    warnings: dict[str, list[str]] = {}

    def checked(memory: Memory) -> bool:
        """Whether the memory is stale; its warnings are noted once."""
        if links is None or not memory.links:
            return False
        if memory.id not in warnings:
            from aidermem.links.use import stale_line

            states = links.states(memory.project, memory.links)
            warnings[memory.id] = [stale_line(s) for s in states if s.stale]
        return bool(warnings[memory.id])

    def scored(text: str, scope: str | Sequence[str], kinds: list[Kind], limit: int
               ) -> list[tuple[float, Memory]]:
        request = where.request(text, scope, kinds, limit)
        out = [(score * ranking.stale_factor(checked(memory)), memory)
               for score, memory in _found(index, store, request)]
        if links is not None:
            out.sort(key=lambda pair: -pair[0])  # stable: equal scores keep the index's order
        return out

    def search(text: str, scope: str | Sequence[str], kinds: list[Kind], limit: int
               ) -> list[Memory]:
        return [memory for _, memory in scored(text, scope, kinds, limit)]

    newest = _sessions(index, store, where)
    last = next((memory for memory in newest if is_real_session(memory)), None)
    relevant: list[Memory] = []
    elsewhere: list[Memory] = []
    if query.strip():
        local = above_floor(scored(query, scope, NOTE_KINDS, limit))
        relevant = [memory for _, memory in local]
        if scope == "project":
            best_here = max((score for score, _ in local), default=0.0)
            elsewhere = highly_relevant_elsewhere(
                scored(query, "all", NOTE_KINDS, limit), best_here, where.current_project
            )
    conventions = search("", "project", [Kind.CONVENTION], 3)
    # The newest notes stand in for relevance only when the query found nothing: aider
    # re-sends the file with every request, and an unrelated note is paid for each time.
    recent = [] if relevant else search("", "project", NOTE_KINDS, limit)
    notes = merge_ranked(relevant[:1], elsewhere, relevant[1:], conventions, recent, limit=limit)
    if last is not None:
        checked(last)
    shown = {m.id for m in [last, *notes] if m is not None}
    return Retrieved(last_session=last, notes=notes,
                     warnings={k: v for k, v in warnings.items() if v and k in shown})

"""The context file while aider runs: memories a message calls for join it, at its end.

`LiveContext` lives for one session, in the launcher's process, on live_session's worker
thread (never the terminal's). It holds the store and the index open; `refresh()` runs
the index's usual store→index check (what `aidermem search` does), so a memory added
meanwhile by `/run aidermem add …` or another terminal is found. `add(message, …)`
searches for the message (live_query builds the query), and the best notes that score at
least retrieve.RELEVANCE_FLOOR of the best hit, share a content word with the message
itself and are not in the file yet join it, in a "## Joined during this session" section
after the launch text, within `live_budget` times `budget_tokens` tokens of their own.

Prompt-cache friendly by construction: the launch text is never rewritten and joined
notes are only appended, so the file's earlier text is a stable prefix; every write
checks that against the file on disk and counts the times it was not
(`prefix_changes`, shown in the exit receipt; it should stay 0). Writes are atomic
(context_file.write): aider re-reads the file on every request and never sees half of one.

Never: print (aider owns the screen), rewrite or reorder what the file already says, or
write anything but the context file.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from aidermem.errors import MemoryFileError
from aidermem.index import analysis
from aidermem.index.memory_index import MemoryIndex
from aidermem.index.search import SearchRequest, find
from aidermem.launch import context_file
from aidermem.links.use import Checker, stale_line
from aidermem.retrieve import live_query, tokens
from aidermem.retrieve import render as context
from aidermem.retrieve import select as retrieve
from aidermem.store.store import Store

if TYPE_CHECKING:
    from aidermem import config
    from aidermem.models import Memory
    from aidermem.project import Project

SECTION = ("\n\n## Joined during this session\n\n"
           "Notes that matched what was said in this session, quoted as above.\n")
MAX_PER_MESSAGE = 2
FRESH_SECONDS = 30.0  # with no commit since, a look at the store this recent will do
SEARCH_LIMIT = 8


@dataclass
class Outcome:
    """What one message did."""

    query: str
    joined: list[str] = field(default_factory=list)  # memory ids, in the order they joined
    over_budget: int = 0  # relevant notes left out because the live budget was spent


class LiveContext:
    def __init__(self, path: Path, project: Project, settings: config.Settings,
                 launch_text: str, shown: Sequence[str]) -> None:
        self.path = path
        self.project = project
        self.settings = settings
        self.store = Store.open(settings.store, create=False)
        self.index = MemoryIndex.open(self.store)
        self.budget = int(settings.budget_tokens * settings.live_budget)
        self.used = 0
        self.shown = set(shown)
        self.joined: list[str] = []
        self.prefix_changes = 0
        self.messages = 0
        self._written = launch_text
        self._fresh_at = float("-inf")
        self._stamp_seen: tuple[tuple[int, int] | None, ...] = ()
        tokens.count("warm up")  # the tokenizer loads once, here, not at the first Enter

    def refresh(self, *, older_than: float = 0.0) -> None:
        """Follow the store (commits and hand edits since the last look) unless that was
        done in the last `older_than` seconds and no commit was made since (a few stats:
        `aidermem add` always commits); reopen the index, so what another process
        committed or indexed is searched."""
        stamp = self._stamp()
        if stamp == self._stamp_seen and time.monotonic() - self._fresh_at < older_than:
            return
        index = MemoryIndex.open(self.store)
        index.refresh()
        self.index = index
        self._fresh_at = time.monotonic()
        self._stamp_seen = self._stamp()

    def _stamp(self) -> tuple[tuple[int, int] | None, ...]:
        """What a commit to the store, or another process's sync of its index, changes."""
        git = self.store.root / ".git"
        try:
            head = (git / "HEAD").read_text(encoding="utf-8").strip()
        except OSError:
            head = ""
        ref = git / head[5:] if head.startswith("ref: ") else git / "HEAD"
        return tuple(_stat(p) for p in (ref, git / "packed-refs", git / "index",
                                         self.index.directory / "state.json"))

    def add(self, message: str, earlier: Sequence[str] = (), files: Sequence[str] = ()
            ) -> Outcome:
        """Search for `message`; append what joins. The file is written before returning."""
        self.refresh(older_than=FRESH_SECONDS)
        self.messages += 1
        query = live_query.build(message, earlier, files)
        outcome = Outcome(query)
        if not query:
            return outcome
        wanted = [frozenset(analysis.variants(t)) for t in live_query.message_terms(message)]
        blocks: list[str] = []
        links: Checker | None = None  # one HEAD read per message, and only for a linked note
        for memory in self._candidates(query):
            if len(outcome.joined) >= MAX_PER_MESSAGE:
                break
            if memory.id in self.shown or not says_enough(wanted, _words(memory)):
                continue
            warnings: list[str] = []
            if memory.links:  # its code may have changed since, even during this session
                links = links or Checker(self.project.ids, self.project.root, self.store.root)
                warnings = [stale_line(s) for s in links.states(memory.project, memory.links)
                            if s.stale]
            block = self._fit(memory, first=not self.joined and not blocks, warnings=warnings)
            if block is None:
                outcome.over_budget += 1
                continue
            blocks.append(block)
            outcome.joined.append(memory.id)
            self.shown.add(memory.id)
        if blocks:
            base = self._written if self.joined else self._written.rstrip("\n") + SECTION
            self._write(base + "\n" + "\n".join(blocks))
            self.joined.extend(outcome.joined)
        return outcome

    def _candidates(self, query: str) -> Iterator[Memory]:
        """The hits worth a look, best first, each loaded only when asked for."""
        request = SearchRequest(
            text=query, scope=self.settings.scope, kinds=retrieve.NOTE_KINDS,
            limit=SEARCH_LIMIT, current_project=self.project.id, project=self.project.id,
            aliases=self.project.aliases, topics=list(self.settings.topics_require),
            prefer_topics=list(self.settings.topics_prefer), snippets=False)
        hits = find(self.index, request)
        best = max((h.score for h in hits), default=0.0)
        for hit in hits:
            if hit.score < retrieve.RELEVANCE_FLOOR * best or hit.id in self.shown:
                continue
            try:
                memory = self.store.load(hit.relpath)
            except MemoryFileError:  # edited badly since indexing: skip it
                continue
            if memory.project in self.project.aliases:
                memory.project = self.project.id
            yield memory

    def _fit(self, memory: Memory, *, first: bool, warnings: Sequence[str] = ()) -> str | None:
        """The note's block at the longest excerpt the live budget still has room for, with
        a line above it for each of its links whose code changed (as at launch)."""
        extra = tokens.count(SECTION) if first else 0
        # The shortest block first: once the budget is nearly spent (most of a long session)
        # that one count says no, instead of three on the Enter path.
        shortest = context.note_block(memory, self.project.id, 0, warnings)
        if self.used + tokens.count(shortest) + extra > self.budget:
            return None
        for limit in (context.NOTE_CHARS, context.SHORT_NOTE_CHARS):
            block = context.note_block(memory, self.project.id, limit, warnings)
            cost = tokens.count(block) + extra
            if self.used + cost <= self.budget:
                self.used += cost
                return block
        self.used += tokens.count(shortest) + extra
        return shortest

    def _write(self, text: str) -> None:
        try:
            on_disk = self.path.read_text(encoding="utf-8")
        except OSError:
            on_disk = None
        if on_disk is None or not text.startswith(on_disk.rstrip("\n")):
            self.prefix_changes += 1
        context_file.write(self.path, text)
        self._written = text


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def says_enough(wanted: Sequence[frozenset[str]], words: set[str]) -> bool:
    """Whether a note shares enough of the message's content words to join: two of them
    (all, for a message of one), each as itself or an inflection (writes for write), as
    the search matched them; `wanted` holds each content word's forms (analysis.variants,
    worked out once per message, not once per candidate). One shared word is what any
    note has with a line of chat ("can you explain that last change", "make the error
    message friendlier"), and a wrong note costs its tokens on every request for the rest
    of the session (BENCHMARKS.md "Live retrieval: what joins")."""
    shared = sum(1 for forms in wanted if not forms.isdisjoint(words))
    return shared >= min(2, len(wanted))


def _words(memory: Memory) -> set[str]:
    return set(analysis.terms(" ".join([memory.title, memory.body, *memory.topics,
                                        *memory.files])))

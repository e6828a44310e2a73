"""Render the read-only context file aider is given at launch.

Pure: memories in, Markdown out. The file starts with where the last session
of this project stopped, then the most relevant decisions, conventions, bugs
and notes, then a footer on how to get more from inside aider. It never
exceeds the token budget, measured with a real tokenizer; whole notes are
dropped or shortened to fit, lowest-ranked first, and a budget too small for
the frame gets a compact one with the best memory. aider re-sends the file
with every request, so each fact is said once (facts.py decides "the same").
Every memory's text is fenced (`quote`): whatever a body says, it cannot
close the frame or pass for part of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from aidermem import templates
from aidermem.models import Memory
from aidermem.retrieve import facts, tokens
from aidermem.text import ELLIPSIS, cut_at_word, one_line

TEMPLATE = "context.md"
COMPACT_TEMPLATE = "context_compact.md"
LAST_SESSION_CHARS = 1400
NOTE_CHARS = 700
SHORT_NOTE_CHARS = 220
TINY_CHARS = (SHORT_NOTE_CHARS, 100, 40, 0)  # a compact frame's best memory, cut to fit

_BLANK_RUNS = re.compile(r"\n{3,}")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$", re.MULTILINE)


def excerpt(text: str, limit: int) -> str:
    """The start of `text`, cut at a word boundary, blank runs collapsed."""
    # A memory's own headings would nest wrongly under ours: make them bold lines.
    text = _HEADING.sub(r"**\1**", text.strip())
    text = _BLANK_RUNS.sub("\n\n", text)
    if len(text) <= limit:
        return text
    # Paragraph breaks count as word breaks here, and the mark comes after the limit.
    return cut_at_word(text, limit, past=limit // 2, breaks=" \n").rstrip() + " " + ELLIPSIS


def _heading(memory: Memory, current_project: str) -> str:
    where = ""
    if memory.project and memory.project != current_project:
        name = one_line(memory.project_name or memory.project)  # one line, always
        where = f" · from project {name}"
    day = memory.created.date().isoformat()
    return f"### {memory.kind.value} · {day} · {' '.join(memory.id.split())}{where}"


_BACKTICKS = re.compile(r"`+")


def quote(text: str) -> str:
    """A memory's text fenced, so nothing in it can close the frame or pass for part of it.

    The fence is longer than any run of backticks in the text, and CommonMark closes a
    fence only with a run at least as long: a forged footer, heading or "new
    instructions" inside stays quoted text.
    """
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def _quoted(title: str, body: str) -> str:
    # A body that opens with its own title (extractive notes are one line twice) says it once.
    if body and facts.starts_with(body, title):
        return quote(body)
    return quote(f"{title}\n\n{body}" if body else title)


def note_block(memory: Memory, current_project: str, limit: int,
               warnings: Sequence[str] = ()) -> str:
    body = excerpt(facts.without_filler(memory.body), limit) if limit else ""
    return (f"{_heading(memory, current_project)}\n{_warned(warnings)}"
            f"{_quoted(memory.title, body)}\n")


def _warned(warnings: Sequence[str]) -> str:
    """aidermem's own lines above a stale memory's fence (one line each, never fenced)."""
    return "".join(f"> **Stale:** {' '.join(w.split())}\n" for w in warnings)


def last_session_block(memory: Memory, limit: int, body: str | None = None,
                       warnings: Sequence[str] = ()) -> str:
    """`body`: the session's body as it should be shown (default: as stored)."""
    day = memory.created.date().isoformat()
    text = excerpt(facts.without_filler(memory.body if body is None else body), limit)
    return (
        "## Where the last session stopped\n\n"
        f"Session {memory.id} on {day}:\n{_warned(warnings)}{_quoted(memory.title, text)}\n"
    )


# -- each fact once -----------------------------------------------------------------------

_ITEM = re.compile(r"^[-*+]\s+\S")  # a top-level list item: one stated fact
_SECTION = re.compile(r"^#{1,6}\s")


@dataclass(frozen=True)
class _Session:
    body: str  # the session's body, minus the items said elsewhere
    moved: frozenset[str]  # ids of the notes whose items were taken out


def distinct(notes: Sequence[Memory]) -> list[Memory]:
    """Notes in rank order, each fact once: a note restating a better-ranked one is dropped."""
    kept: list[tuple[frozenset[str], str, Memory]] = []
    for memory in notes:
        said = facts.words(memory.title)
        body = one_line(facts.without_filler(memory.body)).casefold()
        if any(facts.same(said, w) or (body and body == b) for w, b, _ in kept):
            continue
        kept.append((said, body, memory))
    return [m for _, _, m in kept]


def _states(memory: Memory, item: frozenset[str], related: bool) -> bool:
    """Whether a list item states what `memory` is about. A note derived from the session
    (linked by `related`) is matched by its title's words however few they are."""
    return facts.contained(facts.words(memory.title), item, min_words=1 if related else
                           facts.MIN_WORDS)


def session_items(session: Memory, shown: Sequence[Memory]) -> _Session:
    """The session's body with each list item said once: items that a note in `shown`
    states are left to that note, repeats of an earlier item go, and so does a heading
    left with nothing under it."""
    related = set(session.related)
    seen: list[frozenset[str]] = []
    moved: set[str] = set()
    lines: list[str] = []
    for line in facts.without_filler(session.body).splitlines():
        if _ITEM.match(line):
            item = facts.words(facts.bullet_text(line))
            owners = [m.id for m in shown if _states(m, item, m.id in related)]
            if owners:
                moved.update(owners)
                continue
            if facts.any_same(item, seen):
                continue
            seen.append(item)
            line = facts.restates_label(line)
        lines.append(line)
    return _Session("\n".join(_without_empty_sections(lines)), frozenset(moved))


def _without_empty_sections(lines: list[str]) -> list[str]:
    out: list[str] = []
    for i, line in enumerate(lines):
        if _SECTION.match(line):
            rest = lines[i + 1:]
            end = next((j for j, r in enumerate(rest) if _SECTION.match(r)), len(rest))
            if not any(r.strip() for r in rest[:end]):
                continue
        out.append(line)
    return out


def _stated_in(memory: Memory, head: str, related: set[str]) -> bool:
    """Whether the rendered head already states this note (in one of its list items)."""
    items = [facts.words(facts.bullet_text(ln)) for ln in head.splitlines() if _ITEM.match(ln)]
    return any(_states(memory, item, memory.id in related) for item in items)


# -- the file -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """What the file says around the memories: whose file it is and how to ask for more."""

    project_name: str  # the title's project ("": "this project")
    current_project: str  # the project's id: a memory of another project is marked so
    command: str = "aidermem"  # how a shell inside aider runs aidermem (quoted for the shell)
    footer_note: str = ""

    def text(self, head: str, blocks: Sequence[str]) -> str:
        """The full frame around the last session's `head` and the notes' `blocks`."""
        sections = head
        if blocks:
            sections += ("\n" if head else "") + "## Relevant notes\n\n" + "\n".join(blocks)
        return _tidy(templates.render(
            TEMPLATE,
            project_name=self.project_name or "this project",
            sections="\n" + sections if sections else "",
            footer_note=self.footer_note,
            command=self.command,
        ))


def render(
    frame: Frame,
    *,
    last_session: Memory | None,
    memories: Sequence[Memory],
    budget: int,
    warnings: Mapping[str, Sequence[str]] | None = None,
    count: Callable[[str], int] = tokens.count,
) -> str | None:
    """The context file's text, or None when there is nothing worth sending.

    `memories` are in rank order, best first; `last_session` is not repeated
    among them, and no fact is said twice (see facts.py). The result's token
    count is always <= budget; when the full frame does not fit, a compact one
    carries at least the best memory, shortened. `warnings`: lines to show
    above a memory (by id), such as its stale links (retrieve.Retrieved.warnings).
    """
    notes = distinct([m for m in memories if last_session is None or m.id != last_session.id])
    if last_session is None and not notes:
        return None
    head, blocks = _Fitting(frame, last_session, notes, budget, count, warnings or {}).best()
    if head or blocks:
        text = frame.text(head, blocks)
        if count(text) <= budget:
            return text
    return _compact(last_session or notes[0], frame, budget, count)


@dataclass(frozen=True)
class _Fitting:
    """What fits the budget in the full frame: the last session, then notes in rank order."""

    frame: Frame
    last_session: Memory | None
    notes: Sequence[Memory]
    budget: int
    count: Callable[[str], int]
    warned: Mapping[str, Sequence[str]]

    def best(self) -> tuple[str, list[str]]:
        """The head and note blocks to show.

        Items the last session shares with a note are shown once, as the note (it has the
        why and its own id). A note that then does not fit gives its item back to the
        session."""
        shown = list(self.notes)
        while True:
            head, moved = self._head(shown)
            blocks, fitted = self._blocks(head, moved)
            kept = {m.id for m in fitted}
            if moved <= kept:
                return head, blocks
            shown = [m for m in shown if m.id in kept]

    def _head(self, shown: Sequence[Memory]) -> tuple[str, frozenset[str]]:
        """The last session's block, the longest that fits alone, and the notes it leaves
        its items to ("" when none fits, or there is no last session)."""
        if self.last_session is None:
            return "", frozenset()
        session = session_items(self.last_session, shown)
        for limit in (LAST_SESSION_CHARS, NOTE_CHARS, SHORT_NOTE_CHARS):
            candidate = last_session_block(self.last_session, limit, session.body,
                                           self.warned.get(self.last_session.id, ()))
            if self.count(self.frame.text(candidate, [])) <= self.budget:
                return candidate, session.moved
        return "", frozenset()

    def _blocks(self, head: str, moved: frozenset[str]) -> tuple[list[str], list[Memory]]:
        """The note blocks that fit after `head`, each as long as it can be, and their notes."""
        related = set(self.last_session.related) if self.last_session is not None else set()
        blocks: list[str] = []
        fitted: list[Memory] = []
        for memory in self.notes:
            if memory.id not in moved and head and _stated_in(memory, head, related):
                continue  # the last session already says it
            for limit in (NOTE_CHARS, SHORT_NOTE_CHARS):
                block = note_block(memory, self.frame.current_project, limit,
                                   self.warned.get(memory.id, ()))
                if self.count(self.frame.text(head, [*blocks, block])) <= self.budget:
                    blocks.append(block)
                    fitted.append(memory)
                    break
        return blocks, fitted


def _compact(best: Memory, frame: Frame, budget: int, count: Callable[[str], int]
             ) -> str | None:
    """A budget too small for the full frame: a short frame and the best memory, cut."""
    more = f"\nMore: `/run {frame.command} show {best.id}`.\n"
    for limit in TINY_CHARS:
        block = note_block(best, frame.current_project, limit)
        for hint in (more, ""):
            text = _tidy(templates.render(COMPACT_TEMPLATE, block=block, more=hint).rstrip())
            if count(text) <= budget:
                return text
    return None


def _tidy(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"

"""Render the read-only context file aider is given at launch.

Pure: memories in, Markdown out. The file starts with where the last session
of this project stopped, then the most relevant decisions, conventions, bugs
and notes, then a footer on how to get more from inside aider. It never
exceeds the token budget, measured with a real tokenizer; whole notes are
dropped or shortened to fit, lowest-ranked first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from aidermem import templates, tokens
from aidermem.models import Memory

TEMPLATE = "context.md"
LAST_SESSION_CHARS = 1400
NOTE_CHARS = 700
SHORT_NOTE_CHARS = 220

_BLANK_RUNS = re.compile(r"\n{3,}")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$", re.MULTILINE)


def excerpt(text: str, limit: int) -> str:
    """The start of `text`, cut at a word boundary, blank runs collapsed."""
    # A memory's own headings would nest wrongly under ours: make them bold lines.
    text = _HEADING.sub(r"**\1**", text.strip())
    text = _BLANK_RUNS.sub("\n\n", text)
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + " …"


def _heading(memory: Memory, current_project: str) -> str:
    where = ""
    if memory.project and memory.project != current_project:
        where = f" · from project {memory.project_name or memory.project}"
    day = memory.created.date().isoformat()
    return f"### {memory.kind.value} · {day} · {memory.id}{where}\n**{memory.title}**"


def note_block(memory: Memory, current_project: str, limit: int) -> str:
    body = excerpt(memory.body, limit)
    head = _heading(memory, current_project)
    return f"{head}\n\n{body}\n" if body else f"{head}\n"


def last_session_block(memory: Memory, limit: int) -> str:
    day = memory.created.date().isoformat()
    body = excerpt(memory.body, limit)
    return (
        "## Where the last session stopped\n\n"
        f"Session {memory.id} on {day}: **{memory.title}**\n\n{body}\n"
    )


def render(
    *,
    project_name: str,
    current_project: str,
    last_session: Memory | None,
    memories: Sequence[Memory],
    budget: int,
    footer_note: str = "",
    command: str = "aidermem",
    count: Callable[[str], int] = tokens.count,
) -> str | None:
    """The context file's text, or None when there is nothing worth sending.

    `memories` are in rank order, best first; `last_session` is not repeated
    among them. `command` is how a shell inside aider runs aidermem (already
    quoted for the shell). The result's token count is always <= budget.
    """
    notes = [m for m in memories if last_session is None or m.id != last_session.id]
    if last_session is None and not notes:
        return None

    def assemble(head: str, blocks: list[str]) -> str:
        sections = head
        if blocks:
            sections += "\n## Relevant notes\n\n" + "\n".join(blocks)
        text = templates.render(
            TEMPLATE,
            project_name=project_name or "this project",
            sections="\n" + sections if sections else "",
            footer_note=footer_note,
            command=command,
        )
        return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"

    head = ""
    if last_session is not None:
        for limit in (LAST_SESSION_CHARS, NOTE_CHARS, SHORT_NOTE_CHARS):
            candidate = last_session_block(last_session, limit)
            if count(assemble(candidate, [])) <= budget:
                head = candidate
                break

    blocks: list[str] = []
    for memory in notes:
        for limit in (NOTE_CHARS, SHORT_NOTE_CHARS):
            block = note_block(memory, current_project, limit)
            if count(assemble(head, [*blocks, block])) <= budget:
                blocks.append(block)
                break

    if not head and not blocks:
        return None
    text = assemble(head, blocks)
    if count(text) > budget:  # only possible when even the bare frame is too big
        return None
    return text

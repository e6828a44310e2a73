"""A deterministic session summary for when no model is reachable.

Pure: a parsed (already redacted) Session in, Memory objects out. Never calls
a model, reads files or touches the store. The body is bounded whatever the
transcript size, so one huge pasted prompt cannot bloat the store or the
context file a later session reads.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import tzinfo

from aidermem.capture.transcript import Session
from aidermem.launch import context_file
from aidermem.models import Kind, Memory, Method, Source, Tool, now
from aidermem.text import PUNCTUATION, clip, one_line

MAX_BODY = 4000
MAX_TITLE = 80
_MAX_NOTES = 10
_MAX_TOPICS = 6

# Replies that carry no request: the title comes from the first real one.
_ACKS = frozenset(
    {
        "y", "yes", "n", "no", "ok", "okay", "k", "sure", "thanks", "thank you", "continue",
        "go", "go on", "proceed", "do it", "next", "done", "retry", "again", "sí", "si", "da",
        "はい", "続けて", "lanjut", "exit", "quit",
    }
)  # fmt: skip
_WORD = re.compile(r"[^\W\d_]{4,24}(?:-[^\W\d_]{2,24})?")
_STOPWORDS = frozenset(
    {
        "this", "that", "with", "from", "have", "into", "your", "what", "when", "where",
        "which", "would", "could", "should", "there", "their", "them", "then", "than", "they",
        "will", "just", "also", "make", "made", "like", "more", "some", "such", "only", "very",
        "about", "after", "before", "please", "need", "want", "file", "files", "code", "using",
        "used", "each", "other", "these", "those", "does", "doesn", "dont", "don't", "it's",
        "here", "been", "being", "were", "sure", "can't", "cannot", "let's", "para", "como",
        "esta", "este", "pero", "todo", "que", "una", "los", "las", "por", "self", "const",
        "import", "return", "https", "http", "chat", "skip", "string", "number", "class",
        "echo", "print", "function", "export", "true", "false", "null", "none", "localhost",
        "error", "aider", "yang", "dengan", "again",
    }
)  # fmt: skip
_EXT_TOPICS = {
    ".py": "python", ".ts": "typescript", ".tsx": "react", ".js": "javascript",
    ".jsx": "react", ".go": "go", ".rs": "rust", ".java": "java", ".kt": "kotlin",
    ".swift": "swift", ".cs": "csharp", ".rb": "ruby", ".php": "php", ".sol": "solidity",
    ".c": "c", ".h": "c", ".cpp": "cpp", ".hpp": "cpp", ".css": "css", ".scss": "css",
    ".html": "html", ".vue": "vue", ".sql": "sql", ".tf": "terraform", ".sh": "shell",
    ".yml": "yaml", ".yaml": "yaml", ".md": "docs", ".ipynb": "jupyter", ".dart": "dart",
    ".gd": "godot",
}  # fmt: skip
_HEADING = re.compile(r"^#{1,6}\s+")
_NOTE_LINE = re.compile(r"\s*(remember|decision)\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class Origin:
    """Where a session came from, as its memories' `source` records it."""

    session_id: str  # the dedupe key (transcript.session_key)
    transcript_path: str | None = None  # the history file it was read from
    tool: Tool = Tool.AIDER
    conversation_id: str | None = None  # session_ids.key_of: the session across its files


def extract(
    session: Session,
    origin: Origin,
    *,
    project_id: str,
    project_name: str,
    tz: tzinfo | None = None,
) -> list[Memory]:
    """The session memory, then one decision/note memory per `decision:`/`remember:` line.

    Returns [] for a session with nothing to remember (no request, commit or note).
    `tz` is the zone the header's local time is read in (None: this machine's).
    """
    if session.trivial:
        return []
    started = session.started_at(tz)
    when = started or now()
    source = Source(
        tool=origin.tool,
        session_id=origin.session_id,
        conversation_id=origin.conversation_id,
        transcript=origin.transcript_path,
        session_start=started,
        method=Method.EXTRACTIVE,
        requests=len(session.requests),
    )
    files = _files(session)
    title = session_title(session)
    main = Memory(
        title=title,
        kind=Kind.SESSION,
        body=_body(session, files),
        project=project_id,
        project_name=project_name,
        topics=_topics(session, files),
        created=when,
        updated=when,
        source=source,
        files=files,
        commits=[f"{sha} {clip(msg, 100, trim=PUNCTUATION)}" for sha, msg in session.commits],
    )
    memories = [main]
    for keyword, text in session.remember[:_MAX_NOTES]:
        note = Memory(
            title=clip(one_line(text), MAX_TITLE, trim=PUNCTUATION),
            kind=Kind.DECISION if keyword == "decision" else Kind.NOTE,
            body=clip(text, 1000, trim=PUNCTUATION),  # `related` links the session; no filler line
            project=project_id,
            project_name=project_name,
            topics=main.topics[:3],
            created=when,
            updated=when,
            source=source.model_copy(update={"requests": None}),
            related=[main.id],
        )
        main.related.append(note.id)
        memories.append(note)
    return memories


def session_title(session: Session) -> str:
    """One line, ≤ 80 chars, from the first substantive request."""
    requests = [_without_notes(r) for r in session.requests]
    requests = [r for r in requests if r] or session.requests
    for request in requests:
        line = _first_line(request)
        if not _is_ack(line) and len(line) >= 3:
            return clip(line, MAX_TITLE, trim=PUNCTUATION)
    if requests:
        return clip(_first_line(requests[0]) or "Aider session", MAX_TITLE, trim=PUNCTUATION)
    if session.commits:
        return clip(session.commits[0][1], MAX_TITLE, trim=PUNCTUATION)
    stamp = f" {session.started:%Y-%m-%d %H:%M}" if session.started else ""
    return f"Aider session{stamp}"


def _without_notes(request: str) -> str:
    """The request minus its `remember:`/`decision:` lines (they have their own section)."""
    low = request.lower()
    if "remember" not in low and "decision" not in low:
        return request
    return "\n".join(ln for ln in request.splitlines() if not _NOTE_LINE.match(ln)).strip()


def _is_ack(request: str) -> bool:
    return one_line(request).lower().strip(" .!?") in _ACKS


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = _HEADING.sub("", line.lstrip("> ")).strip().strip("*_`").strip()
        if line:
            return one_line(line)
    return ""


def _summarize_request(request: str, limit: int) -> str:
    lines = [ln for ln in request.splitlines() if ln.strip()]
    if len(lines) > 3:
        # A pasted block: its first line says what it is; the rest is bulk.
        return f"{clip(_first_line(request), limit, trim=PUNCTUATION)} (pasted {len(lines)} lines)"
    return clip(_first_line(request) if len(lines) == 1 else one_line(request), limit,
                trim=PUNCTUATION)


def _files(session: Session) -> list[str]:
    out: list[str] = []
    for path in [*session.applied_files, *session.added_files]:
        norm = path.replace("\\", "/")
        if norm not in out and not context_file.is_context_path(norm):
            out.append(norm)
    return out


# Successively tighter limits: (requests, chars per request, commits, files).
_BUDGETS = ((12, 240, 20, 25), (8, 160, 12, 15), (5, 100, 8, 10), (3, 80, 5, 6))


def _body(session: Session, files: list[str]) -> str:
    """The body under MAX_BODY: lists shrink before the closing section is cut."""
    for budget in _BUDGETS:
        body = _render(session, files, *budget)
        if len(body) <= MAX_BODY:
            return body
    return body[: MAX_BODY - 2].rstrip() + "\n…"


def _render(
    session: Session,
    files: list[str],
    max_req: int,
    req_chars: int,
    max_commits: int,
    max_files: int,
) -> str:
    parts = [_overview(session)]
    requests: list[str] = []
    for request in map(_without_notes, session.requests):
        if not request or _is_ack(request):
            continue  # notes have their own section; "ok" asks for nothing
        line = _summarize_request(request, req_chars)
        if line and line not in requests:
            requests.append(line)
    if requests:
        parts.append("## What was asked\n" + _bullets(requests, max_req))
    if session.commits:
        commits = [f"`{sha}` {clip(msg, 120, trim=PUNCTUATION)}" for sha, msg in session.commits]
        parts.append("## Commits\n" + _bullets(commits, max_commits))
    file_lines = []
    edited = [p.replace("\\", "/") for p in session.applied_files]
    added = [p for p in files if p not in edited]
    if edited:
        file_lines.append("- edited: " + _list(edited, max_files))
    if added:
        file_lines.append("- added to the chat: " + _list(added, max_files))
    if file_lines:
        parts.append("## Files\n" + "\n".join(file_lines))
    if session.remember:
        notes = [f"{k}: {clip(t, 300, trim=PUNCTUATION)}" for k, t in session.remember]
        parts.append("## Notes\n" + _bullets(notes, _MAX_NOTES))
    parts.append(_stopped(session, req_chars))
    return "\n\n".join(parts)


def _bullets(items: list[str], limit: int) -> str:
    lines = [f"- {item}" for item in items[:limit]]
    if len(items) > limit:
        lines.append(f"- … and {len(items) - limit} more")
    return "\n".join(lines)


def _overview(session: Session) -> str:
    bits = []
    if session.started:
        bits.append(f"Aider session started {session.started:%Y-%m-%d %H:%M}")
    else:
        bits.append("Aider session (start time unknown)")
    if session.main_model:
        bits.append(f"model {session.main_model}")
    if session.aider_version:
        bits.append(f"aider v{session.aider_version}")
    counts = f"{_n(len(session.requests), 'request')}, {_n(len(session.commits), 'commit')}"
    if session.failed_edits:
        counts += f", {_n(session.failed_edits, 'failed edit')}"
    cost = session.session_cost
    if cost is not None:
        counts += f", ${cost:.2f}"
    return ", ".join(bits) + f" ({counts})."


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _stopped(session: Session, req_chars: int) -> str:
    requests = [r for r in map(_without_notes, session.requests) if r and not _is_ack(r)]
    lines = ["## Where it stopped"]
    if requests:
        lines.append(f"Last request: {_summarize_request(requests[-1], req_chars)}")
    if session.ended_interrupted:
        lines.append("The session ended with ^C (interrupted).")
    else:
        lines.append("The session ended normally or the transcript stops here.")
    return "\n".join(lines)


def _list(paths: list[str], limit: int) -> str:
    shown = ", ".join(f"`{p}`" for p in paths[:limit])
    if len(paths) > limit:
        shown += f" and {len(paths) - limit} more"
    return shown


def _topics(session: Session, files: list[str]) -> list[str]:
    topics: list[str] = []
    for path in files:
        dot = path.rfind(".")
        topic = _EXT_TOPICS.get(path[dot:].lower()) if dot > path.rfind("/") else None
        if topic and topic not in topics:
            topics.append(topic)
    dirs = Counter(p.split("/")[0] for p in files if "/" in p and not p.startswith("/"))
    for folder, _ in dirs.most_common(2):
        if folder and not folder.startswith(".") and folder.lower() not in topics:
            topics.append(folder.lower())
    words: Counter[str] = Counter()
    for request in session.requests[:50]:
        for word in _WORD.findall(request[:2000].lower()):
            if word not in _STOPWORDS:
                words[word] += 1
    for word, count in words.most_common(10):
        if len(topics) >= _MAX_TOPICS:
            break
        if count >= 2 and word not in topics:
            topics.append(word)
    return topics[:_MAX_TOPICS]


"""Turn one session's transcript into memories with a model's help.

Pure except for `summarize_session`, which calls `llm.complete_json` (the
HTTP edge). The prompt is `prompts/summarize.md`; the reply must be one JSON
object, validated by `SessionSummary` (lenient about harmless shapes, strict
about title and summary). `summary_to_memories` makes one session memory
plus one memory per decision, bug and convention, linked both ways.

It must never send an unbounded request (the transcript is cut from the
middle to a budget), never redact (the caller passes redacted text), and
never write anything: storing memories is the caller's job.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from aidermem import templates
from aidermem import text as plain
from aidermem.capture.llm import LLMConfig, SummarizeError, complete_json
from aidermem.expansion import Expansion
from aidermem.launch import context_file
from aidermem.models import Kind, Memory, Method, Source, Tool

if TYPE_CHECKING:
    from aidermem.capture.extractive import Origin
    from aidermem.capture.transcript import Session

PROMPT = "summarize.md"
DEFAULT_MAX_CHARS = 60_000  # transcript budget; about 15k tokens of English
TITLE_MAX = 80
SUMMARY_MAX = 4_000
FIELD_MAX = 1_500
ITEMS_MAX = 20
TOPICS_MAX = 8
FILES_MAX = 100
FACT_LINES_MAX = 50  # per list of facts in the prompt, so facts cannot blow the budget
BAD_REPLY_ECHO = 4_000  # how much of an invalid reply we send back when asking again
CORRECTIVE = (
    "That reply could not be used: {reason}. Reply again with ONLY the JSON object described "
    'above: no prose, no code fences; "title" and "summary" must be non-empty strings.'
)


@dataclass(frozen=True)
class SessionFacts:
    """What aidermem knows about a session without asking a model."""

    project_id: str
    project_name: str
    commits: Sequence[tuple[str, str]] = ()  # (sha, subject)
    files_edited: Sequence[str] = ()
    files_added: Sequence[str] = ()
    remember_lines: Sequence[str] = ()
    started: datetime | None = None  # aware
    transcript_path: str | None = None
    session_id: str | None = None
    conversation_id: str | None = None  # transcript.session_key of the captured session
    user_turns: int = 0
    requests: int | None = None  # requests to the model (transcript.Session.requests)

    @classmethod
    def of(cls, session: Session, origin: Origin, *, project_id: str, project_name: str,
           started: datetime | None, commits: Sequence[tuple[str, str]] = (),
           also_edited: Sequence[str] = ()) -> SessionFacts:
        """The facts of a parsed session from `origin`, for live capture and import alike.
        `commits`: what git saw during the session, when it saw any (else the
        transcript's); `also_edited`: files git saw change that the transcript may not
        name."""
        return cls(
            project_id=project_id,
            project_name=project_name,
            commits=list(commits or session.commits),
            files_edited=list(dict.fromkeys([*session.applied_files, *also_edited])),
            files_added=list(session.added_files),
            remember_lines=[f"{kind}: {text}" for kind, text in session.remember],
            started=started,
            transcript_path=origin.transcript_path,
            session_id=origin.session_id,
            conversation_id=origin.conversation_id,
            user_turns=len(session.user_turns),
            requests=len(session.requests),
        )


# -- the reply ------------------------------------------------------------


def _text(value: Any, limit: int, *, one_line: bool = False) -> str:
    """Any JSON value as bounded text: a model may send a number or a list of
    sentences where we asked for a string; that is harmless, so accept it."""
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value
    elif isinstance(value, list):
        text = "; ".join(_text(v, limit) for v in value if v is not None)
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    return plain.clip(plain.one_line(text) if one_line else text, limit)


def _as_list(value: Any) -> list[Any]:
    # One string or object where a list was asked for is a one-item list.
    return value if isinstance(value, list) else [] if value is None or value == "" else [value]


def _texts(value: Any, limit: int, count: int) -> list[str]:
    out: list[str] = []
    for item in _as_list(value):
        text = _text(item, limit, one_line=True)
        if text and text not in out:
            out.append(text)
    return out[:count]


def _items(value: Any, main: str) -> list[dict[str, Any]]:
    """Objects for a list field. A bare string becomes the item's main text; an
    item missing its title or its main text borrows the other; an item with
    neither is dropped rather than failing the whole summary."""
    out: list[dict[str, Any]] = []
    for item in _as_list(value):
        data: dict[str, Any] = dict(item) if isinstance(item, dict) else {main: item}
        title = _text(data.get("title"), TITLE_MAX, one_line=True)
        body = _text(data.get(main), FIELD_MAX)
        if not title and not body:
            continue
        data["title"] = title or _text(body, TITLE_MAX, one_line=True)
        data[main] = body or title
        out.append(data)
    return out[:ITEMS_MAX]


class _Item(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: str
    # Document expansion (expansion.py): what else should find this memory.
    questions: list[str] = []
    symptoms: list[str] = []
    aliases: list[str] = []

    @model_validator(mode="before")
    @classmethod
    def _bounded(cls, data: Any) -> Any:
        # Every text field bounded, every list field a list of short texts.
        if not isinstance(data, dict):
            return data
        out: dict[str, Any] = {}
        for name, info in cls.model_fields.items():
            if name not in data:
                continue
            if info.annotation == list[str]:
                out[name] = _texts(data[name], FIELD_MAX, ITEMS_MAX)
            elif name == "title":
                out[name] = _text(data[name], TITLE_MAX, one_line=True)
            else:
                out[name] = _text(data[name], FIELD_MAX)
        return out


class Decision(_Item):
    decision: str
    rationale: str = ""
    rejected_alternatives: list[str] = []


class Bug(_Item):
    symptom: str
    root_cause: str = ""
    fix: str = ""


class Convention(_Item):
    rule: str


EXPANSION_KEYS = ("questions", "symptoms", "aliases")


def _expansion(item: _Item | SessionSummary) -> Expansion:
    return Expansion(**{key: getattr(item, key) for key in EXPANSION_KEYS})


class SessionSummary(BaseModel):
    """The JSON object the model must return."""

    model_config = ConfigDict(extra="ignore")

    title: str
    summary: str
    decisions: list[Decision] = []
    bugs: list[Bug] = []
    conventions: list[Convention] = []
    open_threads: list[str] = []
    topics: list[str] = []
    files: list[str] = []
    questions: list[str] = []  # for the session memory, as _Item's for the others
    symptoms: list[str] = []
    aliases: list[str] = []

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for key, main in (("decisions", "decision"), ("bugs", "symptom"), ("conventions", "rule")):
            data[key] = _items(data.get(key), main)
        data["open_threads"] = _texts(data.get("open_threads"), FIELD_MAX, ITEMS_MAX)
        data["topics"] = _texts(data.get("topics"), 40, TOPICS_MAX)
        data["files"] = _texts(data.get("files"), 300, FILES_MAX)
        for key in EXPANSION_KEYS:
            data[key] = _texts(data.get(key), FIELD_MAX, ITEMS_MAX)
        return data

    @field_validator("title", "summary", mode="before")
    @classmethod
    def _required_text(cls, value: Any, info: ValidationInfo) -> str:
        if info.field_name == "title":
            text = _text(value, TITLE_MAX, one_line=True)
        else:
            text = _text(value, SUMMARY_MAX)
        if not text:
            raise ValueError("must be a non-empty string")
        return text


_THINK = re.compile(r"<think(?:ing)?>.*?</think(?:ing)?>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\n?(.*?)```", re.DOTALL)


def _json_value(reply: str) -> Any:
    """The JSON in a reply: as sent, else inside a code fence, else between the
    outermost braces (a model may wrap it in prose or reasoning tags)."""
    text = _THINK.sub("", reply).strip()
    candidates = [text]
    fenced = _FENCE.search(text)
    if fenced:
        candidates.append(fenced.group(1).strip())
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    reason = "the reply is empty"
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError as exc:
            reason = f"the reply is not valid JSON ({exc})"
    raise ValueError(reason)


def parse_summary(reply: str) -> SessionSummary:
    """Validate a model reply. Raises ValueError with a one-line reason."""
    data = _json_value(reply)
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    try:
        return SessionSummary.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "reply"
        raise ValueError(f"field {where!r}: {first['msg']}") from None


# -- the request -----------------------------------------------------------


def truncate_middle(text: str, max_chars: int) -> tuple[str, int]:
    """Cut the middle out of `text` so the result fits `max_chars`.

    The start (what was asked) and the end (where it stopped) survive; the end
    gets the larger share. Cuts fall on line breaks when one is near. Returns
    the text and how many characters were omitted.
    """
    if len(text) <= max_chars:
        return text, 0
    marker = "\n\n[… {n} characters omitted from the middle of the transcript …]\n\n"
    room = max_chars - len(marker.format(n=len(text)))
    if room <= 0:  # a budget too small for the marker: keep the start, bounded
        return text[:max_chars], len(text) - max_chars
    head_len, tail_len = room * 2 // 5, room - room * 2 // 5
    head = text[:head_len]
    newline = head.rfind("\n")
    if newline > head_len * 3 // 4:
        head = head[: newline + 1]
    tail = text[len(text) - tail_len :] if tail_len else ""
    newline = tail.find("\n")
    if 0 <= newline < tail_len // 4:
        tail = tail[newline + 1 :]
    omitted = len(text) - len(head) - len(tail)
    return head + marker.format(n=omitted) + tail, omitted


def _bullets(lines: Sequence[str], empty: str = "(none)") -> str:
    if not lines:
        return empty
    shown = [f"- {' '.join(str(line).split())[:500]}" for line in lines[:FACT_LINES_MAX]]
    if len(lines) > FACT_LINES_MAX:
        shown.append(f"- (and {len(lines) - FACT_LINES_MAX} more)")
    return "\n".join(shown)


def build_messages(
    transcript: str, facts: SessionFacts, *, max_chars: int = DEFAULT_MAX_CHARS
) -> list[dict[str, Any]]:
    """The chat messages for one summary request (pure)."""
    body, omitted = truncate_middle(transcript, max_chars)
    note = (
        f"The transcript was too long: {omitted:,} characters were cut from its middle."
        if omitted
        else "The full transcript follows."
    )
    prompt = templates.render(
        PROMPT,
        project_name=facts.project_name or facts.project_id or "(unknown)",
        started=facts.started.isoformat() if facts.started else "(unknown)",
        user_turns=str(facts.user_turns),
        commits=_bullets([f"{sha[:7]} {msg}" for sha, msg in facts.commits]),
        files_edited=_bullets(facts.files_edited),
        files_added=_bullets(facts.files_added),
        remember_lines=_bullets(facts.remember_lines),
        transcript_note=note,
        transcript=body,
    )
    return [{"role": "user", "content": prompt}]


def summarize_session(
    config: LLMConfig,
    *,
    transcript: str,
    facts: SessionFacts,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> SessionSummary:
    """Ask the model for a summary; if the reply is unusable, ask once more.

    Raises SummarizeError when the model fails or replies badly twice.
    """
    messages = build_messages(transcript, facts, max_chars=max_chars)
    reply = complete_json(config, messages)
    try:
        return parse_summary(reply)
    except ValueError as exc:
        first_reason = str(exc)
    messages += [
        {"role": "assistant", "content": reply[:BAD_REPLY_ECHO]},
        {"role": "user", "content": CORRECTIVE.format(reason=first_reason)},
    ]
    reply = complete_json(config, messages)
    try:
        return parse_summary(reply)
    except ValueError as exc:
        raise SummarizeError(f"{config.model} returned an unusable summary twice: {exc}") from exc


# -- memories --------------------------------------------------------------


def _section(heading: str, lines: Sequence[str]) -> str:
    return f"## {heading}\n\n" + "\n".join(lines) if lines else ""


def _label(title: str, text: str) -> str:
    text = plain.one_line(text)
    return f"- **{title}**: {text}" if text and text != title else f"- {title}"


def _session_body(summary: SessionSummary, facts: SessionFacts) -> str:
    parts = [
        _section("Summary", [summary.summary]),
        _section("Decisions", [_label(d.title, d.decision) for d in summary.decisions]),
        _section("Bugs", [_label(b.title, b.fix or b.symptom) for b in summary.bugs]),
        _section("Conventions", [_label(c.title, c.rule) for c in summary.conventions]),
        _section("Open threads / next steps", [f"- {t}" for t in summary.open_threads]),
        # The developer's own words are kept verbatim, whatever the model made of them.
        _section("Noted by the developer", [f"- {line}" for line in facts.remember_lines]),
        _section("Commits", [f"- `{sha[:7]}` {msg}" for sha, msg in facts.commits]),
        _section("Files", [f"- `{path}`" for path in _files(summary, facts)]),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def _files(summary: SessionSummary, facts: SessionFacts) -> list[str]:
    # Facts first: git and aider saw those files; the model's list comes after.
    seen: list[str] = []
    for path in [*facts.files_edited, *facts.files_added, *summary.files]:
        if path and path not in seen and not context_file.is_context_path(path):
            seen.append(path)
    return seen


def _decision_body(d: Decision) -> str:
    parts = [d.decision]
    if d.rationale:
        parts.append(f"**Why:** {d.rationale}")
    if d.rejected_alternatives:
        parts.append("**Rejected:**\n" + "\n".join(f"- {a}" for a in d.rejected_alternatives))
    return "\n\n".join(parts) + "\n"


def _bug_body(b: Bug) -> str:
    parts = [f"**Symptom:** {b.symptom}"]
    if b.root_cause:
        parts.append(f"**Root cause:** {b.root_cause}")
    parts.append(f"**Fix:** {b.fix}" if b.fix else "**Fix:** not fixed in this session")
    return "\n\n".join(parts) + "\n"


def summary_to_memories(
    summary: SessionSummary, facts: SessionFacts, *, tool: Tool = Tool.AIDER
) -> list[Memory]:
    """The session memory first, then one per decision, bug and convention.

    Every derived memory shares the session's project, topics, source and
    commits, and is linked with `related` both ways to the session memory.
    """
    started = facts.started
    if started is not None and started.tzinfo is None:
        started = started.astimezone()  # aider's headers are naive local time
    source = Source(
        tool=tool,
        session_id=facts.session_id,
        conversation_id=facts.conversation_id,
        transcript=facts.transcript_path,
        session_start=started,
        method=Method.LLM,
    )
    session_source = source.model_copy(update={"requests": facts.requests})
    shared: dict[str, Any] = {  # pydantic copies these lists into each memory
        "project": facts.project_id,
        "project_name": facts.project_name,
        "topics": summary.topics,
        "commits": [f"{sha[:7]} {msg}" for sha, msg in facts.commits],
    }
    session = Memory(
        title=summary.title,
        kind=Kind.SESSION,
        body=_session_body(summary, facts),
        files=_files(summary, facts),
        source=session_source,
        expansion=_expansion(summary),
        **shared,
    )
    items: list[tuple[Kind, _Item, str]] = [
        *((Kind.DECISION, d, _decision_body(d)) for d in summary.decisions),
        *((Kind.BUG, b, _bug_body(b)) for b in summary.bugs),
        *((Kind.CONVENTION, c, c.rule + "\n") for c in summary.conventions),
    ]
    derived = [
        Memory(
            title=item.title,
            kind=kind,
            body=body,
            source=source.model_copy(),
            related=[session.id],
            expansion=_expansion(item),
            **shared,
        )
        for kind, item, body in items
    ]
    session.related = [m.id for m in derived]
    return [session, *derived]

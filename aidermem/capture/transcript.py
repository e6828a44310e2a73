"""Parse Aider's `.aider.chat.history.md` into sessions and the facts in them.

Pure: text in, frozen dataclasses out. Never touches disk, git or the network,
and never raises on odd input: files from every Aider version since mid-2023
(CRLF endings, no header, cut off mid-line, ANSI codes in tool output) parse.

How aider writes the file (aider/io.py):
- `# aider chat started at YYYY-MM-DD HH:MM:SS` opens a session (local time).
  `/ask`, `/architect`, `/model` reprint the start-up block without a header.
- user input: one `#### ` line per input line, each ending in two spaces, so
  a pasted block is several adjacent `#### ` lines (one turn). Some committed
  files had trailing whitespace stripped and a blank line inserted between
  pasted lines; there a run separated only by blank lines is one turn.
- tool output: `> ` lines; a multi-line prompt keeps only its first `> `, so
  an unprefixed line right after a `> ` line (no blank between) is tool output.
- the assistant's reply: everything else (it always follows a blank line).
  A reply may contain `#### Heading` lines: they lack the two trailing spaces.
- architect mode logs the plan it hands to the editor model as user input
  right after the reply that holds it; such turns are not the user's, dropped.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

_HEADER = re.compile(
    r"^# aider chat started at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)[^\n]*$", re.MULTILINE
)
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_COMMAND = re.compile(r"^(?:/[A-Za-z][\w-]*(?:\s|$)|!\S)")
_COMMIT = re.compile(r"^Commit ([0-9a-f]{7,40}) (.+)$")
_APPLIED = re.compile(r"^Applied edit to (.+)$")
# Files added to the chat to work on. Read-only ones ("… to the chat (read-only).", aider's
# --read files, aidermem's own context file among them) are references, not worked on.
_ADDED = re.compile(r"^Added (.+?) to the chat\.?$")
_ADDED_OUTPUT = re.compile(r"^\d+ lines? of output$")
_VERSION = re.compile(r"^Aider v(\S+)")
_MODEL = re.compile(r"^(?:Main model|Model): (\S+)")
_MODELS = re.compile(r"^Models: (\S+) .*weak model (\S+)")
_WEAK = re.compile(r"^Weak model: (\S+)")
_FAILED_MATCH = re.compile(r"^# (\d+) SEARCH/REPLACE blocks? failed to match")
_SESSION_COST = re.compile(r"\$(\d+(?:\.\d+)?) session")
_DRIVE = re.compile(r"^[A-Za-z]:/")
_NOTE = re.compile(r"^\s*(remember|decision)\s*:\s*(.+)$", re.IGNORECASE)
_USER_LINE = re.compile(r"^####[^\n]*", re.MULTILINE)
# What a Session keeps of one turn, one reply or one tool line: far more than anything
# derived from them uses (titles, keys, summaries), and a bound on memory for a history
# holding a pasted or generated line of many megabytes (a Session.text keeps it all).
MAX_TURN_CHARS = 50_000
MAX_BLOCK_CHARS = 50_000
_MAX_TOOL_LINE = 10_000
# Requests made through a mode command still ask the model something.
_REQUEST_COMMANDS = ("/ask ", "/code ", "/architect ", "/context ")


@dataclass(frozen=True)
class Session:
    """One aider run (or the headerless start of a file, header=False).

    Offsets are character offsets into the text given to split_sessions; `text`
    is that raw slice. Lists hold what the session shows, in order.
    """

    started: datetime | None  # naive local time from the header
    header: bool
    text: str
    start: int
    end: int
    user_turns: list[str] = field(default_factory=list)  # every input, pasted blocks merged
    commands: list[str] = field(default_factory=list)  # turns that are /commands or !shell
    assistant_blocks: list[str] = field(default_factory=list)
    commits: list[tuple[str, str]] = field(default_factory=list)  # (sha, message)
    applied_files: list[str] = field(default_factory=list)
    added_files: list[str] = field(default_factory=list)
    failed_edits: int = 0
    aider_version: str | None = None  # the first banner's version
    main_model: str | None = None  # the last one announced (after any /model switch)
    weak_model: str | None = None
    cost_lines: list[str] = field(default_factory=list)
    remember: list[tuple[str, str]] = field(default_factory=list)  # ("decision", text)
    ended_interrupted: bool = False

    @property
    def requests(self) -> list[str]:
        """What the user asked the model: plain turns and `/ask|/code|/architect X`."""
        out: list[str] = []
        for turn in self.user_turns:
            if not is_command(turn):
                out.append(turn)
                continue
            for prefix in _REQUEST_COMMANDS:
                if turn.startswith(prefix) and turn[len(prefix) :].strip():
                    out.append(turn[len(prefix) :].strip())
                    break
        return out

    @property
    def session_cost(self) -> float | None:
        """The last `$X session` figure aider reported, if any."""
        for line in reversed(self.cost_lines):
            m = _SESSION_COST.search(line)
            if m:
                return float(m.group(1))
        return None

    @property
    def trivial(self) -> bool:
        """Nothing worth remembering: no request to the model, commit or note."""
        return not self.requests and not self.commits and not self.remember

    def started_at(self, tz: tzinfo | None = None) -> datetime | None:
        """The start as an aware datetime: header time read in `tz` (None: the local zone)."""
        if self.started is None:
            return None
        if tz is None:
            return self.started.astimezone()
        return self.started.replace(tzinfo=tz)


def is_command(turn: str) -> bool:
    """`/add x`, `/run pytest`, `!ls` — but not a pasted `/home/me/file` path."""
    return bool(_COMMAND.match(turn))


def split_sessions(text: str) -> list[Session]:
    """One Session per header, plus a header=False session for a headerless prefix."""
    sessions: list[Session] = []
    headers = list(_HEADER.finditer(text))
    first = headers[0].start() if headers else len(text)
    if text[:first].strip():
        sessions.append(_parse(text, 0, first, None, header=False))
    for i, m in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(text)
        sessions.append(_parse(text, m.start(), end, _parse_time(m.group(1)), header=True))
    return sessions


def parse_slice(text: str) -> list[Session]:
    """Sessions in the part of the history appended during one live run.

    The slice normally starts with a header; if it does not (aider was already
    running, or the file was rewritten), its head is a header=False session.
    """
    return split_sessions(text)


def _parse_time(stamp: str) -> datetime | None:
    try:
        return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def _whitespace_stripped(text: str) -> bool:
    """True when no user line keeps aider's two trailing spaces (an editor stripped them).

    Decided per session: a stripped file may have had fresh sessions appended since.
    """
    saw_user = False
    for m in _USER_LINE.finditer(text):  # no copy of the line: one may be megabytes
        saw_user = True
        end = m.end() - 1 if text.startswith("\r", m.end() - 1) else m.end()
        if text.startswith("  ", end - 2):
            return False
    return saw_user


class _Builder:
    """Accumulates one session's facts while its lines are classified."""

    def __init__(self) -> None:
        self.turns: list[list[str]] = []
        self.turn_chars = 0  # characters kept of the last turn
        self.block_chars = 0  # characters kept of the last assistant block
        self.turn_after: list[int] = []  # assistant blocks seen when each turn began
        self.assistant: list[list[str]] = []
        self.commits: list[tuple[str, str]] = []
        self.applied: list[str] = []
        self.added: list[str] = []
        self.failed = 0
        self.version: str | None = None
        self.main_model: str | None = None
        self.weak_model: str | None = None
        self.costs: list[str] = []
        self.last_tool = ""

    def tool(self, line: str) -> None:
        if "\x1b" in line:
            line = _ANSI.sub("", line)
        line = line.strip()
        self.last_tool = line
        if not line:
            return
        first = line[0]
        if first == "C" and (m := _COMMIT.match(line)):
            self.commits.append((m.group(1), m.group(2).strip()))
        elif first == "A":
            self._a_line(line)
        elif first in "MW":
            self._model_line(line)
        elif first == "T" and line.startswith("Tokens:") and "Cost:" in line:
            self.costs.append(line)
        elif first == "#" and (m := _FAILED_MATCH.match(line)):
            self.failed += int(m.group(1))
        elif line.startswith("The LLM did not conform to the edit format"):
            self.failed += 1

    def user(self, content: str, *, continues: bool, may_continue: bool) -> None:
        """A line of user input: the next line of the last turn when it `continues` one (or
        `may_continue` it: a stripped file, where only a command starts a turn of its own),
        else a new turn. Each turn is kept to MAX_TURN_CHARS."""
        if content == "<blank>":
            content = ""
        if continues or (may_continue and not _starts_new_turn(self.turns, content)):
            if self.turn_chars < MAX_TURN_CHARS:
                content = content[: MAX_TURN_CHARS - self.turn_chars]
                self.turns[-1].append(content)
                self.turn_chars += len(content) + 1
        else:
            self.turns.append([content])
            self.turn_after.append(len(self.assistant))
            self.turn_chars = len(content)

    def _a_line(self, line: str) -> None:
        if m := _APPLIED.match(line):
            _add_unique(self.applied, m.group(1).strip())
        elif (m := _ADDED.match(line)) and not _ADDED_OUTPUT.match(m.group(1)):
            _add_unique(self.added, m.group(1).strip())
        elif self.version is None and (m := _VERSION.match(line)):
            self.version = m.group(1)

    def _model_line(self, line: str) -> None:
        if m := _MODELS.match(line):
            self.main_model, self.weak_model = m.group(1), m.group(2)
        elif m := _MODEL.match(line):
            if m.group(1) != "with":  # "Model:  with diff edit format": no name given
                self.main_model = m.group(1)
        elif m := _WEAK.match(line):
            self.weak_model = m.group(1)


def _add_unique(items: list[str], item: str) -> None:
    if item and item not in items:
        items.append(item)


def _parse(text: str, start: int, end: int, started: datetime | None, *, header: bool) -> Session:
    raw = text[start:end]
    stripped = _whitespace_stripped(raw)
    b = _Builder()
    prev = "blank"  # kind of the previous line: blank|user|tool|assistant
    prev_nonblank = "blank"
    lines = raw.split("\n")
    if header:
        lines = lines[1:]
    for i, line in enumerate(lines):
        line = line.removesuffix("\r")
        if not line.strip() and (line == "" or prev != "tool"):
            if prev == "assistant":
                b.assistant[-1].append("")
            prev = "blank"
            continue
        if line.startswith(">") and (len(line) == 1 or line[1] == " "):
            b.tool(line[2 : 2 + _MAX_TOOL_LINE])
            kind = "tool"
        elif line.startswith("####") and _is_user_line(line, lines, i, stripped):
            b.user(line[5 : 5 + MAX_TURN_CHARS].rstrip(), continues=prev == "user",
                   may_continue=stripped and prev_nonblank == "user")
            kind = "user"
        elif prev == "tool":
            kind = "tool"  # continuation of a multi-line tool prompt
            b.last_tool = ""
        else:
            if prev_nonblank != "assistant":
                b.assistant.append([])
                b.block_chars = 0
            if b.block_chars < MAX_BLOCK_CHARS:
                b.assistant[-1].append(line[: MAX_BLOCK_CHARS - b.block_chars])
                b.block_chars += len(line) + 1
            kind = "assistant"
        prev = prev_nonblank = kind
    interrupted = prev_nonblank == "tool" and b.last_tool.startswith("^C")
    return _finish(b, raw, start, end, started, header=header, interrupted=interrupted)


def _is_user_line(line: str, lines: list[str], i: int, stripped: bool) -> bool:
    if len(line) > 4 and line[4] != " ":
        return False  # "#####...": a deeper markdown heading from the assistant
    if not stripped:
        return line.endswith("  ") or (len(line) < 80 and line.rstrip() == "####")
    # Trailing spaces are gone: a heading is followed by its section's text,
    # user input by a blank line, another input line or aider's output.
    nxt = lines[i + 1].removesuffix("\r") if i + 1 < len(lines) else ""
    return not nxt.strip() or nxt.startswith(("####", ">"))


def _starts_new_turn(turns: list[list[str]], content: str) -> bool:
    """In whitespace-stripped files: commands never merge with neighbouring lines."""
    if not turns:
        return True
    return is_command(content) or is_command("\n".join(turns[-1]).strip())


def _finish(
    b: _Builder,
    raw: str,
    start: int,
    end: int,
    started: datetime | None,
    *,
    header: bool,
    interrupted: bool,
) -> Session:
    turns: list[str] = []
    for lines, seen in zip(b.turns, b.turn_after, strict=True):
        turn = "\n".join(lines).strip()
        if turn and not (seen and _is_handoff(turn, b.assistant[seen - 1])):
            turns.append(turn)
    commands = [t for t in turns if is_command(t)]
    added = list(b.added)
    for cmd in commands:
        if cmd.startswith("/add "):
            for arg in cmd[5:].split():
                if not any(ch in arg for ch in "*?[") and arg.strip("'\""):
                    _add_unique(added, arg.strip("'\""))
    remember: list[tuple[str, str]] = []
    for turn in turns:
        lower = turn.lower()
        if "remember" not in lower and "decision" not in lower:
            continue
        for line in turn.split("\n"):
            if m := _NOTE.match(line):
                remember.append((m.group(1).lower(), m.group(2).strip()))
    blocks = ["\n".join(block).strip() for block in b.assistant]
    added = _prefer_relative(added)
    return Session(
        started=started,
        header=header,
        text=raw,
        start=start,
        end=end,
        user_turns=turns,
        commands=commands,
        assistant_blocks=[blk for blk in blocks if blk],
        commits=b.commits,
        applied_files=_prefer_relative(b.applied),
        added_files=added,
        failed_edits=b.failed,
        aider_version=b.version,
        main_model=b.main_model,
        weak_model=b.weak_model,
        cost_lines=b.costs,
        remember=remember,
        ended_interrupted=interrupted,
    )


def _is_handoff(turn: str, reply: list[str]) -> bool:
    """Architect mode logs the plan it hands the editor as user input: not the user's words."""
    first = next((line.strip() for line in reply if line.strip()), "")
    return len(first) > 20 and turn.split("\n", 1)[0].strip() == first


def _prefer_relative(paths: list[str]) -> list[str]:
    """Drop an absolute path when the same file is also listed relative to the repo."""
    out = []
    for path in paths:
        norm = path.replace("\\", "/")
        absolute = norm.startswith("/") or _DRIVE.match(norm)
        if absolute and any(o != path and norm.endswith("/" + o.replace("\\", "/")) for o in paths):
            continue
        out.append(path)
    return out


_KEY_TURNS = 3  # the first turns: written once, the same however far the session went
_KEY_TURN_CHARS = 2000
_LEGACY_KEY_TEXT_CHARS = 4096


def session_key(history_id: str, session: Session) -> str:
    """A session's id, the same on every reading of the same (redacted) history: `aidermem
    import` files memories under it, and live capture records it as their conversation
    id, so importing a history never stores a session that was captured already.

    Made of what does not change once aider wrote it: the history file (`history_id`,
    see session_ids.history_identity), the header's time and the first user turns. Not
    the text's end, which differs between capture (the file ends there) and a later
    import (the next run's header starts with a blank line). Two sessions of one file
    that started in the same second are told apart by what the user typed first.
    """
    stamp = session.started.isoformat() if session.started else "-"
    turns = [turn[:_KEY_TURN_CHARS] for turn in session.user_turns[:_KEY_TURNS]]
    parts = ("v2", history_id, stamp, *turns)
    digest = hashlib.sha256("\0".join(parts).encode("utf-8", "replace"))
    return "ses-" + digest.hexdigest()[:24]


def legacy_session_key(project_id: str, session: Session) -> str:
    """The id aidermem gave a session before session_key (project + time + the first 4,096
    characters): memories stored then carry it, so import still recognizes them."""
    stamp = session.started.isoformat() if session.started else "-"
    head = session.text[:_LEGACY_KEY_TEXT_CHARS].replace("\r\n", "\n")
    digest = hashlib.sha256("\0".join((project_id, stamp, head)).encode("utf-8", "replace"))
    return "imp-" + digest.hexdigest()[:24]

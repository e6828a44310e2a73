"""Live retrieval during a session: the runner's input/output hooks and their worker.

The launcher makes a `LiveSession` before aider starts (cheap: no index, no store) and
hands `on_input`/`on_output` to runner.start_aider; the runner calls them from its byte
pump with every chunk it relays. Once the launch text is in the context file, the
launcher calls `activate`, and a worker thread (started here, on the main thread, so it
does not inherit the launch retrieval's lowered CPU priority) opens a
live_context.LiveContext.

On an Enter whose line live_input could follow and live_query calls a message, the pump
holds the keystroke until the worker has searched and written the file, for at most
`HOLD_SECONDS` (then it forwards it anyway and the worker finishes on its own): the
request answering the line then carries what it found. The first keystroke of a line
asks the worker to look at the store already, so at Enter only the search is left.
Lines the keystrokes cannot tell (history recall, completion, the editor, `{ … }`
blocks, multiline mode) are read from the history file aider appends each input to
(polled every `POLL_SECONDS`): their memories are there by the next request at the
latest. Answers to aider's questions, commands and empty lines are never queries.

Never: print (aider owns the terminal; `close` returns the receipt line for after it
exits), raise into the runner's pump (a failure turns live retrieval off for the rest of
the session, and the receipt says so), or hold a keystroke longer than HOLD_SECONDS.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from aidermem.launch import live_input
from aidermem.retrieve import live_query
from aidermem.text import one_line

if TYPE_CHECKING:
    from aidermem import config
    from aidermem.launch import runner
    from aidermem.project import Project
    from aidermem.retrieve import live_context

HOLD_SECONDS = 0.05
POLL_SECONDS = 0.05
TYPING_REFRESH_SECONDS = 1.0  # while a line is typed, the store is looked at this often


@dataclass
class _Job:
    message: str | None  # None: only follow the store (a line has begun)
    done: threading.Event = field(default_factory=threading.Event)


def _norm(text: str) -> str:
    """A line as typed or as aider recorded it (an empty one as `<blank>`), spaced alike."""
    return one_line(text) or "<blank>"


class LiveSession:
    def __init__(self, history: Path | None, offset: int, files: Sequence[str] = ()) -> None:
        self.tracker = live_input.LineTracker()
        self.prompt = live_input.PromptWatcher()
        self._history = history
        self._offset = offset
        self._reader = live_input.HistoryReader()
        self._files = list(files)
        self._earlier: list[str] = []
        self._expect: deque[str] = deque()  # known lines whose history entry is still due
        self._unknown = 0  # Enters whose line the keys could not tell
        self._block: str | None = None  # inside `{tag … tag}`: the closing line
        self._typing = False  # a line has begun since the last Enter
        self._jobs: queue.Queue[_Job | Callable[[], None] | None] = queue.Queue()
        self._ctx: live_context.LiveContext | None = None
        self._on = True
        self.failed: str | None = None
        self.holds: list[float] = []  # seconds each held Enter waited
        self.late = 0  # holds that ran out before the file was written
        self._thread = threading.Thread(target=self._work, name="aidermem-live", daemon=True)
        self._thread.start()

    # -- the runner's hooks (pump thread: fast, never raise) ---------------------------------

    def on_output(self, data: bytes) -> None:
        with contextlib.suppress(Exception):
            self.prompt.feed(data)

    def on_input(self, data: bytes) -> None:
        if not self._on:
            return
        try:
            self._input(data)
        except Exception as exc:  # never into the pump: live retrieval stops, aider goes on
            self._fail(f"input tracking failed: {exc}")

    def _input(self, data: bytes) -> None:
        submitted = self.tracker.feed(data)
        if not self._typing and (self.tracker.line or not submitted):
            self._typing = True
            self._jobs.put(_Job(None))  # follow the store while the line is typed
        waits = [job for job in map(self._entered, submitted) if job is not None]
        if submitted:
            self._typing = bool(self.tracker.line)
        if waits and self._ctx is not None:
            started = time.perf_counter()
            if not waits[-1].done.wait(HOLD_SECONDS):
                self.late += 1
            self.holds.append(time.perf_counter() - started)

    def _entered(self, line: live_input.Submitted) -> _Job | None:
        """One Enter: a job to wait for when it sends a message we can search for now."""
        if self.prompt.asking:
            return None  # an answer to aider's question: aider records no input for it
        if self.prompt.multiline or line.text is None:
            self._unknown += 1 if not self.prompt.multiline else 0
            return None  # the history file will tell (multiline: every entry is read)
        text = line.text
        if self._block is not None:  # a `{ … }` block: its whole text comes from history
            if text.strip() == self._block:
                self._block = None
                self._unknown += 1
            return None
        stripped = text.strip()
        if stripped == "{" or (stripped.startswith("{") and stripped[1:].isalnum()):
            self._block = stripped[1:] + "}"
            return None
        self._expect.append(_norm(text))
        self._files = live_query.chat_files_after(text, self._files)
        message = live_query.message_of(text)
        if message is None:
            return None
        job = _Job(message)
        self._jobs.put(job)
        return job

    # -- the launcher's side -----------------------------------------------------------------

    def activate(self, path: Path, project: Project, settings: config.Settings,
                 launch_text: str, shown: Sequence[str]) -> None:
        """Start searching: the launch text is in the file. Called from any thread."""
        if settings.live != "on":
            self._on = False
            self._jobs.put(None)
            return

        def start() -> None:
            from aidermem.retrieve.live_context import LiveContext

            self._ctx = LiveContext(path, project, settings, launch_text, shown)

        self._jobs.put(start)

    def receipt(self) -> list[str]:
        """Stop; the lines to print once aider has exited."""
        line = self.close()
        return [line] if line else []

    def close(self) -> str | None:
        """Stop the worker; the receipt line for after aider exits (None: nothing to say)."""
        self._jobs.put(None)
        self._thread.join(timeout=2.0)
        ctx = self._ctx
        if self.failed:
            return f"aidermem: warning: live retrieval stopped during the session ({self.failed})"
        if ctx is None or not ctx.messages:
            return None
        n = len(ctx.joined)
        ids = ", ".join(i[:8] for i in ctx.joined)
        joined = (f"{n} memor{'y' if n == 1 else 'ies'} joined the context ({ids})" if n
                  else "no memory joined the context")
        prefix = ("its launch part never changed" if not ctx.prefix_changes
                  else f"its earlier text changed {ctx.prefix_changes} times")
        searched = f"{ctx.messages} message{'' if ctx.messages == 1 else 's'} searched"
        return f"aidermem: live retrieval: {searched}, {joined}; {prefix}"

    # -- the worker --------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            try:
                item = self._jobs.get(timeout=POLL_SECONDS)
            except queue.Empty:
                item = self._poll
            if item is None:
                return
            try:
                if isinstance(item, _Job):
                    self._run(item)
                else:
                    item()
            except Exception as exc:
                self._fail(str(exc))
                return
            finally:
                if isinstance(item, _Job):
                    item.done.set()

    def _run(self, job: _Job) -> None:
        ctx = self._ctx
        if ctx is None:
            if job.message is not None:  # typed before the launch text was ready
                self._earlier.append(job.message)
            return
        if job.message is None:
            ctx.refresh(older_than=TYPING_REFRESH_SECONDS)
            return
        ctx.add(job.message, self._earlier, self._files)
        self._earlier.append(job.message)

    def _poll(self) -> None:
        """Read what aider appended to its history; search for inputs keys could not tell."""
        if self._ctx is None:
            return
        if self._typing:
            self._ctx.refresh(older_than=TYPING_REFRESH_SECONDS)
        if self._history is None:
            return
        try:
            with self._history.open("rb") as handle:
                handle.seek(self._offset)
                raw = handle.read()
        except OSError:
            return
        if not raw:
            return
        self._offset += len(raw)
        text = raw.decode("utf-8", errors="replace")
        for entry in [*self._reader.feed(text), *self._reader.flush()]:
            self._recorded(entry)

    def _recorded(self, entry: str) -> None:
        if self._expect and _norm(entry) == self._expect[0]:
            self._expect.popleft()  # searched at its Enter already
            return
        if self._unknown:
            self._unknown -= 1
        elif self._expect:
            self._expect.popleft()  # the keys told it wrong: what aider recorded wins
        elif not self.prompt.multiline:
            return  # not an input we saw typed (an assistant's "####" heading)
        self._files = live_query.chat_files_after(entry, self._files)
        message = live_query.message_of(entry)
        if message is not None and self._ctx is not None:
            self._ctx.add(message, self._earlier, self._files)
            self._earlier.append(message)

    def _fail(self, why: str) -> None:
        self._on = False
        self.failed = self.failed or why



def attach(proc: runner.AiderProcess, history: Path | None, offset: int,
           files: Sequence[str]) -> LiveSession:
    """A live session following `proc`'s pump, waiting for `activate`."""
    live = LiveSession(history, offset, files)
    proc.on_input, proc.on_output = live.on_input, live.on_output
    return live

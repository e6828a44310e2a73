"""What the developer submits to aider, read from the bytes aidermem relays.

Pure: bytes in, submitted lines out; no terminal, no files, no threads. Three readers:

- `LineTracker` follows the keystrokes copied to aider's pty and reconstructs the line
  being edited: printable text (UTF-8, split anywhere), Backspace, Ctrl-U, Ctrl-W,
  Ctrl-C (aider drops the line), bracketed paste (`ESC[200~ … ESC[201~`, whose CR/LF
  become newlines, as prompt_toolkit inserts them), Alt-Enter (a newline). On Enter it
  reports the line. Anything that moves the cursor or replaces the buffer behind our
  back (arrow keys and other escape sequences, Tab completion, Ctrl-R search, Ctrl-X
  Ctrl-E editor, other control keys) makes the line unknown: Enter then reports
  `Submitted(None)`, and the history file says what it was (below).
- `PromptWatcher` follows aider's output just far enough to tell what the next Enter
  answers: aider's main prompt (`> `, `ask> `, `multi> ` …), or a question
  (`(Y)es/(N)o`), and whether Enter inserts a newline (multiline mode, `multi> `).
- `HistoryReader` reads what aider appends to its chat history file: each input at the
  main prompt is written as `#### ` lines (aider's io.user_input, called from get_input
  after prompt_toolkit returns and before the request is built), a multi-line input as
  consecutive `#### ` lines joined by two trailing spaces.

Why both keystrokes and history (checked against aider 0.86's io.get_input and
base_coder.run_one): aider only reads the `--read` files in format_messages, after the
line was accepted, so a change made while aidermem holds the Enter byte is always seen by
the request answering that line — the keystroke path is the reliable "before the request"
one. The history append happens after the line is accepted too, but aider goes straight
on to build the request; a memory found from it is in the file by the next request at the
latest. It is the fallback for lines the keystrokes cannot tell (history recall,
completion, the editor, `{ … }` blocks).

Never: decide what is a message (live_query does), or touch memories.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

ENTER = (0x0D, 0x0A)
_BACKSPACE = (0x7F, 0x08)
_CTRL_C, _CTRL_U, _CTRL_W, _CTRL_L, _CTRL_D, _ESC = 0x03, 0x15, 0x17, 0x0C, 0x04, 0x1B
PASTE_START = b"\x1b[200~"
PASTE_END = b"\x1b[201~"
_MAX_LINE = 100_000  # characters kept of one line (a huge paste still submits; it is cut)


@dataclass(frozen=True)
class Submitted:
    """One Enter that reached aider: the line, or None when the keys cannot tell it."""

    text: str | None


@dataclass
class LineTracker:
    """Keystrokes -> submitted lines. Feed every chunk copied to aider, in order."""

    _chars: list[str] = field(default_factory=list)
    _known: bool = True
    _esc: bytearray | None = None  # an escape sequence still arriving
    _paste: bytearray | None = None  # inside a bracketed paste
    _decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")("replace"))

    @property
    def line(self) -> str | None:
        """The line as edited so far (None: unknown)."""
        return "".join(self._chars) if self._known else None

    def feed(self, data: bytes) -> list[Submitted]:
        out: list[Submitted] = []
        i = 0
        while i < len(data):
            if self._paste is not None:
                i = self._in_paste(data, i)
                continue
            byte = data[i]
            i += 1
            if self._esc is not None:
                self._escape(byte)
            elif byte == _ESC:
                self._flush_text()
                self._esc = bytearray()
            elif byte in ENTER:
                self._flush_text()
                out.append(Submitted(self.line))
                self.reset()
            elif byte < 0x20 or byte == 0x7F:
                self._flush_text()
                self._control(byte)
            else:
                self._text(bytes([byte]))
        self._flush_text()
        return out

    def reset(self) -> None:
        """A new, empty line (after Enter, or when aider dropped the line)."""
        self._chars.clear()
        self._known = True

    def _text(self, raw: bytes) -> None:
        decoded = self._decoder.decode(raw)
        if decoded and len(self._chars) < _MAX_LINE:
            self._chars.extend(decoded)

    def _flush_text(self) -> None:
        rest = self._decoder.decode(b"", final=True)
        if rest:
            self._chars.extend(rest)

    def _control(self, byte: int) -> None:
        if byte in _BACKSPACE:
            if self._chars:
                self._chars.pop()
        elif byte == _CTRL_U:  # unix-line-discard: with the cursor at the end, all of it
            self._chars.clear()
        elif byte == _CTRL_W:  # the word before the cursor, and the spaces after it
            while self._chars and self._chars[-1].isspace():
                self._chars.pop()
            while self._chars and not self._chars[-1].isspace():
                self._chars.pop()
        elif byte == _CTRL_C:  # aider drops the line ("^C again to exit")
            self.reset()
        elif byte in (_CTRL_L, _CTRL_D):  # redraw; delete under the cursor (none at the end)
            pass
        else:  # Tab, Ctrl-R, Ctrl-X (Ctrl-E: the editor), Ctrl-A, Ctrl-P …
            self._known = False

    def _escape(self, byte: int) -> None:
        esc = self._esc
        assert esc is not None
        esc.append(byte)
        if len(esc) == 1:
            if byte in ENTER:  # Alt-Enter: a newline at aider's main prompt
                self._chars.append("\n")
                self._esc = None
            elif byte not in (ord("["), ord("O")):  # Alt-<key>, or Esc then a key
                self._known = False
                self._esc = None
            return
        if esc[0] == ord("O") or 0x40 <= byte <= 0x7E or len(esc) > 16:
            self._esc = None
            if b"\x1b" + bytes(esc) == PASTE_START:
                self._paste = bytearray()
            else:  # arrows, Home/End, Delete, F-keys: the cursor or buffer moved
                self._known = False

    def _in_paste(self, data: bytes, i: int) -> int:
        paste = self._paste
        assert paste is not None
        paste.extend(data[i:])
        end = paste.find(PASTE_END)
        if end < 0:
            keep = len(PASTE_END) - 1  # the end marker may be split across reads
            done, rest = bytes(paste[:-keep]), paste[-keep:]
            self._text(done.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
            self._paste = bytearray(rest)
            return len(data)
        inside, after = bytes(paste[:end]), bytes(paste[end + len(PASTE_END):])
        self._text(inside.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
        self._flush_text()
        self._paste = None
        # What followed the paste in this chunk is fed again as keystrokes.
        return len(data) - len(after)


_ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>]|\r")
_PROMPT_ON = b"\x1b[?2004h"  # prompt_toolkit turns bracketed paste on as it shows a prompt
_MAIN_PROMPT = re.compile(rb"(?:^|\n)(?:[\w-]+ )?(multi)?> ")
_QUESTION = re.compile(rb"\(Y\)es/\(N\)o|\[Yes\]:|\[No\]:")
_KEEP = 8192


@dataclass
class PromptWatcher:
    """aider's output -> what kind of prompt the next Enter answers."""

    _shown: bytearray = field(default_factory=bytearray)  # output since the prompt began

    def feed(self, data: bytes) -> None:
        start = data.rfind(_PROMPT_ON)
        if start >= 0:
            self._shown = bytearray(data[start + len(_PROMPT_ON):])
        else:
            self._shown.extend(data)
            if len(self._shown) > _KEEP:
                del self._shown[:-_KEEP]

    def _visible(self) -> bytes:
        return _ANSI.sub(b"", bytes(self._shown))

    @property
    def asking(self) -> bool:
        """aider asked a question (y/n, a choice): the next line is an answer."""
        return bool(_QUESTION.search(self._visible()))

    @property
    def multiline(self) -> bool:
        """aider's multiline mode: Enter adds a newline, Alt-Enter submits."""
        found = _MAIN_PROMPT.search(self._visible())
        return bool(found and found.group(1))


@dataclass
class HistoryReader:
    """Text aider appended to its chat history -> the inputs it recorded, in order."""

    _partial: str = ""
    _block: list[str] = field(default_factory=list)

    def feed(self, text: str) -> list[str]:
        """Inputs completed by `text`. An input ends at the first line that is not `#### `."""
        out: list[str] = []
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()  # not yet ended by a newline
        for line in lines:
            if line.startswith("#### "):
                self._block.append(line[5:].removesuffix("  "))
            elif self._block:
                out.append("\n".join(self._block))
                self._block = []
        return out

    def flush(self) -> list[str]:
        """The input whose last line was written (nothing else has followed yet)."""
        if self._partial.startswith("#### ") or not self._block:
            return []
        out, self._block = ["\n".join(self._block)], []
        return out

"""live_input: keystroke bytes -> submitted lines; aider's output -> prompt kind; history."""

from __future__ import annotations

from aidermem.launch.live_input import HistoryReader, LineTracker, PromptWatcher, Submitted


def lines(*chunks: bytes) -> list[str | None]:
    tracker = LineTracker()
    return [s.text for chunk in chunks for s in tracker.feed(chunk)]


def test_typed_text_is_submitted_on_enter() -> None:
    assert lines(b"hello world\r") == ["hello world"]
    assert lines(b"one\rtwo\n") == ["one", "two"]


def test_backspace_ctrl_w_ctrl_u_edit_the_line() -> None:
    assert lines(b"helo\x7flo\r") == ["hello"]
    assert lines(b"abc\x08\x08x\r") == ["ax"]
    assert lines(b"drop these words\x17\x17keep\r") == ["drop keep"]
    assert lines(b"all of it\x15new\r") == ["new"]


def test_ctrl_c_drops_the_line_and_the_next_one_is_known_again() -> None:
    assert lines(b"\x1b[Aold\x03fresh\r") == ["fresh"]


def test_utf8_split_across_reads() -> None:
    word = "Schlüssel größe 中文".encode()
    assert lines(word[:7], word[7:12], word[12:] + b"\r") == ["Schlüssel größe 中文"]


def test_bracketed_paste_keeps_newlines_even_split_across_reads() -> None:
    assert lines(b"\x1b[200~first\r\nsecond\rthird\x1b[201~\r") == ["first\nsecond\nthird"]
    assert lines(b"see: \x1b[20", b"0~a\rb\x1b[2", b"01~ ok\r") == ["see: a\nb ok"]


def test_alt_enter_is_a_newline() -> None:
    assert lines(b"line one\x1b\rline two\r") == ["line one\nline two"]


def test_keys_that_move_the_cursor_or_replace_the_line_make_it_unknown() -> None:
    assert lines(b"\x1b[A\r") == [None]  # history recall
    assert lines(b"abc\x1b[Dx\r") == [None]  # left arrow, then an insert mid-line
    assert lines(b"/ad\t\r") == [None]  # completion
    assert lines(b"\x18\x05\r") == [None]  # Ctrl-X Ctrl-E: the editor
    assert lines(b"\x12fix\r") == [None]  # Ctrl-R search
    assert lines(b"\x1bOA\r") == [None]  # SS3 arrow
    assert lines(b"\x1b[A\r", b"next\r") == [None, "next"]  # only that line


def test_feed_returns_submitted_objects() -> None:
    assert LineTracker().feed(b"x\r") == [Submitted("x")]


def test_prompt_watcher_tells_questions_and_multiline_mode() -> None:
    watcher = PromptWatcher()
    assert not watcher.asking and not watcher.multiline
    watcher.feed(b"\x1b[?2004h\x1b[0m\r\n> ")
    assert not watcher.asking and not watcher.multiline
    watcher.feed(b"\x1b[?2004l reply...\x1b[?2004hAdd file to the chat? (Y)es/(N)o [Yes]: ")
    assert watcher.asking
    watcher.feed(b"\x1b[?2004h\nmulti> ")
    assert watcher.multiline and not watcher.asking


def test_history_reader_groups_hash_lines_into_inputs() -> None:
    reader = HistoryReader()
    assert reader.feed("\n# aider chat started at 2026\n\n#### first  \n") == []
    assert reader.flush() == ["first"]
    assert reader.feed("\n> tool output\n\n#### a  \n#### b  \n") == []
    assert reader.flush() == ["a\nb"]
    assert reader.feed("#### partial") == []
    assert reader.flush() == []  # its line has not ended yet
    assert reader.feed(" end  \nreply text\n") == ["partial end"]

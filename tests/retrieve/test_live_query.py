"""live_query: what is a message, and the query a message makes."""

from __future__ import annotations

import pytest

from aidermem.retrieve import live_query


@pytest.mark.parametrize("line", ["", "   ", "/help", "/tokens", "/add a.py", "/ask", "/code",
                                  "y", "N", "yes", "no", "a", "s", "d", "don't", "!ls", "...",
                                  "<blank>", "/run aidermem add note"])
def test_not_messages(line: str) -> None:
    assert live_query.message_of(line) is None


@pytest.mark.parametrize(("line", "message"), [
    ("how does the exporter format its CSV?", "how does the exporter format its CSV?"),
    ("/ask how are rows quoted", "how are rows quoted"),
    ("/code add a header row", "add a header row"),
    ("/architect split the exporter", "split the exporter"),
    ("  yesterday's bug again  ", "yesterday's bug again"),
])
def test_messages(line: str, message: str) -> None:
    assert live_query.message_of(line) == message


def test_chat_files_follow_add_and_drop() -> None:
    files = live_query.chat_files_after("/add export.py util.py", [])
    assert files == ["export.py", "util.py"]
    assert live_query.chat_files_after("/drop util.py", files) == ["export.py"]
    assert live_query.chat_files_after("/drop", files) == []
    assert live_query.chat_files_after("hello", files) == files


def test_small_talk_asks_for_nothing() -> None:
    assert live_query.build("Hi! How are you today?") == ""
    assert live_query.build("hallo, wie geht es dir?") == "geht dir"


def test_message_first_then_fewer_context_words() -> None:
    earlier = ["we talked about payment retries and the ledger"]
    query = live_query.build("how does the exporter format its CSV?", earlier, ["src/export.py"])
    words = query.split()
    assert words[:3] == ["exporter", "format", "csv"]
    assert set(words[3:]) == {"payment", "retries", "ledger", "talked", "export"}
    assert len(words) - 3 <= live_query.CONTEXT_WORDS


def test_context_alone_makes_no_query() -> None:
    assert live_query.build("thanks!", ["payment retries"], ["ledger.py"]) == ""


def test_message_terms_are_the_message_own_words() -> None:
    assert live_query.message_terms("Wie formatiert der Exporter CSV?") == {
        "formatiert", "exporter", "csv"}

"""Whatever a writer accepts reads back: aider's edit blocks, NUL bytes, bytes not UTF-8.

Every writer (add from argv, stdin and $EDITOR, edit, capture's extractive and model
summaries, import) against the real CLI, a real store, a real Tantivy index; every reader
(show, list, search, forget, the launch context) must then take the memory as stored.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_support import (
    Sessions,
    aider_requests,
    is_summary_request,
    memories,
    summarizer,
    summary_json,
    user_config,
)
from e2e_support import sessions as sessions
from fakellm import FakeLLM, Request
from test_cli_support import make_repo, run, run_process, store, write_editor

from aidermem.capture import driver as capture
from aidermem.capture.importer import import_history
from aidermem.capture.journal import Entry, Journal, State
from aidermem.capture.llm import LLMConfig
from aidermem.errors import MemoryFileError
from aidermem.index.memory_index import MemoryIndex
from aidermem.models import Kind, Memory, new_id
from aidermem.project import Project
from aidermem.retrieve.render import Frame, render
from aidermem.retrieve.select import Filter, retrieve
from aidermem.store import memfile
from aidermem.store.store import Store

EDIT_BLOCK = ("Fix the parser\n"
              "<<<<<<< SEARCH\nold()\n=======\nnew()\n>>>>>>> REPLACE\n")
BODY = "<<<<<<< SEARCH\nold()\n=======\nnew()\n>>>>>>> REPLACE"


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = make_repo(tmp_path / "shop")
    monkeypatch.chdir(repo)
    return repo


def the_memory() -> tuple[str, Memory]:
    (relpath, found), = store().iter_memories()
    assert isinstance(found, Memory), found
    return relpath, found


def raw_lines(relpath: str) -> list[str]:
    return (store().root / relpath).read_text(encoding="utf-8").splitlines()


def every_reader_takes(capsys: pytest.CaptureFixture[str], memory_id: str, body: str) -> None:
    """reindex (from the files), show, list, search and forget all accept the memory; show
    gives the body back."""
    reindexed = run(capsys, "reindex", "--json")
    assert (reindexed.code, json.loads(reindexed.out)["skipped"]) == (0, [])
    shown = run(capsys, "show", memory_id, "--json")
    assert (shown.code, shown.err) == (0, "")
    assert json.loads(shown.out)["memory"]["body"] == body
    listed = run(capsys, "list")
    assert (listed.code, listed.err) == (0, "")
    assert listed.out.startswith(memory_id[:8])
    found = run(capsys, "search", "old", "new", "--json")
    assert found.err == ""
    assert [h["id"] for h in json.loads(found.out)["hits"]] == [memory_id]
    forgot = run(capsys, "forget", memory_id)
    assert (forgot.code, forgot.err) == (0, "")


# -- the file format ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        BODY,
        ">>>>>>> REPLACE at the very start",
        "\\<<<<<<< SEARCH already escaped by hand\n\\\\>>>>>>> twice",
        "````python\n<<<<<<< SEARCH\n=======\n>>>>>>> REPLACE\n````",
        "<<<<<<<<<< more than seven\n>>>>>>>\nno label",
        "a \\<<<<<<< mid-line backslash stays",
    ],
)
def test_a_body_with_conflict_marker_lines_round_trips(body: str) -> None:
    memory = Memory(title="Edit block", body=body)
    text = memfile.dump(memory)
    assert memfile.parse(text, "x.md") == memory
    body_lines = text.split("---\n", 2)[2].splitlines()
    assert not [line for line in body_lines if line.startswith(("<<<<<<<", ">>>>>>>"))]


def test_a_marker_line_that_only_starts_the_body_once_it_is_stripped_round_trips() -> None:
    for body in ("\n\t\\>>>>>>> after a tab", "  \\<<<<<<< SEARCH after spaces"):
        parsed = memfile.parse(memfile.dump(Memory(title="t", body=body)), "x.md")
        assert parsed.body == body.strip()


def test_a_real_merge_conflict_is_still_malformed() -> None:
    ours = memfile.dump(Memory(title="Ours", body="mine"))
    conflicted = ours.replace("mine", "<<<<<<< HEAD\nmine\n=======\ntheirs\n>>>>>>> branch")
    with pytest.raises(MemoryFileError, match="merge conflict"):
        memfile.parse(conflicted, "x.md")


def test_nul_and_undecodable_text_never_make_an_unreadable_file() -> None:
    memory = Memory(title="caf\udce9 menu", body="a\x00b \udcff end", topics=["t\udcfe"])
    parsed = memfile.parse_bytes(memfile.dump(memory).encode("utf-8"), "x.md")
    assert (parsed.title, parsed.body, parsed.topics) == ("caf\ufffd menu", "ab \ufffd end",
                                                          ["t\ufffd"])


# -- add, edit ------------------------------------------------------------------------------


def test_add_from_the_argument_keeps_an_aider_edit_block(shop: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    added = run(capsys, "add", "--kind", "bug", EDIT_BLOCK)
    assert (added.code, added.err) == (0, "")
    relpath, memory = the_memory()
    assert (memory.title, memory.body) == ("Fix the parser", BODY)
    assert "\\<<<<<<< SEARCH" in raw_lines(relpath)
    raw = run(capsys, "show", memory.id, "--raw")
    assert "\\>>>>>>> REPLACE" in raw.out.splitlines()
    every_reader_takes(capsys, memory.id, BODY)


def test_add_from_stdin_keeps_the_edit_block_and_drops_nul_bytes(shop: Path) -> None:
    r = run_process("add", "--kind", "bug", cwd=shop, stdin=EDIT_BLOCK + "tail\x00\x00 end\n")
    assert (r.code, r.err) == (0, "aidermem: warning: dropped 2 NUL bytes before storing\n")
    _, memory = the_memory()
    assert memory.body == BODY + "\ntail end"
    shown = run_process("show", memory.id, "--json", cwd=shop)
    assert (shown.code, shown.err) == (0, "")
    assert json.loads(shown.out)["memory"]["body"] == BODY + "\ntail end"


def test_bytes_that_are_not_utf8_on_stdin_or_argv_are_replaced_and_reported(shop: Path) -> None:
    piped = subprocess.run(
        [sys.executable, "-m", "aidermem", "add", "--title", "caf\udce9"], cwd=shop,
        input=b"Menu \xff\xfe prices\n", capture_output=True, timeout=120, check=False,
        env={**os.environ, "LC_ALL": "C.UTF-8", "PYTHONUTF8": "0"},
    )
    err = piped.stderr.decode()
    assert (piped.returncode, err) == (0, "aidermem: warning: replaced 3 bytes that are not "
                                          "UTF-8 with U+FFFD (\ufffd) before storing\n")
    _, memory = the_memory()
    assert (memory.title, memory.body) == ("caf\ufffd", "Menu \ufffd\ufffd prices")
    listed = run_process("list", cwd=shop)
    assert (listed.code, listed.err) == (0, "")
    assert "caf\ufffd" in listed.out


def test_edit_accepts_an_edit_block_pasted_in_the_editor(shop: Path,
                                                         capsys: pytest.CaptureFixture[str],
                                                         tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    run(capsys, "add", "Parser fix\n\nsee below")
    _, before = the_memory()
    monkeypatch.setenv("EDITOR", write_editor(tmp_path / "ed.py", (
        f"p.write_text(p.read_text().replace('see below', {BODY!r} + '\\x00'))\n")))
    edited = run(capsys, "edit", before.id)
    assert (edited.code, edited.err) == (0, "aidermem: warning: dropped 1 NUL byte before "
                                            "storing\n")
    relpath, memory = the_memory()
    assert memory.body == BODY
    assert "\\<<<<<<< SEARCH" in raw_lines(relpath)
    every_reader_takes(capsys, memory.id, BODY)


# -- capture, import, the launch context -------------------------------------------------

DIFF_SESSION = (
    "\n# aider chat started at 2026-03-01 10:00:00\n\n"
    "> Aider v0.86.2\n> Model: openai/fake with diff edit format\n\n"
    "#### fix old() in app.py  \n\n"
    "app.py\n```python\n<<<<<<< SEARCH\nold()\n=======\nnew()\n>>>>>>> REPLACE\n```\n\n"
    "> Applied edit to app.py\n\n"
    "#### decision: call new() instead of old()  \n\n"
    "Noted.\n\n"
    "#### remember: >>>>>>> REPLACE closes every aider edit block  \n\n"
    "Noted.\n"
)


def test_a_captured_diff_session_reads_back_and_reaches_the_next_launch_context(
        tmp_path: Path, fake_llm: FakeLLM) -> None:
    model_body = f"Replaced old() with new():\n\n{BODY}\n"
    fake_llm.responder = summarizer(summary_json("Swapped old for new", model_body))
    history = tmp_path / "history.md"
    history.write_text(DIFF_SESSION, encoding="utf-8")
    journal, shop = Journal(), Store.open(tmp_path / "store")
    index = MemoryIndex.open(shop)
    entry = Entry(
        session_id=new_id(), state=State.RUNNING, started="2026-03-01T10:00:00+00:00",
        cwd=str(tmp_path), repo_root=None, project_id="github.com/acme/shop",
        project_name="shop", store_root=str(shop.root), history_path=str(history),
        history_offset=0, head_before=None, owner_pid=_dead_pid(), main_model="openai/fake",
        api_base=fake_llm.base_url,
    )
    journal.write(entry)
    config = LLMConfig(model="openai/fake", api_base=fake_llm.base_url, api_key="x", timeout=5)
    outcome = capture.finish(entry, journal, store=shop, index=index, config=config,
                             notify=lambda _: None)
    assert outcome.error is None
    loaded = [m for _, m in shop.iter_memories()]
    assert all(isinstance(m, Memory) for m in loaded), loaded
    (session,) = [m for m in loaded if isinstance(m, Memory) and m.kind is Kind.SESSION]
    assert BODY in session.body
    # The extractive note of the same session (kept beside the model's summary).
    assert any(isinstance(m, Memory) and m.body.startswith(">>>>>>> REPLACE closes")
               for m in loaded)

    found = retrieve(index, shop, query="old new", where=Filter("github.com/acme/shop"))
    assert found.last_session == session
    context = render(Frame("shop", "github.com/acme/shop"),
                     last_session=found.last_session, memories=found.notes, budget=1500)
    assert context is not None and "<<<<<<< SEARCH\nold()" in context


def test_import_keeps_edit_blocks_and_survives_nul_bytes(tmp_path: Path) -> None:
    history = tmp_path / ".aider.chat.history.md"
    history.write_bytes(DIFF_SESSION.replace("fix old()", "fix old\x00()").encode()
                        + b"\x00" * 64 + b"\n#### remember: NUL\x00 run above  \n")
    shop = Store.open(tmp_path / "store")
    index = MemoryIndex.open(shop)
    report = import_history(history, shop, index,
                            project=Project(id="github.com/acme/shop", name="shop", root=None))
    assert report.imported == 1
    loaded = [m for _, m in shop.iter_memories()]
    assert loaded and all(isinstance(m, Memory) for m in loaded), loaded
    assert any("fix old() in app.py" in m.body or m.title == "fix old() in app.py"
               for m in loaded if isinstance(m, Memory))


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.e2e
def test_a_real_diff_format_session_is_remembered_and_sent_back_next_launch(
        sessions: Sessions, fake_llm: FakeLLM) -> None:
    repo = sessions.repo
    (repo / "app.py").write_text("def run():\n    old()\n", encoding="utf-8")
    subprocess.run(["git", "add", "app.py"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "app"], cwd=repo, check=True)
    edit = ("app.py\n```python\n<<<<<<< SEARCH\n    old()\n=======\n    new()\n"
            ">>>>>>> REPLACE\n```\n")
    summary = summary_json("Swapped old for new", f"Replaced old() with new():\n\n{edit}")

    edits = [edit]

    def respond(request: Request) -> str | None:
        if is_summary_request(request):
            return summary
        if request.streaming:
            return edits.pop() if edits else "Done."
        return None

    fake_llm.responder = respond
    user_config('summarize = "foreground"\n')
    first = sessions.start("--edit-format", "diff", "app.py")
    first.say("call new() instead of old() in app.py")
    assert first.exit() == 0
    assert (repo / "app.py").read_text(encoding="utf-8") == "def run():\n    new()\n"
    reindexed = sessions.cli("reindex", "--json")
    assert reindexed.returncode == 0 and json.loads(reindexed.stdout)["skipped"] == []
    (session,) = [m for m in memories() if m.kind is Kind.SESSION]
    assert "<<<<<<< SEARCH\n    old()\n=======\n    new()\n>>>>>>> REPLACE" in session.body

    second = sessions.start()
    second.say("what changed last time?")
    sent = aider_requests(fake_llm)[-1].text
    assert "Swapped old for new" in sent
    assert "<<<<<<< SEARCH\n    old()" in sent
    assert second.exit() == 0

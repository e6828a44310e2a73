"""Importing chat histories into a real store (git) and a real Tantivy index."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import tantivy
from corpus import CORPUS

from aidermem.capture import transcript
from aidermem.capture.importer import import_history, read_history
from aidermem.capture.summarize import SessionFacts
from aidermem.capture.transcript import session_key
from aidermem.errors import AidermemError, NotFoundError, UsageError
from aidermem.index.memory_index import MemoryIndex
from aidermem.index.search import SearchRequest, find
from aidermem.models import Kind, Memory, Method, Tool
from aidermem.paths import index_dir_for
from aidermem.project import Project
from aidermem.redaction import redact
from aidermem.store.store import Store

PROJECT = Project(id="github.com/acme/shop", name="shop", root=None)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "store")


@pytest.fixture
def index(store: Store) -> MemoryIndex:
    return MemoryIndex.open(store)


def _session_memories(store: Store) -> list[Memory]:
    found = [m for _, m in store.iter_memories() if isinstance(m, Memory)]
    return [m for m in found if m.kind is Kind.SESSION]


def _expected_sessions(path: Path) -> int:
    """Distinct non-trivial sessions, computed independently of the importer's loop."""
    clean = redact.redact(read_history(path)).text
    keys = {session_key(PROJECT.id, s) for s in transcript.split_sessions(clean) if not s.trivial}
    return len(keys)


def _indexed_documents(index: MemoryIndex) -> str:
    """Every stored field of every document in the Tantivy index, as text."""
    searcher = index.searcher()
    hits = searcher.search(tantivy.Query.all_query(), max(1, searcher.num_docs)).hits
    return "\n".join(str(searcher.doc(address).to_dict()) for _, address in hits)


def _git(store: Store, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=store.root, check=True, capture_output=True, text=True
    ).stdout


def _aider(*lines: str) -> str:
    out: list[str] = []
    for line in lines:
        out.append(line + "  " if line.startswith(("#### ", "> ")) else line)
    return "\n".join(out) + "\n"


TWO_SESSIONS = _aider(
    "",
    "# aider chat started at 2024-05-01 09:00:00",
    "",
    "> Aider v0.50.1",
    "#### Add a health check endpoint to the API",
    "",
    "Added it.",
    "",
    "> Applied edit to api/health.py",
    "> Commit abc1234 feat: add /health",
    "",
    "# aider chat started at 2024-05-02 10:00:00",
    "",
    "#### /exit",
    "",
    "# aider chat started at 2024-05-03 11:00:00",
    "",
    "#### decision: the health check must not touch the database",
    "#### Make the health check cheaper",
    "",
    "Done.",
)


def test_import_corpus_every_file(store: Store, index: MemoryIndex) -> None:
    files = sorted(p for p in CORPUS.glob("*.md") if p.name != "README.md")
    assert len(files) == 40
    expected_total = 0
    for path in files:
        expected = _expected_sessions(path)
        report = import_history(path, store, index, project=PROJECT)
        assert report.imported == expected, path.name
        assert report.imported + report.trivial + report.duplicates == report.sessions
        assert report.memories == len(report.paths) >= report.imported
        expected_total += expected
    sessions = _session_memories(store)
    assert len(sessions) == expected_total > 100
    assert all(m.source.tool is Tool.IMPORT for m in sessions)
    assert all(m.source.method is Method.EXTRACTIVE for m in sessions)
    assert all(m.project == PROJECT.id for m in sessions)


def test_reimport_adds_nothing(store: Store, index: MemoryIndex) -> None:
    path = CORPUS / "87maxi__SupplyChainTracker2.md"
    first = import_history(path, store, index, project=PROJECT)
    assert first.imported == _expected_sessions(path) > 5
    commits = _git(store, "rev-list", "--count", "HEAD")
    files_before = sorted(p for p, _ in store.iter_memories())
    again = import_history(path, store, index, project=PROJECT)
    assert again.imported == 0
    assert again.duplicates == first.imported
    assert _git(store, "rev-list", "--count", "HEAD") == commits
    assert sorted(p for p, _ in store.iter_memories()) == files_before


def test_reimport_after_the_index_is_deleted(store: Store, index: MemoryIndex) -> None:
    path = CORPUS / "AFI-Protocol__afi-core.md"
    first = import_history(path, store, index, project=PROJECT)
    assert first.imported > 0
    shutil.rmtree(index_dir_for(store.root))
    rebuilt = MemoryIndex.open(store)
    again = import_history(path, store, rebuilt, project=PROJECT)
    assert again.imported == 0
    assert again.duplicates == first.imported


def test_sessions_dated_by_header_and_decisions_linked(
    store: Store, index: MemoryIndex, tmp_path: Path
) -> None:
    history = tmp_path / ".aider.chat.history.md"
    history.write_text(TWO_SESSIONS, encoding="utf-8")
    report = import_history(history, store, index, project=PROJECT)
    assert (report.sessions, report.imported, report.trivial) == (3, 2, 1)
    memories = {m.title: m for _, m in store.iter_memories() if isinstance(m, Memory)}
    first = memories["Add a health check endpoint to the API"]
    assert first.created.replace(tzinfo=None).isoformat() == "2024-05-01T09:00:00"
    assert first.created.tzinfo is not None
    assert first.commits == ["abc1234 feat: add /health"]
    decision = memories["the health check must not touch the database"]
    third = memories["Make the health check cheaper"]
    assert decision.kind is Kind.DECISION
    assert decision.related == [third.id] and third.related == [decision.id]
    log = _git(store, "log", "--format=%s")
    assert "import: Add a health check endpoint to the API" in log
    assert "import: Make the health check cheaper" in log


def test_secrets_end_up_nowhere(store: Store, index: MemoryIndex, tmp_path: Path) -> None:
    openai = "sk-proj-" + "Zq8" * 16
    aws = "AKIA" + "QX7ZB2M4N6P8R0T3"
    password = "Pw9" + "x7Lk2mQ4"
    private = "Zanzibar" + "Quokka7781"
    history = tmp_path / ".aider.chat.history.md"
    history.write_text(
        _aider(
            "# aider chat started at 2024-06-01 12:00:00",
            "",
            f"> /usr/bin/aider --openai-api-key {openai}",
            f"#### Fix the deploy script; it exports AWS_ACCESS_KEY_ID={aws}",
            f"#### and connects to postgres://deploy:{password}@db.internal/app",
            f"#### <private>{private}</private> thanks",
            "",
            f"The key {openai} should not be in the script.",
            "",
            "> Commit 1a2b3c4 fix: read credentials from the environment",
        ),
        encoding="utf-8",
    )
    report = import_history(history, store, index, project=PROJECT)
    assert report.imported == 1
    assert report.redactions >= 4
    secrets = [openai, aws, password, private]
    for path in store.root.rglob("*"):
        if ".git" not in path.parts and path.is_file():
            content = path.read_text(encoding="utf-8", errors="replace")
            assert not any(s in content for s in secrets), path
    history_text = _git(store, "log", "-p", "--all")
    assert "1a2b3c4" in history_text  # the commit link survived redaction
    assert not any(s in history_text for s in secrets)
    indexed = _indexed_documents(index)
    assert "Fix the deploy script" in indexed  # the memory itself is indexed
    assert not any(s in indexed for s in secrets)
    assert find(index, SearchRequest(text="deploy script", scope="all"))
    for secret in secrets:
        assert find(index, SearchRequest(text=secret, scope="all")) == [], secret


def test_summarize_callable_is_used(store: Store, index: MemoryIndex, tmp_path: Path) -> None:
    history = tmp_path / ".aider.chat.history.md"
    history.write_text(TWO_SESSIONS, encoding="utf-8")
    seen: list[SessionFacts] = []

    def summarize(text: str, facts: SessionFacts) -> list[Memory] | None:
        seen.append(facts)
        if facts.commits:
            return [Memory(title="LLM: health endpoint", kind=Kind.SESSION, body=text[:100])]
        return None  # the model had nothing: extractive takes over

    report = import_history(history, store, index, project=PROJECT, summarize=summarize)
    assert report.summarized == 1 and report.imported == 2
    assert [f.commits for f in seen] == [[("abc1234", "feat: add /health")], []]
    assert seen[0].project_id == PROJECT.id and seen[0].started is not None
    titles = {m.title: m for _, m in store.iter_memories() if isinstance(m, Memory)}
    llm = titles["LLM: health endpoint"]
    assert llm.source.session_id == seen[0].session_id  # the dedupe key is enforced
    assert llm.created.replace(tzinfo=None).isoformat() == "2024-05-01T09:00:00"
    assert titles["Make the health check cheaper"].source.method is Method.EXTRACTIVE
    again = import_history(history, store, index, project=PROJECT, summarize=summarize)
    assert again.imported == 0 and again.duplicates == 2


def test_summarize_failure_falls_back(store: Store, index: MemoryIndex, tmp_path: Path) -> None:
    history = tmp_path / ".aider.chat.history.md"
    history.write_text(TWO_SESSIONS, encoding="utf-8")

    def broken(text: str, facts: SessionFacts) -> list[Memory] | None:
        raise AidermemError("model unreachable")

    report = import_history(history, store, index, project=PROJECT, summarize=broken)
    assert report.imported == 2
    assert report.summarize_errors == ["model unreachable", "model unreachable"]
    assert all(m.source.method is Method.EXTRACTIVE for m in _session_memories(store))


def test_headerless_file_is_dated_by_file_time(
    store: Store, index: MemoryIndex, tmp_path: Path
) -> None:
    history = tmp_path / "old.md"
    history.write_text(_aider("#### Rename the config loader", "", "Renamed."), encoding="utf-8")
    os.utime(history, (1_600_000_000, 1_600_000_000))
    report = import_history(history, store, index, project=PROJECT)
    assert report.imported == 1
    [memory] = _session_memories(store)
    assert memory.created.timestamp() == 1_600_000_000
    assert memory.source.session_start is None


def test_utf16_and_bad_bytes_are_read(tmp_path: Path) -> None:
    utf16 = tmp_path / "a.md"
    utf16.write_bytes(TWO_SESSIONS.encode("utf-16"))
    assert read_history(utf16) == TWO_SESSIONS
    junk = tmp_path / "b.md"
    junk.write_bytes(b"#### caf\xe9 \xff\n")
    assert read_history(junk) == "#### caf\ufffd \ufffd\n"


def test_missing_file_and_directory_are_clear_errors(
    store: Store, index: MemoryIndex, tmp_path: Path
) -> None:
    with pytest.raises(NotFoundError, match="no chat history at"):
        import_history(tmp_path / "nope.md", store, index, project=PROJECT)
    (tmp_path / ".aider.chat.history.md").write_text("", encoding="utf-8")
    with pytest.raises(UsageError) as info:
        import_history(tmp_path, store, index, project=PROJECT)
    assert "is a directory" in info.value.message
    assert ".aider.chat.history.md" in info.value.hint


def test_empty_and_trivial_files_store_nothing(
    store: Store, index: MemoryIndex, tmp_path: Path
) -> None:
    for name in ("ArcQ__feedback-app.md", "1013-eh__Gestion_parc_informatique.md"):
        report = import_history(CORPUS / name, store, index, project=PROJECT)
        assert report.imported == 0 and report.paths == []
    assert _session_memories(store) == []

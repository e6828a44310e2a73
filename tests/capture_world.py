"""A capture test world: a real journal, store and index in a tmp dir, and the fake LLM.

Shared by the capture, re-import and fault tests.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from e2e_support import summarizer, summary_json
from fakellm import FakeLLM

from aidermem.capture import driver as capture
from aidermem.capture.journal import Entry, Journal, State
from aidermem.capture.llm import LLMConfig
from aidermem.index.memory_index import MemoryIndex
from aidermem.models import Memory, new_id
from aidermem.store.store import Store

# aider writes each input line as "#### line" plus two spaces.
HISTORY = (
    "\n# aider chat started at 2026-03-01 10:00:00\n\n"
    "> /work/venv/bin/aider --model openai/fake\n"
    "> Aider v0.86.2\n"
    "> Model: openai/fake with whole edit format\n\n"
    "#### make the job workers lock each job  \n\n"
    "Sure, each worker now takes a lock.\n\n"
    "> Tokens: 120 sent, 9 received.\n\n"
    "#### decision: use advisory locks keyed by job id  \n\n"
    "Noted.\n\n"
    "#### /exit  \n"
)
SUMMARY = summary_json(
    "Job locking for workers", "Workers lock jobs with advisory locks.",
    decisions=[{"title": "Advisory lock per job", "decision": "pg_advisory_xact_lock(job_id)",
                "rationale": "no lock table"}])


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


class World:
    """One user's journal and store, a chat history, and a model that summarizes."""

    def __init__(self, tmp_path: Path, fake: FakeLLM) -> None:
        self.tmp = tmp_path
        self.fake = fake
        self.journal = Journal()
        self.store = Store.open(tmp_path / "store")
        self.index = MemoryIndex.open(self.store)
        self.config = LLMConfig(model="openai/fake", api_base=fake.base_url, api_key="x",
                                timeout=5)
        self.notes: list[str] = []

    def history(self, text: str = HISTORY, name: str = "history.md") -> Path:
        path = self.tmp / name
        path.write_text(text, encoding="utf-8")
        return path

    def entry(self, history: Path, *, offset: int = 0, pid: int | None = None) -> Entry:
        entry = Entry(
            session_id=new_id(), state=State.RUNNING, started="2026-03-01T10:00:00+00:00",
            cwd=str(self.tmp), repo_root=None, project_id="github.com/acme/shop",
            project_name="shop", store_root=str(self.store.root), history_path=str(history),
            history_offset=offset, head_before=None,
            owner_pid=dead_pid() if pid is None else pid,
            main_model="openai/fake", api_base=self.fake.base_url,
        )
        self.journal.write(entry)
        return entry

    def finish(self, entry: Entry, *, model: bool = True) -> capture.Outcome:
        current = self.journal.load(entry.session_id)
        assert current is not None
        return capture.finish(current, self.journal, store=self.store, index=self.index,
                              config=self.config if model else None, notify=self.notes.append)

    def memories(self) -> list[Memory]:
        found = [m for _, m in self.store.iter_memories()]
        assert all(isinstance(m, Memory) for m in found)
        return found  # type: ignore[return-value]

    def journal_files(self) -> list[str]:
        root = self.journal.root
        return sorted(p.name for p in root.iterdir() if not p.name.endswith(".lock")) \
            if root.exists() else []


@pytest.fixture
def world(tmp_path: Path, fake_llm: FakeLLM) -> World:
    fake_llm.responder = summarizer(SUMMARY)
    return World(tmp_path, fake_llm)


LATER_SESSION = (  # aider ends each user and tool line with two spaces
    "\n# aider chat started at 2026-03-02 09:00:00\n\n"
    "#### Rename cart_total to basket_total everywhere.  \n\n"
    "Renamed it in src/cart.py and its callers.\n\n"
    "> Applied edit to src/cart.py  \n"
    "> Commit 1a2b3c4 refactor: rename cart_total to basket_total  \n"
)

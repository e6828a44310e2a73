"""A real aider session edits code; its captured memory links what it edited (#13).

The real aider on a pty, started by the real `aidermem`, answers the fake model's
SEARCH/REPLACE edit, commits it, and exits; the session memory must then link the
edited file and the function the conversation named, fingerprinted at the session's
end, and keep those links when the model's summary replaces it.
"""

from __future__ import annotations

import subprocess

import pytest
from e2e_support import Sessions, memories, summarizer, summary_json, user_config
from e2e_support import sessions as sessions
from fakellm import FakeLLM

from aidermem.links.check import Repo, State, check
from aidermem.models import Kind, Method

SOURCE = ("def authenticate_user(name, password):\n    return check(name)\n\n\n"
          "def helper_untouched():\n    return 1\n")
EDIT = ("auth.py\n```python\n<<<<<<< SEARCH\n    return check(name)\n=======\n"
        "    return check(name) and verify(password)\n>>>>>>> REPLACE\n```\n")


@pytest.fixture(autouse=True)
def foreground_summaries() -> None:
    user_config('summarize = "foreground"\n')


@pytest.mark.e2e
def test_capture_links_the_symbols_the_session_edited_and_named(
        sessions: Sessions, fake_llm: FakeLLM) -> None:
    repo = sessions.repo
    (repo / "auth.py").write_text(SOURCE)
    subprocess.run(["git", "-C", str(repo), "add", "auth.py"], check=True)
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", "auth"], check=True)
    fake_llm.responder = summarizer(summary_json("Password check", "authenticate_user checks it"))
    fake_llm.enqueue(EDIT)

    run = sessions.start("--edit-format", "diff", "auth.py")
    run.say("make authenticate_user check the password too")
    assert run.exit() == 0
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()
    assert "verify(password)" in (repo / "auth.py").read_text()

    (session,) = [m for m in memories() if m.kind == Kind.SESSION]
    assert session.source.method == Method.LLM  # the summary kept the extractive links
    assert [(link.path, link.symbol, link.commit) for link in session.links] == [
        ("auth.py", "authenticate_user", head), ("auth.py", None, head)]
    assert session.symbols == ["auth.py::authenticate_user"]
    assert [check(link, Repo(repo)).state for link in session.links] == [State.FRESH] * 2

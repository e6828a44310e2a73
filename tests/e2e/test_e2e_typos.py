"""A mistyped command stops before aider starts; a real file name still reaches aider.

The real `aidermem` and aider on pipes, aider configured through its own AIDER_*
environment variables (so that the first word on the line is the one under test)
and pointed at the fake LLM.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from aider_harness import AIDERMEM
from e2e_support import aider_requests, journal_entries
from fakellm import FakeLLM


def _aider_env(env: dict[str, str], fake: FakeLLM) -> dict[str, str]:
    return {
        **env, "AIDER_MODEL": "openai/fake", "AIDER_OPENAI_API_BASE": fake.base_url,
        "AIDER_OPENAI_API_KEY": "x", "AIDER_CHECK_UPDATE": "false",
        "AIDER_SHOW_RELEASE_NOTES": "false", "AIDER_ANALYTICS": "false",
        "AIDER_SHOW_MODEL_WARNINGS": "false", "AIDER_GITIGNORE": "false",
        "AIDER_DETECT_URLS": "false", "AIDER_SUGGEST_SHELL_COMMANDS": "false",
    }


def _aidermem(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([AIDERMEM, *args], cwd=repo, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.e2e
def test_a_typo_of_a_command_starts_nothing_and_creates_no_file(
        git_repo: Path, aider_env: dict[str, str], fake_llm: FakeLLM) -> None:
    before = sorted(p.name for p in git_repo.iterdir())
    done = _aidermem(git_repo, _aider_env(aider_env, fake_llm), "serch", "sqlite")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "aidermem: error: serch is not a command, nor a file or directory here — did you mean "
        "`aidermem search`? To start aider with a new file named serch: "
        "`aidermem -- serch sqlite`\n")
    assert sorted(p.name for p in git_repo.iterdir()) == before
    assert fake_llm.requests == []
    assert journal_entries() == []


@pytest.mark.e2e
def test_a_new_file_name_still_reaches_aider_which_creates_it(
        git_repo: Path, aider_env: dict[str, str], fake_llm: FakeLLM) -> None:
    env = _aider_env(aider_env, fake_llm)
    done = _aidermem(git_repo, env, "setup.py")
    assert done.returncode == 0, done.stderr
    assert (git_repo / "setup.py").is_file()  # aider's own behaviour for a named new file
    (git_repo / "serch").mkdir()  # an existing directory wins over the look of a typo
    done = _aidermem(git_repo, env, "serch", "--message", "hello")
    assert done.returncode == 0, done.stderr
    assert aider_requests(fake_llm)  # aider ran and talked to the model

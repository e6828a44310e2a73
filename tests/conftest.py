"""Test isolation shared by every test.

Each test gets its own HOME (with a git identity), AIDERMEM_HOME and cache,
so nothing reads or writes the real user's files, and git never prompts.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from aider_harness import aider_env as aider_env
from aider_harness import git_repo as git_repo
from fakellm import fake_llm as fake_llm


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test User\n\temail = test@example.com\n"
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AIDERMEM_HOME", str(home / "aidermem"))
    monkeypatch.delenv("AIDERMEM_CACHE_DIR", raising=False)
    monkeypatch.delenv("AIDERMEM_PROFILE", raising=False)
    monkeypatch.delenv("AIDERMEM_DEBUG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in list(os.environ):
        if var.startswith(("AIDER_", "OPENAI_", "ANTHROPIC_", "GIT_AUTHOR", "GIT_COMMITTER")):
            monkeypatch.delenv(var, raising=False)
    return home

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


# -- tiers ---------------------------------------------------------------------------
# `pytest -m "not e2e"` is the fast tier: what runs inside the test process (real git, a
# real index, the fake LLM). Besides the tests that drive the real aider (marked in their
# files), these are end-to-end too: they run whole aidermem processes (the CLI as a child,
# the MCP server over stdio, processes killed mid-write or racing each other) or the whole
# real-world corpus, and take seconds each.
E2E_MODULES = {
    "test_faults.py",  # the CLI killed after each write step, a full disk, racing writers
    "test_mcp_server.py",  # the real MCP SDK client against `aidermem mcp` over stdio
    "test_mcp_install.py",  # `aidermem mcp install` in a child process, with `claude`
    "test_cli_e2e.py",  # `python -m aidermem` on a pty and through pipes
    "test_semantic.py",  # search in child processes with the network unavailable
}
E2E_TESTS = {
    "test_import_corpus_every_file",  # all 40 real histories
    "test_corpus_redaction_keeps_every_commit_and_header",
    "test_two_capture_processes_at_once_store_each_session_once",
    "test_concurrent_imports_store_each_session_once",
    "test_two_processes_indexing_at_once",
    "test_a_huge_single_line_history_imports_in_bounded_memory",
    "test_no_shape_reaches_the_store_git_or_the_index",  # every secret shape through the CLI
    "test_a_link_to_the_venvs_aidermem_finds_the_aider_beside_it",
    "test_the_hint_runs_inside_aider_without_aidermem_on_path",
    "test_a_captured_diff_session_reads_back_and_reaches_the_next_launch_context",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in E2E_MODULES or item.originalname in E2E_TESTS:
            item.add_marker(pytest.mark.e2e)

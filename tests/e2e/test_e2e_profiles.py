"""Launch profiles reach the real aider: its arguments, its read files, its capture setting.

The profile lives in the repository's `.aidermem.toml`; the fake LLM's
recorded requests show which model aider used and what it was given. A bad
profile is refused before aider starts, with one clear line and no traceback.
"""

from __future__ import annotations

import pytest
from aider_harness import aider_flags, expect, wait_exit
from e2e_support import (
    Sessions,
    aider_requests,
    journal_entries,
    memories,
    memory_with,
    read_flags,
    store_log,
    summarizer,
    summary_json,
    summary_requests,
    user_config,
)
from e2e_support import sessions as sessions
from fakellm import FakeLLM

from aidermem.models import Kind

PROFILES = """\
[profiles.backend]
description = "server work"
aider_args = ["--model", "openai/fake-other"]
read = ["docs/BACKEND.md"]

[profiles.quiet]
capture = "off"

[profiles.careful]
capture = "ask"
"""
BACKEND_NOTES = "Handlers never block the event loop (rule BE-5150).\n"


@pytest.fixture(autouse=True)
def project_profiles(git_repo) -> None:
    user_config('summarize = "foreground"\n')
    (git_repo / ".aidermem.toml").write_text(PROFILES)
    (git_repo / "docs").mkdir()
    (git_repo / "docs" / "BACKEND.md").write_text(BACKEND_NOTES)


def _without_model(flags: list[str]) -> list[str]:
    at = flags.index("--model")
    return flags[:at] + flags[at + 2:]


@pytest.mark.e2e
def test_a_profile_sets_aiders_model_and_read_files_and_the_user_still_wins(
        sessions: Sessions, fake_llm: FakeLLM) -> None:
    fake_llm.responder = summarizer(summary_json("Async handlers", "Kept handlers async."))
    backend_md = str(sessions.repo / "docs" / "BACKEND.md")
    run = sessions.start("--mem-profile", "backend", flags=_without_model(aider_flags(fake_llm)))
    assert "--mem-profile" not in run.aider_argv and "backend" not in run.aider_argv
    assert read_flags(run.aider_argv) == [backend_md]
    run.say("remember: handlers stay async")
    (request,) = aider_requests(fake_llm)
    assert request.body["model"] == "fake-other"
    assert "rule BE-5150" in request.text
    assert run.exit() == 0
    # The summary goes to the model aider used (its weak model is itself here).
    assert [r.body["model"] for r in summary_requests(fake_llm)] == ["fake-other"]

    # Selected by the environment, with the user's own --model on the command line.
    run = sessions.start(env={"AIDERMEM_PROFILE": "backend"})
    assert backend_md in read_flags(run.aider_argv)
    run.say("and the queue?")
    request = aider_requests(fake_llm)[-1]
    assert request.body["model"] == "fake"
    assert "rule BE-5150" in request.text
    assert run.exit() == 0


@pytest.mark.e2e
def test_capture_off_stores_nothing_and_ask_stores_only_on_yes(sessions: Sessions,
                                                               fake_llm: FakeLLM) -> None:
    assert sessions.cli("list").returncode == 0  # the store exists before, to compare its log
    log_before = store_log()
    run = sessions.start("--mem-profile", "quiet")
    assert journal_entries() == []  # not even while aider runs
    run.say("remember: this must not be kept")
    assert len(aider_requests(fake_llm)) == 1
    assert run.exit() == 0
    assert memories() == []
    assert journal_entries() == []
    assert store_log() == log_before
    assert summary_requests(fake_llm) == []
    assert "aidermem: saved" not in run.screen()

    fake_llm.responder = summarizer(summary_json("Kept on request", "The user said yes."))
    for answer in ("n", "y"):
        run = sessions.start("--mem-profile", "careful")
        run.say(f"remember: asked and answered {answer}")
        run.child.sendline("/exit")
        expect(run.child, "save this session to memory")
        run.child.sendline(answer)
        assert wait_exit(run.child) == 0
    assert journal_entries() == []
    assert [m.title for m in memories() if m.kind == Kind.SESSION] == ["Kept on request"]
    assert memory_with("asked and answered y") and not memory_with("asked and answered n")


@pytest.mark.e2e
def test_the_save_question_shows_its_default_and_enter_takes_it(sessions: Sessions,
                                                                 fake_llm: FakeLLM) -> None:
    fake_llm.responder = summarizer(summary_json("Kept by default", "The user pressed Enter."))
    run = sessions.start("--mem-profile", "careful")
    run.say("remember: enter means yes here")
    run.child.sendline("/exit")
    expect(run.child, r"aidermem: save this session to memory\? \[Y/n\] ")
    run.child.send("\r")
    assert wait_exit(run.child) == 0
    assert [m.title for m in memories() if m.kind == Kind.SESSION] == ["Kept by default"]
    assert memory_with("enter means yes here")


BAD = {
    "unknown profile on the command line": (
        None, ["--mem-profile", "frontend"], {},
        "aidermem: error: profile 'frontend' is not defined (selected by command line;"),
    "unknown profile in the environment": (
        None, [], {"AIDERMEM_PROFILE": "backnd"},
        "aidermem: error: profile 'backnd' is not defined (selected by env AIDERMEM_PROFILE;"),
    "unknown key": (
        '[profiles.backend]\nmodel = "openai/gpt-4o"\n', ["--mem-profile", "backend"], {},
        "aidermem: error: {toml}: unknown key profiles.backend.model — "),
    "bad value": (
        '[profiles.backend]\ncapture = "sometimes"\n', [], {},
        "aidermem: error: {toml}: invalid value for profiles.backend.capture: \"sometimes\" — "),
    "flag and value in one item": (
        '[profiles.backend]\naider_args = ["--model openai/x"]\n', [], {},
        "aidermem: error: {toml}: invalid value for profiles.backend.aider_args"),
    "not TOML": (
        "[profiles.backend\n", [], {},
        "aidermem: error: {toml}: invalid TOML at line 1"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_profile_is_a_clear_error_and_aider_never_starts(
        sessions: Sessions, fake_llm: FakeLLM, case: str) -> None:
    text, args, env, expected = BAD[case]
    toml = sessions.repo / ".aidermem.toml"
    if text is not None:
        toml.write_text(text)
    done = sessions.cli(*args, *aider_flags(fake_llm), env=env)
    assert done.returncode == 1
    assert done.stderr.startswith(expected.format(toml=toml)), done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stdout == ""
    assert not (sessions.repo / ".aider.chat.history.md").exists()  # aider never started
    assert fake_llm.requests == []
    assert journal_entries() == []

"""`aidermem import` and `aidermem profiles` through the real CLI."""

from __future__ import annotations

import json
import shutil

import pytest
from corpus import CORPUS
from test_cli_support import SHOP_ID, make_repo, run, store


@pytest.fixture
def shop(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "shop")
    monkeypatch.chdir(repo)
    return repo


def test_import_then_reimport_adds_nothing(shop, capsys):
    source = CORPUS / "0xf1e__health-analyzer-poc.md"
    first = run(capsys, "import", str(source), "--json")
    assert first.code == 0, first.err
    report = json.loads(first.out)["files"][0]
    assert report["sessions"] == 2
    assert report["imported"] == 2
    assert report["memories"] >= 2
    memories = [m for _, m in store().iter_memories()]
    assert len(memories) == report["memories"]
    assert {m.project for m in memories} == {SHOP_ID}
    assert {m.source.tool.value for m in memories} == {"import"}
    # dated by the session headers, not by today
    assert min(m.created for m in memories).year == 2025

    again = run(capsys, "import", str(source), "--json")
    assert again.code == 0
    assert json.loads(again.out)["files"][0]["imported"] == 0
    assert json.loads(again.out)["files"][0]["duplicates"] == 2
    assert len(list(store().iter_paths())) == report["memories"]

    found = run(capsys, "search", "metrics check python", "--json")
    assert found.code == 0 and json.loads(found.out)["count"] >= 1


def test_import_a_directory_means_its_history_file(shop, capsys):
    shutil.copy(CORPUS / "AspireOne__laura-backend.md", shop / ".aider.chat.history.md")
    done = run(capsys, "import", str(shop))
    assert done.code == 0, done.err
    assert "1 of 1 sessions imported" in done.out


def test_import_missing_file_is_an_error_and_others_still_import(shop, capsys):
    done = run(capsys, "import", str(shop / "nope.md"), str(CORPUS / "AspireOne__laura-backend.md"))
    assert done.code == 1
    assert "nope.md" in done.err
    assert "1 of 1 sessions imported" in done.out


PROJECT_TOML = """\
budget_tokens = 1200

[profiles.backend]
description = "API work"
aider_args = ["--model", "openai/fake-backend"]
read = ["CONVENTIONS.md"]
budget_tokens = 2500
"""


def test_profiles_list_and_show_with_sources(shop, capsys):
    (shop / ".aidermem.toml").write_text(PROJECT_TOML)
    listed = run(capsys, "profiles")
    assert listed.code == 0, listed.err
    assert "default" in listed.out and "backend" in listed.out and "API work" in listed.out

    shown = run(capsys, "profiles", "show", "backend", "--json")
    assert shown.code == 0, shown.err
    data = json.loads(shown.out)
    assert data["action"] == "show"
    settings = data["data"]["settings"]
    assert settings["budget_tokens"]["value"] == 2500
    source = settings["budget_tokens"]["source"]
    assert source.endswith(".aidermem.toml: profiles.backend.budget_tokens")
    assert settings["capture"]["source"] == "default"
    assert settings["read"]["value"] == [str(shop / "CONVENTIONS.md")]

    text = run(capsys, "profiles", "show", "backend")
    assert "profiles.backend.budget_tokens" in text.out


def test_profiles_show_unknown_profile_is_a_clear_error(shop, capsys):
    (shop / ".aidermem.toml").write_text(PROJECT_TOML)
    done = run(capsys, "profiles", "show", "frontend")
    assert done.code == 1
    assert done.err.startswith("aidermem: error: profile 'frontend' is not defined")
    assert "available profiles: default, backend" in done.err
    assert "Traceback" not in done.err


def test_profiles_bad_key_names_file_and_key(shop, capsys):
    (shop / ".aidermem.toml").write_text("[profiles.backend]\nbudget_token = 3\n")
    done = run(capsys, "profiles", "show", "backend")
    assert done.code == 1
    assert ".aidermem.toml" in done.err and "profiles.backend.budget_token" in done.err
    assert "budget_tokens" in done.err  # the suggestion


CALC_ID = "github.com/acme/calc"


def test_import_files_sessions_under_the_historys_own_repo(shop, tmp_path, capsys):
    calc = make_repo(tmp_path / "calc", "git@github.com:acme/calc.git")
    shutil.copy(CORPUS / "0xf1e__health-analyzer-poc.md", calc / ".aider.chat.history.md")
    done = run(capsys, "import", "../calc/")  # run from the shop repo
    assert done.code == 0, done.err
    assert done.out.startswith(
        "../calc/.aider.chat.history.md: 2 of 2 sessions imported into project calc (")
    assert {m.project for _, m in store().iter_memories()} == {CALC_ID}
    assert {m.project_name for _, m in store().iter_memories()} == {"calc"}

    other = tmp_path / "other.md"  # outside any repo: the current project's
    shutil.copy(CORPUS / "AspireOne__laura-backend.md", other)
    data = json.loads(run(capsys, "import", str(other), "--json").out)["files"][0]
    assert (data["project"], data["project_name"], data["imported"]) == (SHOP_ID, "shop", 1)

    forced = tmp_path / "forced.md"
    shutil.copy(CORPUS / "AFI-Protocol__afi-core.md", forced)
    data = json.loads(run(capsys, "import", str(forced), "--project", "billing-tools",
                          "--json").out)["files"][0]
    assert data["project"] == "billing-tools" and data["imported"] > 0
    projects = {m.project for _, m in store().iter_memories() if m.source.transcript
                and m.source.transcript.endswith("forced.md")}
    assert projects == {"billing-tools"}


def test_import_of_a_file_that_is_not_a_history_says_so(shop, tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list\n- milk\n")
    done = run(capsys, "import", str(notes))
    assert done.code == 2
    assert done.out == ""
    assert done.err == (f"aidermem: error: {notes} is not an aider chat history (no '# aider "
                        "chat started at' header and no '#### ' input lines) — pass the "
                        ".aider.chat.history.md file aider wrote; nothing was imported from "
                        "this one\n")

    both = run(capsys, "import", str(notes), str(tmp_path / "gone.md"))
    assert both.code == 1
    assert f"aidermem: warning: {notes}: {notes} is not an aider chat history" in both.err
    assert "aidermem: error: nothing was imported: none of the 2 files is a readable aider " \
           "chat history" in both.err

    mixed = run(capsys, "import", str(notes), str(CORPUS / "AspireOne__laura-backend.md"))
    assert mixed.code == 1  # the history is imported, and the status says not everything was
    assert "1 of 1 sessions imported" in mixed.out
    assert f"{notes} is not an aider chat history" in mixed.err


def test_import_with_llm_summarizes_with_the_model_given(shop, capsys, fake_llm, monkeypatch):
    from capture_world import HISTORY, SUMMARY
    from e2e_support import summarizer, summary_requests

    fake_llm.responder = summarizer(SUMMARY)
    monkeypatch.setenv("OPENAI_API_BASE", fake_llm.base_url)  # aider's env names reach litellm
    monkeypatch.setenv("OPENAI_API_KEY", "k-import")
    history = shop / ".aider.chat.history.md"
    history.write_text(HISTORY, encoding="utf-8")
    done = run(capsys, "import", str(history), "--llm", "--model", "openai/fake-weak", "--json")
    assert done.code == 0, done.err
    report = json.loads(done.out)["files"][0]
    assert report["imported"] == 1 and report["summarized"] == 1
    [request] = summary_requests(fake_llm)
    assert request.body["model"] == "fake-weak"
    assert request.headers.get("Authorization") == "Bearer k-import"
    titles = {m.title for _, m in store().iter_memories()}
    assert {"Job locking for workers", "Advisory lock per job"} <= titles

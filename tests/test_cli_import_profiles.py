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

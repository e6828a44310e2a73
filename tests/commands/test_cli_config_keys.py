"""An unknown key in a config file: read commands warn and carry on; writes and launches stop.

A key this aidermem does not know is often a typo (`stor` for `store`) or a key
of a newer version. Listing or searching with it ignored loses nothing, so
they warn. Writing could file memories in the wrong store, and a launch would
run with settings the user did not get, so those refuse, naming file and key;
so do `doctor` and `profiles`, whose job is to show what is wrong.
"""

from __future__ import annotations

import pytest
from test_cli_support import make_repo, memory, put, run, store

NOTE = memory("AAAA", "Deploys freeze on Fridays", body="No deploys after noon on Friday.")


@pytest.fixture
def shop(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "shop")
    monkeypatch.chdir(repo)
    put(NOTE)
    return repo


def _warning(toml, key: str, suggestion: str = "") -> str:
    return (f"aidermem: warning: {toml}: unknown key {key} ignored{suggestion} — fix it: "
            "launching aider refuses this file until then\n")


@pytest.mark.parametrize(("argv", "shown"), [
    (["list"], "Deploys freeze on Fridays"), (["search", "deploys"], "Deploys freeze on Fridays"),
    (["show", "01JQAAAA"], "No deploys after noon"), (["digest"], "Deploys freeze on Fridays"),
    (["stats"], "memories: 1 (1 active, 0 archived)"),
])
def test_read_commands_warn_about_an_unknown_key_and_carry_on(shop, capsys, argv, shown):
    toml = shop / ".aidermem.toml"
    toml.write_text('stor = "~/team-memory"\n')
    r = run(capsys, *argv)
    assert r.code == 0
    assert r.err == _warning(toml, "stor", " (did you mean 'store'?)")
    assert shown in r.out


def test_every_unknown_key_is_named_and_the_known_ones_still_apply(shop, capsys, tmp_path):
    toml = shop / ".aidermem.toml"
    elsewhere = tmp_path / "elsewhere"
    toml.write_text(f'store = "{elsewhere}"\ncolour = "blue"\n'
                    '[profiles.review]\nbudget = 4000\nbudget_tokens = 4000\n')
    r = run(capsys, "list")
    assert r.code == 0
    assert r.err == (_warning(toml, "colour")
                     + _warning(toml, "profiles.review.budget", " (did you mean 'budget_tokens'?)"))
    assert r.out.startswith("no memories")  # the store setting applied: an empty new store


def test_writes_doctor_and_profiles_still_refuse_an_unknown_key(shop, capsys):
    toml = shop / ".aidermem.toml"
    toml.write_text('stor = "~/team-memory"\n')
    before = [m.id for _, m in store().iter_memories()]
    r = run(capsys, "add", "Use Postgres")
    assert r.code == 1
    assert r.err.startswith(f"aidermem: error: {toml}: unknown key stor — did you mean 'store'?")
    assert [m.id for _, m in store().iter_memories()] == before
    doctor = run(capsys, "doctor")
    assert doctor.code == 1
    assert f"FAIL  config: {toml}: unknown key stor" in doctor.out
    profiles = run(capsys, "profiles")  # like doctor, it is there to show config problems
    assert profiles.code == 1
    assert profiles.err.startswith(f"aidermem: error: {toml}: unknown key stor")


def test_a_wrong_value_still_stops_read_commands(shop, capsys):
    toml = shop / ".aidermem.toml"
    toml.write_text('capture = "sometimes"\n')
    r = run(capsys, "list")
    assert r.code == 1
    assert r.err.startswith(f"aidermem: error: {toml}: invalid value for capture")

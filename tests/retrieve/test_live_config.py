"""The live retrieval settings: `live` and `live_budget`, per file and per profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from aidermem import config
from aidermem.errors import ConfigError


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    return root


def resolved(repo: Path, text: str, profile: str | None = None) -> config.Settings:
    (repo / ".aidermem.toml").write_text(text, encoding="utf-8")
    return config.resolve(cwd=repo, project_root=repo, profile=profile, env={},
                          cli={}).settings


def test_on_by_default_with_half_the_budget(repo: Path) -> None:
    settings = resolved(repo, "")
    assert (settings.live, settings.live_budget) == ("on", 0.5)


def test_a_profile_turns_it_off_and_sets_the_share(repo: Path) -> None:
    text = 'live_budget = 0.25\n[profiles.quiet]\nlive = "off"\nlive_budget = 1\n'
    assert resolved(repo, text).live_budget == 0.25
    quiet = resolved(repo, text, profile="quiet")
    assert (quiet.live, quiet.live_budget) == ("off", 1.0)


@pytest.mark.parametrize(("text", "hint"), [
    ('live = "maybe"\n', 'invalid value for live: "maybe" — expected "on" or "off"'),
    ("live = true\n", 'invalid value for live: true — expected "on" or "off"'),
    ("live_budget = 1.5\n", "invalid value for live_budget: 1.5 — expected a share of "
                            "budget_tokens, 0 to 1"),
    ('live_budget = "half"\n', 'invalid value for live_budget: "half" — expected a share'),
])
def test_bad_values_are_clear_errors(repo: Path, text: str, hint: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolved(repo, text)
    assert hint in info.value.render()

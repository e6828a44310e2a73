"""The unconfigured fast paths (launcher, read commands) must agree with aidermem.config.

Before aider is spawned the launcher avoids importing config (pydantic) when
nothing configures the launch; these tests keep that shortcut honest.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from aidermem import config, paths
from aidermem.launch import plan as launcher
from aidermem.launch.aider_args import split_launch_argv


def test_what_counts_as_configuration_matches_config() -> None:
    assert paths.PROJECT_FILE == config.PROJECT_FILE
    assert set(paths.CONFIG_ENV) == set(config.ENV_VARS) | {config.PROFILE_ENV}


def test_basics_are_the_defaults_config_resolves_to(tmp_path: Path) -> None:
    resolved = config.resolve(cwd=tmp_path, project_root=tmp_path, profile=None, env={}, cli={})
    basics = launcher.Basics()
    for f in dataclasses.fields(basics):
        assert getattr(basics, f.name) == getattr(resolved.settings, f.name), f.name


def test_unconfigured_only_when_nothing_applies(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    plain = split_launch_argv(["--model", "x"])
    assert launcher.unconfigured(plain, repo, {})
    assert not launcher.unconfigured(split_launch_argv(["--mem-profile", "p"]), repo, {})
    assert not launcher.unconfigured(split_launch_argv(["--mem-budget", "900"]), repo, {})
    assert not launcher.unconfigured(split_launch_argv(["--mem-no-capture"]), repo, {})
    assert launcher.unconfigured(split_launch_argv(["--mem-off"]), repo, {})
    for name in paths.CONFIG_ENV:
        assert not launcher.unconfigured(plain, repo, {name: "x"})
        assert launcher.unconfigured(plain, repo, {name: "  "})  # empty counts as unset
    (repo / ".aidermem.toml").write_text("budget_tokens = 900\n")
    assert not launcher.unconfigured(plain, repo, {})
    (repo / ".aidermem.toml").unlink()
    user = paths.user_config_file()
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text("")
    assert not launcher.unconfigured(plain, repo, {})


def test_build_argv_with_resolved_values_matches_resolving_again(tmp_path: Path) -> None:
    from aidermem.launch import aider_config
    from aidermem.project import identify

    repo = tmp_path / "repo"
    repo.mkdir()
    import subprocess

    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".aider.conf.yml").write_text("read: [CONVENTIONS.md, docs/API.md]\n")
    ctx = tmp_path / "ctx.md"
    for argv in (["--model", "x"], ["--read", "mine.md"], []):
        # The plan resolves aider's values once (with the root it already knows); the argv
        # built from them is the one resolving from scratch would give.
        plan = launcher.plan_launch(argv, repo, {})
        assert plan.project.root == identify(repo).root
        args = split_launch_argv(argv)
        again = aider_config.configured_reads(args, aider_config.resolve_values(args, repo, {}))
        plain = launcher.build_argv(plan, "aider", context_path=ctx)
        reused = ["aider", *(f"--read={r}" for r in [*again, str(ctx)]), *argv]
        assert reused == plain
    assert [a for a in plain if a.startswith("--read=")] == [  # configured reads, then ours
        f"--read={repo.resolve() / 'CONVENTIONS.md'}", f"--read={repo.resolve() / 'docs/API.md'}",
        f"--read={ctx}"]


def test_guess_store_names_the_store_config_resolves(tmp_path: Path) -> None:
    """The early probe of read commands starts at paths.guess_store; it must be the store
    config.resolve names, or the probe is thrown away (and the command slower)."""
    import itertools

    from aidermem.errors import ConfigError

    repo = tmp_path / "repo"
    repo.mkdir()
    user = paths.user_config_file()
    user.parent.mkdir(parents=True, exist_ok=True)
    user_texts = [None, 'store = "u-top"\n', '[profiles.default]\nstore = "~/u-default"\n',
                  'store = "u-top"\n[profiles.team]\nstore = "/abs/u-team"\n']
    project_texts = [None, 'store = "../p-top"\n',
                     'capture = "off"\n[profiles.team]\nstore = "p-team"\n',
                     '[profiles.default]\nstore = "p-default"\n']
    envs = [{}, {"AIDERMEM_STORE": "rel/env-store"}, {"AIDERMEM_STORE": "  "},
            {"AIDERMEM_PROFILE": "team"}]
    checked = 0
    for user_text, project_text, env in itertools.product(user_texts, project_texts, envs):
        for path, text in ((user, user_text), (repo / ".aidermem.toml", project_text)):
            path.unlink(missing_ok=True)
            if text is not None:
                path.write_text(text)
        try:
            want = config.resolve(cwd=repo, project_root=repo, profile=None, env=env,
                                  cli={}).settings.store
        except ConfigError:
            continue  # e.g. profile "team" defined nowhere: the command fails anyway
        assert paths.guess_store(repo, env, repo) == want.expanduser().resolve(), (
            user_text, project_text, env)
        checked += 1
    assert checked > 40

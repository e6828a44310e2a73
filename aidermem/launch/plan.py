"""A launch's plan: `aidermem [args…]` read once, before aider starts.

`plan_launch` splits the argv once into our --mem-* flags and aider's own, finds the project,
settles the settings aider's start depends on, and parses once what aider will see (the
profile's aider arguments, then the user's, which win). Everything downstream of the launch
(the argv aider is given, the context file, the journal, capture at exit, `aidermem context`)
reads this one immutable plan; nothing parses the argv again.

Two things are worked out from the plan on first use and then kept on it, because the common
launch must not wait for them: the full settings (pydantic's import and the config files are
read after the spawn when nothing configures the launch: `Basics` are the defaults those
settings resolve to, a test pins it) and aider's resolved values (its config files, .env,
history file), whose own passes mirror aider's (aider_config.py).

Pure apart from reading config files and asking git for the project; never starts a process
other than git, and never imports pydantic before aider is spawned.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from aidermem import paths
from aidermem.launch import aider_config
from aidermem.launch.aider_args import LaunchArgs, split_launch_argv
from aidermem.project import Project, identify

if TYPE_CHECKING:
    from aidermem import config


@dataclass(frozen=True)
class Basics:
    """The settings needed before aider is spawned (a subset of config.Settings)."""

    enabled: bool = True
    aider_args: list[str] = field(default_factory=list)
    read: list[Path] = field(default_factory=list)
    scope: object = "project"
    capture: str = "on"
    store: Path = field(default_factory=paths.default_store_dir)
    summary_model: str | None = None

    @classmethod
    def of(cls, settings: config.Settings) -> Basics:
        return cls(**{f.name: getattr(settings, f.name) for f in dataclasses.fields(cls)})


def unconfigured(args: LaunchArgs, project_root: Path | None, env: Mapping[str, str]) -> bool:
    """True when no config file, variable or --mem-* setting applies to this launch."""
    if args.mem_profile or args.mem_budget is not None or args.mem_no_capture:
        return False
    return paths.unconfigured(project_root, env)


def resolve_settings(args: LaunchArgs, cwd: Path, project: Project, env: Mapping[str, str]
                     ) -> config.Settings:
    from aidermem import config

    return config.resolve(
        cwd=cwd, project_root=project.root, profile=args.mem_profile, env=env,
        cli=config.cli_overrides(
            mem_off=args.mem_off, mem_no_capture=args.mem_no_capture, mem_budget=args.mem_budget
        ),
    ).settings


@dataclass(frozen=True)
class LaunchPlan:
    """What one launch was asked to do, parsed once (see the module docstring)."""

    ours: LaunchArgs  # our --mem-* flags, and the user's own aider argv
    aider: LaunchArgs  # what aider will see: the profile's arguments, then the user's
    cwd: Path
    env: Mapping[str, str]
    project: Project
    basics: Basics  # enough to spawn aider
    resolved: config.Settings | None = None  # the full settings, when known before the spawn

    @cached_property
    def settings(self) -> config.Settings:
        """The full settings (resolved on first use when the launch is unconfigured)."""
        return self.resolved or resolve_settings(self.ours, self.cwd, self.project, self.env)

    @cached_property
    def values(self) -> aider_config.AiderValues:
        """What aider will use: its config files, .env, history file (ConfigError when
        aider's own config is broken)."""
        return aider_config.resolve_values(self.aider, self.cwd, self.env,
                                           cwd_root=self.project.root)


def plan_launch(argv: list[str], cwd: Path, env: Mapping[str, str]) -> LaunchPlan:
    """Read `aidermem [argv…]` started in `cwd` with `env` (UsageError for a bad --mem-*)."""
    ours = split_launch_argv(argv)
    project = identify(cwd)
    # Unconfigured (the common case): aider starts on defaults and config is read after
    # the spawn, so pydantic's import does not delay aider.
    resolved = None if unconfigured(ours, project.root, env) else resolve_settings(
        ours, cwd, project, env)
    basics = Basics.of(resolved) if resolved is not None else Basics(enabled=not ours.mem_off)
    profile = list(basics.aider_args)
    aider = split_launch_argv([*profile, *ours.aider_argv]) if profile else ours
    return LaunchPlan(ours, aider, cwd, env, project, basics, resolved)


def build_argv(plan: LaunchPlan, exe: str, *, context_path: Path | None) -> list[str]:
    """Profile args first, then our --read files, then the user's own args (which win).

    A command-line --read replaces aider's configured `read:` list, so when we add one and
    the user gave none, the configured reads are passed again.
    """
    ours = [str(p) for p in plan.basics.read]
    if context_path is not None:
        ours.append(str(context_path))
    reads: list[str] = []
    if ours:
        configured = aider_config.configured_reads(plan.aider, plan.values)
        reads = [r for r in configured if r not in ours] + ours
    # `--read=PATH`: a path that starts with "-" must not read as an option.
    return [exe, *plan.basics.aider_args, *(f"--read={path}" for path in reads),
            *plan.ours.aider_argv]

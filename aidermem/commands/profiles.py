"""`aidermem profiles [show NAME]`: the launch profiles and where each value comes from.

Profiles live in `.aidermem.toml` at the repository root and in the user's
config file. `show` prints every effective setting of one profile with the
file and key (or environment variable) it came from.
"""

from __future__ import annotations

import argparse
import os

from aidermem import config, profiles
from aidermem.commands.app import App
from aidermem.commands.output import Result, Style
from aidermem.commands.payloads import ProfileListOut, ProfileShowOut, ProfilesPayload

HELP = "list launch profiles; `profiles show NAME` prints one with the source of each value"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=["list", "show"], default="list",
                        help="list (default) or show")
    parser.add_argument("name", nargs="?", default=None,
                        help="profile to show (default: the active one)")


def run(args: argparse.Namespace, app: App) -> Result:
    root = app.project.root
    if args.action == "show":
        resolved = config.resolve(cwd=app.cwd, project_root=root, profile=args.name,
                                  env=os.environ, cli={})
        return Result(ProfilesPayload(action="show", data=ProfileShowOut.of(resolved),
                                      text=profiles.render_show(resolved)))
    active = os.environ.get(config.PROFILE_ENV, "").strip() or config.DEFAULT_PROFILE
    infos = config.list_profiles(project_root=root)
    return Result(ProfilesPayload(action="list", data=ProfileListOut.of(infos, active=active),
                                  text=profiles.render_list(infos, active=active)))


def render(payload: ProfilesPayload, style: Style) -> str:
    del style
    return payload.text

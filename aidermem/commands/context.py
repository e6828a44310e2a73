"""`aidermem context [AIDER ARGS…]`: the context file a launch would hand aider, now.

The arguments are a launch's (aidermem's --mem-* flags and aider's own), and the
text comes from the launcher's own steps (launcher.preview_context), so what is
shown is what `aidermem [AIDER ARGS…]` would send: same settings, profile,
query and budget. Nothing is started and no file is created; sessions still in
the journal are stored by a launch before it retrieves, so they show up after it.
"""

from __future__ import annotations

import argparse
import os

from aidermem.commands.app import App
from aidermem.commands.output import Result, Style
from aidermem.commands.payloads import ContextPayload
from aidermem.retrieve import tokens

HELP = "print the memory context aider would get now for these aider arguments"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("aider_args", nargs=argparse.REMAINDER, metavar="AIDER ARGS",
                        help="arguments as for a launch: --mem-* flags and aider's own")


def run(args: argparse.Namespace, app: App) -> Result:
    from aidermem import session as launcher

    argv = list(args.aider_args)
    if argv[:1] == ["--"]:  # put there by the CLI to keep aider's options from argparse
        argv = argv[1:]
    preview = launcher.preview_context(argv, app.cwd, os.environ)
    for warning in preview.warnings:
        app.warn(warning.removeprefix("aidermem: warning: "))
    return Result(ContextPayload(
        project=preview.project.id, project_name=preview.project.name,
        store=str(preview.settings.store), context_file=not preview.no_file,
        reason=preview.no_file or None, query=preview.query,
        budget=preview.settings.budget_tokens, tokens=tokens.count(preview.text),
        tokens_exact=tokens.is_exact(), memory_ids=list(preview.memory_ids), text=preview.text,
    ))


def render(payload: ContextPayload, style: Style) -> str:
    name = payload.project_name or payload.project or "this directory"
    if not payload.context_file:
        return f"aider would start with no memory context for {name}: {payload.reason}\n"
    how = "cl100k_base" if payload.tokens_exact else "estimated"
    count = len(payload.memory_ids)
    head = [
        style.bold(f"memory context for {name}: {payload.tokens} of {payload.budget} tokens "
                   f"({how}), {count} {'memory' if count == 1 else 'memories'}"),
        f"query: {payload.query or '(none: the newest memories)'}",
        "─" * 40,
    ]
    return "\n".join(head) + "\n" + payload.text

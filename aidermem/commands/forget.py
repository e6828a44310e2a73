"""`aidermem forget ID`: archive a memory (default) or delete its file.

Either way it is one store commit, so git history can bring it back; the
result says exactly which command does that. The store is changed first and
the index second.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Literal

from aidermem.commands.app import App
from aidermem.commands.output import MemorySummary, Result, Style
from aidermem.commands.payloads import ForgetPayload
from aidermem.models import Status

HELP = "archive a memory (or --delete its file); git history keeps it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", metavar="ID", help="memory id or unique prefix")
    parser.add_argument("--delete", action="store_true",
                        help="delete the file instead of archiving it")


def run(args: argparse.Namespace, app: App) -> Result:
    store = app.store
    relpath, before = store.find(args.id)
    head_before = store.head()
    memory = store.forget(before.id, delete=args.delete)
    head = store.head()
    commit = head if head != head_before else None
    action: Literal["archived", "deleted", "unchanged"] = "deleted"
    if not args.delete:
        action = "archived" if before.status != Status.ARCHIVED else "unchanged"
    git = f"git -C {shlex.quote(str(store.root))}"
    recover = f"{git} revert --no-edit {commit}" if commit else f"{git} log -- {relpath}"
    app.index_after_write({relpath: None if args.delete else memory})
    return Result(ForgetPayload(
        store=str(store.root), path=relpath, action=action, commit=commit, recover=recover,
        memory=MemorySummary.of(memory, relpath, memory.id),
    ))


def render(payload: ForgetPayload, style: Style) -> str:
    m = payload.memory
    name = f"{m.id} {style.bold(m.title)}"
    if payload.action == "unchanged":
        return f"{name} was already archived\nits history: {payload.recover}"
    if payload.action == "archived":
        what = (f"archived {name}\nit no longer shows in search, list or aider's context "
                "(see it with `aidermem list --archived`)")
    else:
        what = f"deleted {name}\nthe file {payload.path} is gone from the store"
    return f"{what}\nto undo: {payload.recover}"

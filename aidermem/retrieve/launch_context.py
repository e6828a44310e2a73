"""What a launch hands aider in its context file: the query, the retrieval, the text.

One function, `build`, shared by the launcher (which writes its text into the
context file while aider starts) and by `aidermem context` (which prints it),
so the preview can never drift from what a launch sends. It reads the store
and syncs the index; it never writes anything else, never starts aider and
never creates the context file itself.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aidermem import gitutil
from aidermem.launch import context_file
from aidermem.launch.aider_args import LaunchArgs
from aidermem.project import Project

if TYPE_CHECKING:  # imported where used: the launcher runs this while aider starts
    from aidermem import config


@dataclass(frozen=True)
class Built:
    query: str  # the words retrieval searched for
    text: str | None  # the context file's text; None: nothing worth sending
    memory_ids: tuple[str, ...]  # the memories the text shows, in order


def build(
    project: Project, args: LaunchArgs, settings: config.Settings, warn: Callable[[str], None],
) -> Built:
    """The context text for a launch with `args` (the profile's and the user's aider args)."""
    from aidermem.index.memory_index import MemoryIndex
    from aidermem.retrieve import render as context
    from aidermem.retrieve import select as retrieve
    from aidermem.store.store import Store

    store = Store.open(settings.store, create=False)
    query = launch_query(project, args, settings)
    index = MemoryIndex.open(store)
    report = index.refresh()  # never waits for a reindex, never fails on a full disk
    for skipped in getattr(report, "skipped", []):
        warn(f"aidermem: warning: skipped {skipped.path}: {skipped.reason}")
    from aidermem.links.use import Checker  # light: links load only for a linked memory

    checker = Checker(project.ids, project.root, store.root)
    found = retrieve.retrieve(
        index, store, query=query, scope=settings.scope, links=checker,
        where=retrieve.Filter(project.id, aliases=project.aliases,
                              topics_require=settings.topics_require,
                              topics_prefer=settings.topics_prefer),
    )
    text = context.render(
        context.Frame(project.name, project.id, command=command_hint()),
        last_session=found.last_session, memories=found.notes, budget=settings.budget_tokens,
        warnings=found.warnings,
    )
    checker.save()
    shown = [m for m in [found.last_session, *found.notes] if m is not None]
    if text is None and shown:  # found, but not even the compact frame fits: say so
        return Built(query=query, text=context_file.TOO_SMALL.format(
            budget=settings.budget_tokens), memory_ids=())
    ids = tuple(m.id for m in shown if text is not None and m.id in text)
    return Built(query=query, text=text, memory_ids=ids)


def launch_query(project: Project, args: LaunchArgs, settings: config.Settings) -> str:
    from aidermem.retrieve import select as retrieve

    root = project.root
    return retrieve.launch_query(
        files=args.aider.files,
        branch=gitutil.current_branch(root) if root else None,
        commit_subjects=gitutil.recent_commit_subjects(root, 5) if root else [],
        changed_files=gitutil.changed_files(root)[:20] if root else [],
        message=args.aider.message,
        extra_words=settings.query_words,
    )


def command_hint(argv0: str | None = None, python: str | None = None) -> str:
    """How a shell inside aider runs this aidermem: its absolute path, quoted if needed.

    aider's `/run` may not find aidermem on PATH (a venv that was never activated), and
    another `aidermem` on PATH could be another install with another store. Run as
    `python -m aidermem`, it is that interpreter with `-m aidermem`.
    """
    argv0 = sys.argv[0] if argv0 is None else argv0
    path = Path(argv0) if argv0 else None
    if path is not None and path.name == "__main__.py":
        interpreter = Path(sys.executable if python is None else python).absolute()
        return f"{shlex.quote(str(interpreter))} -m aidermem"
    if path is None or not path.is_file():  # embedded, `python -c`: whatever PATH finds
        found = shutil.which("aidermem")
        return shlex.quote(found) if found else "aidermem"
    return shlex.quote(str(path.absolute()))

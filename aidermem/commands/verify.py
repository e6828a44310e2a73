"""`aidermem verify ID`: the memory was checked against today's code; take its links again.

Every link is taken again at the checkout's HEAD (moved and renamed ones where the code
is now); links to code that is gone are dropped and listed. One store commit, then the
index; `git revert` of that commit undoes it.
"""

from __future__ import annotations

import argparse

from aidermem.commands.app import App
from aidermem.commands.output import Result, Style
from aidermem.commands.payloads import VerifyPayload
from aidermem.errors import UsageError
from aidermem.links.use import Checker

HELP = "mark a memory as checked against the current code: take its links again at HEAD"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", metavar="ID", help="memory id or unique prefix")


def run(args: argparse.Namespace, app: App) -> Result:
    from aidermem.errors import AidermemError
    from aidermem.links.check import State, take

    relpath, memory = app.store.find(args.id)
    if not memory.links:
        raise UsageError(f"memory {memory.id} is not linked to any code",
                         "link it with `aidermem add --symbols` or by editing its `links:`")
    project = app.project
    checker = Checker(project.ids, project.root, app.store_root)
    repo = checker.repo() if memory.project in project.ids and memory.project else None
    if repo is None or repo.head is None:
        raise UsageError(f"memory {memory.id}'s links are not into this checkout at a commit",
                         "run aidermem verify in a checkout of its project, with commits")
    links, dropped = [], []
    for state in checker.states(memory.project, memory.links):
        if state.state == State.GONE:
            dropped.append(f"{state.link.label()} ({state.reason})")
            continue
        where = state.now or state.link
        try:
            links.append(take(repo, where.path, where.symbol))
        except AidermemError as exc:  # a hand-written link to nothing that can be linked
            dropped.append(f"{state.link.label()} ({exc.message})")
    checker.save()
    labels = [link.label() for link in links if link.symbol]
    files = list(dict.fromkeys([*memory.files, *(link.path for link in links)]))
    updated = memory.model_copy(update={"links": links, "symbols": labels, "files": files})
    before = app.store.head()
    commit = None
    if updated.links != memory.links or updated.symbols != memory.symbols:
        relpath = app.store.update(updated, f"verify {memory.kind}: {memory.title}")
        commit = app.store.head() if app.store.head() != before else None
        app.index_after_write({relpath: updated})
    return Result(VerifyPayload(store=str(app.store.root), path=relpath, head=repo.head,
                                commit=commit, dropped=dropped, memory=updated))


def render(payload: VerifyPayload, style: Style) -> str:
    m = payload.memory
    count = len(m.links)
    lines = [f"verified {m.id} {style.bold(m.title)}: {count} link{'s' * (count != 1)} "
             f"fresh at {payload.head[:7]}"]
    lines += [f"dropped {d}" for d in payload.dropped]
    return "\n".join(lines)

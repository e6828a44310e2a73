"""`aidermem projects`: which projects hold memories; merge one into another; rename one.

    aidermem projects                  every project: id, name, counts, which is current
    aidermem projects merge OLD NEW    file OLD's memories under NEW (id and name)
    aidermem projects rename ID NAME   give a project's memories a new readable name

A project is named by its id or, when unique, its readable name. Merge and
rename are one store commit each (`git revert` undoes them, printed as
`recover`) and the index follows at once. They never touch a memory's text.
"""

from __future__ import annotations

import argparse
import shlex
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from aidermem.commands.app import App
from aidermem.commands.output import Result, Style
from aidermem.commands.payloads import ProjectChangePayload, ProjectOut, ProjectsPayload
from aidermem.errors import AidermemError, MemoryFileError, NotFoundError, UsageError
from aidermem.index.search import SearchRequest, find
from aidermem.models import Memory, Status
from aidermem.project import name_checkout

HELP = "list projects with memories; `merge OLD NEW` or `rename ID NAME` one of them"
_ARGS = {"list": 0, "merge": 2, "rename": 2}
_HINT = "`aidermem projects` lists the projects with memories"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=list(_ARGS), default="list",
                        help="list (default), merge OLD NEW, or rename ID NAME")
    parser.add_argument("names", nargs="*", metavar="PROJECT",
                        help="merge: the project to move and the one to file it under; "
                             "rename: the project and its new name")


@dataclass
class _Stored:
    """One project id as the index holds it."""

    id: str
    names: Counter[str]
    active: int = 0
    archived: int = 0

    @property
    def name(self) -> str:
        return self.names.most_common(1)[0][0] if self.names else ""


def run(args: argparse.Namespace, app: App) -> Result:
    wanted = _ARGS[args.action]
    if len(args.names) != wanted:
        usage = {"list": "projects", "merge": "projects merge OLD NEW",
                 "rename": "projects rename ID NAME"}[args.action]
        raise UsageError(f"`{args.action}` takes {wanted or 'no'} arguments, not "
                         f"{len(args.names)}", f"use `aidermem {usage}`")
    if args.action == "merge":
        return _merge(app, *args.names)
    if args.action == "rename":
        return _rename(app, *args.names)
    return Result(_listing(app))


def _stored(app: App) -> dict[str, _Stored]:
    index = app.index
    docs = index.count()
    every = SearchRequest(scope="all", limit=max(docs, 1), include_archived=True)
    out: dict[str, _Stored] = {}
    for hit in find(index, every) if docs else []:
        row = out.setdefault(hit.project, _Stored(hit.project, Counter()))
        row.names[hit.project_name] += 1
        if hit.status == Status.ARCHIVED:
            row.archived += 1
        else:
            row.active += 1
    return out


def _listing(app: App) -> ProjectsPayload:
    current = app.project
    stored = _stored(app)
    stored.setdefault(current.id, _Stored(current.id, Counter({current.name: 1})))
    aliases = set(current.aliases)

    def order(row: _Stored) -> tuple[int, str]:
        rank = 0 if row.id == current.id else 1 if row.id in aliases else 3 if not row.id else 2
        return rank, row.id

    return ProjectsPayload(current=current.id, projects=[
        ProjectOut(id=row.id, name=row.name, memories=row.active, archived=row.archived,
                   current=row.id == current.id,
                   alias_of=current.id if row.id in aliases else None,
                   aliases=list(current.aliases) if row.id == current.id else [],
                   folder_gone=_folder_gone(row.id))
        for row in sorted(stored.values(), key=order)
    ])


def _folder_gone(project_id: str) -> bool:
    """An id made from a folder path (no remote) whose folder is gone: moved or deleted."""
    path = Path(project_id)
    return path.is_absolute() and not path.exists()


def _resolve(app: App, stored: dict[str, _Stored], given: str) -> tuple[str, str]:
    """(id, name) of the project `given` names: an id, or a name only one project has."""
    current = app.project
    if given == current.id:
        return current.id, current.name
    if given in stored:
        return given, stored[given].name
    if given.lower() == current.name.lower():
        return current.id, current.name
    named = [row for row in stored.values() if given.lower() == row.name.lower()]
    if len(named) > 1:
        ids = ", ".join(row.id for row in named)
        raise AidermemError(f"several projects are named {given!r}: {ids}", "give the id")
    if not named:
        raise NotFoundError(f"no such project {given!r}", _HINT)
    return named[0].id, named[0].name


def _memories_of(app: App, project_id: str) -> list[tuple[str, Memory]]:
    request = SearchRequest(scope=[project_id], limit=max(app.index.count(), 1),
                            include_archived=True)
    out = []
    for hit in find(app.index, request):
        if hit.project != project_id:
            continue  # the scope also matches a project *named* like this id
        try:
            out.append((hit.relpath, app.store.load(hit.relpath)))
        except MemoryFileError as exc:  # broken since the sync: left where it is
            app.warn(f"skipped {exc.path}: {exc.reason}")
    return out


def _merge(app: App, old: str, new: str) -> Result:
    if not old.strip() or not new.strip():
        raise UsageError("global memories (\"\") cannot be merged",
                         "name two projects by id or name")
    stored = _stored(app)
    source, _ = _resolve(app, stored, old)
    target, name = _resolve(app, stored, new)
    if source == target:
        raise UsageError(f"{old!r} and {new!r} are the same project ({source})",
                         "name two different projects")

    def change(memory: Memory) -> None:
        memory.project, memory.project_name = target, name

    return _commit(app, "merge", source, target, name, change,
                   f"projects: merge {source} into {target}")


def _rename(app: App, given: str, new_name: str) -> Result:
    name = " ".join(new_name.split())
    if not name:
        raise UsageError("the new name is empty", "give the name the project should show")
    stored = _stored(app)
    project, _ = _resolve(app, stored, given)
    if not project:
        raise UsageError("global memories have no project name to change",
                         "name a project by id or name")

    def change(memory: Memory) -> None:
        memory.project_name = name

    done = _commit(app, "rename", project, project, name, change,
                   f"projects: rename {project} to {name!r}")
    # the memories this checkout makes next, too
    if project == app.project.id and not name_checkout(app.project, name):
        app.warn(f"could not keep the name in {app.project.root}'s git config; new memories "
                 f"made here are still named {app.project.name!r}")
    return done


def _commit(app: App, action: Literal["merge", "rename"], project: str, target: str, name: str,
            change: Callable[[Memory], None], message: str) -> Result:
    store = app.store
    written: dict[str, Memory | None] = {}
    with store.lock():  # nobody edits these memories between reading and rewriting them
        memories = _memories_of(app, project)
        for _, memory in memories:
            change(memory)
        head_before = store.head()
        if memories:
            written = store.relabel(memories, f"{message} ({len(memories)} memories)")
        head = store.head()
    commit = head if head != head_before else None
    git = f"git -C {shlex.quote(str(store.root))}"
    recover = f"{git} revert --no-edit {commit}" if commit else f"{git} log"
    if written:
        app.index_after_write(written)
    return Result(ProjectChangePayload(
        action=action, project=project, target=target, name=name, changed=len(memories),
        commit=commit, recover=recover,
    ))


def render(payload: ProjectsPayload | ProjectChangePayload, style: Style) -> str:
    if isinstance(payload, ProjectChangePayload):
        return _render_change(payload, style)
    rows = [(("* " if p.current else "  ") + (p.name or "(global)"), p.id, _counts(p), p)
            for p in payload.projects]
    names = max(len(r[0]) for r in rows)
    ids = max(len(r[1]) for r in rows)
    lines = []
    for label, pid, counts, p in rows:
        note = f"  (an earlier id of {p.alias_of})" if p.alias_of else ""
        if p.folder_gone and not p.alias_of:
            note = "  (its folder is gone: moved? merge it into the project's new id)"
        line = f"{label:<{names}}  {pid:<{ids}}  {counts}{note}"
        lines.append(style.bold(line) if p.current else line)
    lines.append("* the current project")
    earlier = [p for p in payload.projects if p.alias_of and p.memories + p.archived]
    if earlier:
        lines.append("to file an earlier id's memories under the current one: "
                     f"aidermem projects merge {shlex.quote(earlier[0].id)} "
                     f"{shlex.quote(payload.current)}")
    return "\n".join(lines)


def _counts(p: ProjectOut) -> str:
    text = f"{p.memories} {'memory' if p.memories == 1 else 'memories'}"
    return text + (f", {p.archived} archived" if p.archived else "")


def _render_change(payload: ProjectChangePayload, style: Style) -> str:
    if not payload.changed:
        return f"{payload.project} has no memories to change"
    count = f"{payload.changed} {'memory' if payload.changed == 1 else 'memories'}"
    if payload.action == "merge":
        what = f"moved {count} of {payload.project} to {style.bold(payload.target)}"
    else:
        what = f"renamed {payload.project} to {style.bold(payload.name)} ({count})"
    return f"{what}\nto undo: {payload.recover}"

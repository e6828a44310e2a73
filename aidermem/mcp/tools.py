"""What each MCP tool does, over the same App, store, index and commands the CLI uses.

Every function takes an App already scoped to the server's project (`ScopedApp`)
and returns plain JSON-shaped data, kept small: an agent's tool output is capped
(Claude Code: 25,000 tokens), so listings are paged by an opaque cursor and full
memories are cut at MAX_CHARS with a cursor that continues where the cut was.
Bad arguments raise UsageError/NotFoundError like the CLI; the server turns them
into tool errors. Nothing here imports the MCP SDK, prints, or writes except
through the store (add, update, forget: one store commit each, then the index).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from aidermem.commands import digest as digest_command
from aidermem.commands import forget as forget_command
from aidermem.commands import projects as projects_command
from aidermem.commands._filters import kinds_of, resolve_project, split_words, topics_of
from aidermem.commands.add import NewMemory, store_memory
from aidermem.commands.app import App
from aidermem.commands.output import where
from aidermem.commands.payloads import DigestPayload, ForgetPayload, ProjectsPayload
from aidermem.commands.search import demotion, link_states, semantic_in_force, semantic_setting
from aidermem.errors import NotFoundError, UsageError
from aidermem.index.memory_index import MemoryIndex
from aidermem.index.search import Hit, SearchRequest, find
from aidermem.kinds import day
from aidermem.models import Kind, Memory, Source, Tool
from aidermem.project import Project
from aidermem.redaction.redact import redact
from aidermem.text import clip, one_line

MAX_PAGE = 25  # search results per call: even in Chinese a page stays under ~10k tokens
MAX_IDS = 20  # memories per get_memories call
# Text per call: ~3k tokens of English, and under ~16k even for Chinese (~1.3 tokens a
# character), so every answer stays far below Claude Code's 25k-token cap.
MAX_CHARS = 12_000
SNIPPET_CHARS = 160


class ScopedApp(App):
    """An App whose project the server decided once (cwd, worktree or override), so
    every read and write of a session is scoped alike."""

    def __init__(self, *, project: Project, cwd: Path, warn: Callable[[str], None]) -> None:
        super().__init__(cwd=cwd, warn=warn)
        self._scoped = project

    @cached_property
    def project(self) -> Project:
        return self._scoped


def scope_project(cwd: Path, override: str | None, warn: Callable[[str], None]) -> Project:
    """The project a server in `cwd` serves: the checkout's (worktrees of one repository
    are one project), or `override` (a project id or name; "" for global memories)."""
    base = App(cwd=cwd, warn=warn)
    current = base.project  # remembers the id in the checkout, as every command does
    if override is None:
        return current
    wanted = override.strip()
    if wanted in current.ids or (wanted and wanted.lower() == current.name.lower()):
        return current
    if not wanted:
        return Project(id="", name="", root=current.root)
    pid, name = resolve_project(base, wanted)
    return Project(id=pid, name=name, root=current.root)


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:10]


def _cursor(position: str, fingerprint: str) -> str:
    return f"{position}.{fingerprint}"


def _read_cursor(cursor: str | None, fingerprint: str, what: str) -> list[int]:
    """The numbers a cursor from an earlier call holds; [] without one."""
    if not cursor:
        return []
    position, _, mark = cursor.rpartition(".")
    try:
        numbers = [int(n) for n in position.split(":")]
    except ValueError:
        numbers = []
    if not numbers or any(n < 0 for n in numbers):
        raise UsageError(f"cannot read cursor {cursor!r}",
                         f"pass next_cursor exactly as the last {what} returned it")
    if mark != fingerprint:
        raise UsageError(f"cursor {cursor!r} belongs to another {what}",
                         f"repeat the same {what} arguments with it, or leave cursor out")
    return numbers


def _limit(limit: int, most: int) -> int:
    if not 1 <= limit <= most:
        raise UsageError(f"limit must be 1 to {most}, not {limit}",
                         f"ask for at most {most} and page on with next_cursor")
    return limit


Words = list[str] | str | None  # agents send "a,b", "a" or ["a", "b"]: all mean the same


def _words(value: Words) -> list[str]:
    return split_words([value] if isinstance(value, str) else value)


def search(app: App, query: str, kinds: Words, topics: Words, all_projects: bool, limit: int,
           cursor: str | None) -> dict[str, Any]:
    """One page of search results, best first (newest first for an empty query)."""
    limit = _limit(limit, MAX_PAGE)
    text = query.strip()
    wanted_kinds, wanted_topics = kinds_of(_words(kinds)), topics_of(_words(topics))
    mark = _fingerprint("search", text, wanted_kinds, wanted_topics, all_projects,
                        app.project.id)
    position = _read_cursor(cursor, mark, "search") or [0]
    if len(position) != 1:
        raise UsageError(f"cannot read cursor {cursor!r}",
                         "pass next_cursor exactly as the last search returned it")
    (offset,) = position
    project = app.project
    request = SearchRequest(
        text=text, project=project.id, aliases=project.aliases,
        scope="all" if all_projects else "project", topics=wanted_topics, kinds=wanted_kinds,
        limit=offset + limit + 1,
    )
    setting = semantic_setting(app)  # ranked by meaning too, as `aidermem search` is

    def found(index: MemoryIndex) -> list[Hit]:
        return find(index, replace(
            request, semantic=semantic_in_force(setting, index)))

    hits = app.read(found)
    states = link_states(hits, app)
    if states:  # a memory whose code changed is demoted, as in `aidermem search`
        hits = sorted(hits, key=lambda h: -h.score * demotion(states.get(h.id)))
    page = hits[offset:offset + limit]
    more = len(hits) > offset + limit
    return {
        "query": text,
        "scope": "all projects" if all_projects else where(project.name, project.id),
        "results": [
            {"id": h.id, "title": h.title, "kind": h.kind,
             "project": where(h.project_name, h.project), "date": day(h.created),
             "snippet": clip(one_line(h.snippet), SNIPPET_CHARS, at_word=False),
             **_link_summary(states.get(h.id))}
            for h in page
        ],
        "next_cursor": _cursor(str(offset + limit), mark) if more else None,
    }


_SEVERITY = ("fresh", "unchecked", "moved", "renamed", "changed", "gone")


def _link_summary(states: list[dict[str, Any]] | None) -> dict[str, Any]:
    """A hit's links in two keys: the worst state (None: the memory links no code) and, when
    not fresh, one line per such link, so an agent knows to verify before trusting it."""
    if not states:
        return {"link_state": None}
    worst = max(states, key=lambda s: _SEVERITY.index(s["state"]))["state"]
    out: dict[str, Any] = {"link_state": worst}
    stale = [f"{s['path']}{'::' + s['symbol'] if s['symbol'] else ''}: {s['state']}"
             + (f" — {s['reason']}" if s["reason"] else "")
             for s in states if s["state"] not in ("fresh", "unchecked")]
    if stale:
        out["stale_links"] = stale
    return out


def _links_of(app: App, memory: Memory) -> list[dict[str, Any]]:
    """Each of the memory's links with its state at HEAD (LINK_STATE), as `show --json`."""
    if not memory.links:
        return []
    from aidermem.links.use import Checker

    checker = Checker(app.project.ids, app.project.root, app.store_root)
    states = [state.as_json() for state in checker.states(memory.project, memory.links)]
    checker.save()
    return states


def _full(memory: Memory, body: str, start: int, links: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": memory.id, "title": memory.title, "kind": memory.kind.value,
        "status": memory.status.value, "project": where(memory.project_name, memory.project),
        "project_id": memory.project, "topics": memory.topics, "files": memory.files,
        "symbols": memory.symbols, "created": memory.created.isoformat(),
        "updated": memory.updated.isoformat(), "related": memory.related,
        "source": {"tool": memory.source.tool.value, "method": memory.source.method.value,
                   "client": memory.source.client},
        "links": links,
        "body": body,
    }
    if start or len(body) < len(memory.body) - start:
        out["body_range"] = [start, start + len(body), len(memory.body)]
    return out


def get(app: App, ids: Words, cursor: str | None) -> dict[str, Any]:
    """Full memories, in the order asked, at most MAX_CHARS of body text per call."""
    wanted = _words(ids)
    if not wanted:
        raise UsageError("no ids given", "pass the ids search_memories returned")
    if len(wanted) > MAX_IDS:
        raise UsageError(f"{len(wanted)} ids asked for, at most {MAX_IDS} per call",
                         "split them over several calls")
    mark = _fingerprint("get", wanted)
    position = _read_cursor(cursor, mark, "get_memories") or [0, 0]
    if len(position) != 2 or position[0] >= len(wanted):
        raise UsageError(f"cannot read cursor {cursor!r}",
                         "pass next_cursor exactly as the last get_memories returned it")
    first, start = position
    room = MAX_CHARS
    memories: list[dict[str, Any]] = []
    missing: list[str] = []
    next_cursor = None
    for i in range(first, len(wanted)):
        if room <= 0:
            next_cursor = _cursor(f"{i}:0", mark)
            break
        try:
            _, memory = app.store.find(wanted[i])
        except NotFoundError:
            missing.append(wanted[i])
            continue
        begin = start if i == first else 0
        body = memory.body[begin:begin + room]
        room -= len(body)
        memories.append(_full(memory, body, begin, _links_of(app, memory)))
        if begin + len(body) < len(memory.body):
            next_cursor = _cursor(f"{i}:{begin + len(body)}", mark)
            break
    if missing and not memories and next_cursor is None:
        raise NotFoundError(f"no memory with id {', '.join(map(repr, missing))}",
                            "use the ids search_memories returned")
    return {"memories": memories, "not_found": missing, "next_cursor": next_cursor}


def _kind(kind: str) -> Kind:
    (chosen,) = kinds_of([kind]) or [Kind.NOTE]
    return chosen


@dataclass(frozen=True, kw_only=True)
class AddRequest:
    """The arguments of the add_memory tool, as the agent sent them."""

    title: str
    body: str
    kind: str = "note"
    topics: Words = None
    files: Words = None
    symbols: Words = None
    client: str | None = None  # the MCP client's name, for the memory's source


def add(app: App, request: AddRequest) -> dict[str, Any]:
    """A new memory of the server's project, exactly as `aidermem add` writes one."""
    if not request.title.strip():
        raise UsageError("the title is empty", "give the memory a one-line title")
    if not request.body.strip():
        raise UsageError("the body is empty; nothing was added", "say what is worth remembering")
    project = app.project
    added = store_memory(app, NewMemory(
        text=request.body, title=request.title, kind=_kind(request.kind),
        project=(project.id, project.name), topics=topics_of(_words(request.topics)),
        files=_words(request.files), symbols=_words(request.symbols),
        source=Source(tool=Tool.MCP, client=request.client)))
    memory = added.memory
    return {"id": memory.id, "title": memory.title, "kind": memory.kind.value,
            "project": where(memory.project_name, memory.project), "path": added.path,
            "redactions": added.redactions}


def update(app: App, memory_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Change the given fields of a memory (the others stay), as `aidermem edit` would."""
    given = {k: v for k, v in changes.items() if v is not None}
    if not given:
        raise UsageError("nothing to change",
                         "give at least one of title, body, kind, topics, files, symbols")
    _, memory = app.store.find(memory_id)
    redactions = 0
    if "title" in given:
        if not given["title"].strip():
            raise UsageError("the title is empty", "give a one-line title, or leave it out")
        cleaned = redact(given["title"])
        memory.title, redactions = cleaned.text, redactions + cleaned.count
    if "body" in given:
        cleaned = redact(given["body"])
        memory.body, redactions = cleaned.text.strip(), redactions + cleaned.count
    if "kind" in given:
        memory.kind = _kind(given["kind"])
    if "topics" in given:
        memory.topics = topics_of(_words(given["topics"]))
    for field in ("files", "symbols"):
        if field in given:
            setattr(memory, field, _words(given[field]))
    memory = Memory.model_validate(memory.model_dump())  # normalized and checked as on read
    relpath = app.store.update(memory, f"edit {memory.kind}: {memory.title}")
    app.index_after_write({relpath: memory})
    return {"id": memory.id, "title": memory.title, "changed": sorted(given),
            "redactions": redactions}


def forget(app: App, memory_id: str) -> dict[str, Any]:
    """Archive a memory through `aidermem forget` (recoverable; not deleted)."""
    done = cast(ForgetPayload,
                forget_command.run(argparse.Namespace(id=memory_id, delete=False), app).payload)
    return {"id": done.memory.id, "title": done.memory.title, "action": done.action,
            "recover": done.recover}


def digest(app: App, query: str | None) -> str:
    """The `aidermem digest` briefing (Markdown) of the server's project."""
    args = argparse.Namespace(query=[query] if query else [], project=None, all_projects=False,
                              topics=None, kind=None, since=None, limit=5, archived=False)
    markdown = cast(DigestPayload, digest_command.run(args, app).payload).markdown
    if len(markdown) > MAX_CHARS:
        markdown = markdown[:MAX_CHARS] + "\n\n… (cut; narrow it with a query)\n"
    return markdown


def list_projects(app: App) -> dict[str, Any]:
    """Every project with memories, as `aidermem projects` lists them."""
    listing = cast(ProjectsPayload,
                   projects_command.run(argparse.Namespace(action="list", names=[]), app).payload)
    return {
        "current": app.project.id,
        "projects": [
            {"id": p.id, "name": p.name or "(global)", "memories": p.memories,
             "archived": p.archived, "current": p.current}
            for p in listing.projects
        ],
    }

"""`aidermem mcp`: the memory store as an MCP server on stdio (the official Python SDK).

Claude Code, Cursor, Codex and other MCP clients read and write the same store
aider's sessions use, through the tools declared here; what each tool does is in
mcp_tools.py (the CLI's own code underneath). This module only declares tools,
scopes them to one project and turns aidermem's errors into tool errors, so a
bad argument never ends the server.

Start-up is the SDK's import and nothing else: aidermem's own modules are imported,
the project identified and the index opened on the first tool call, so `initialize`
is answered at once (BENCHMARKS.md). stdout is the protocol: nothing here may print; warnings go to
stderr and into the tool's result. Only this module imports `mcp`, and only
`aidermem mcp` imports this module.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from mcp.server.fastmcp import Context, FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from aidermem.errors import AidermemError

if TYPE_CHECKING:
    from aidermem.mcp import tools as mcp_tools
    from aidermem.project import Project

T = TypeVar("T")
MAX_PAGE = 25  # search results per call (mcp_tools.MAX_PAGE, not imported before a call)
READ = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True,
                       openWorldHint=False)
INSTRUCTIONS = """\
aidermem is this project's long-term memory, shared with aider and the developer's other
agents: decisions and why, conventions, bugs and their fixes, where past sessions stopped.
At the start of a task, call memory_digest (or search_memories for the topic at hand); fetch
full text with get_memories. When you settle something worth knowing next time (a decision,
a convention, a bug's root cause), save it with add_memory: short title, self-contained body.
"""


class Server:
    """The tools of one server process, scoped to one project from the first call on."""

    def __init__(self, cwd: Path, override: str | None) -> None:
        self.cwd = cwd
        self.override = override
        self._project: Project | None = None

    def call(self, work: Callable[[mcp_tools.ScopedApp], T]) -> T:
        from aidermem.mcp import (
            tools as mcp_tools,  # ~120 ms of aidermem's own imports: after initialize
        )

        warnings: list[str] = []

        def warn(line: str) -> None:
            warnings.append(line)
            sys.stderr.write(line + "\n")

        try:
            if self._project is None:
                self._project = mcp_tools.scope_project(self.cwd, self.override, warn)
            app = mcp_tools.ScopedApp(project=self._project, cwd=self.cwd, warn=warn)
            result = work(app)
        except AidermemError as exc:
            raise ToolError(exc.render().removeprefix("aidermem: error: ")) from exc
        if warnings and isinstance(result, dict):
            result["warnings"] = warnings
        return result


def _tools() -> Any:
    from aidermem.mcp import tools as mcp_tools

    return mcp_tools


def _client(ctx: Context) -> str | None:  # type: ignore[type-arg]
    params = ctx.session.client_params
    return params.clientInfo.name if params is not None else None


KINDS = "decision, convention, bug, session or note"
Many = list[str] | str | None  # a list, or one string ("a" or "a,b"): agents send both
Kinds = Annotated[Many, Field(description=f"only these kinds ({KINDS})")]
Topics = Annotated[Many, Field(description="only memories with all these topics")]
Words = Annotated[Many, Field(description="replaces the list; omit to keep it")]


def build(cwd: Path, override: str | None) -> FastMCP:
    server = Server(cwd, override)
    # The SDK logs every request at INFO on stderr, which clients show as noise.
    mcp = FastMCP("aidermem", instructions=INSTRUCTIONS, log_level="WARNING")

    @mcp.tool(annotations=READ, structured_output=False)
    def search_memories(
        query: Annotated[str, Field(description="words to look for; empty: newest first")],
        kinds: Kinds = None, topics: Topics = None,
        all_projects: Annotated[bool, Field(description="search every project")] = False,
        limit: Annotated[int, Field(description=f"results per page, 1 to {MAX_PAGE}")]
        = 10,
        cursor: Annotated[str | None, Field(description="next_cursor of the previous page")]
        = None,
    ) -> dict[str, Any]:
        """Search this project's memories (and global ones) before working on something:
        past decisions, conventions, bugs and fixes. Returns compact results (id, title, kind,
        project, date, one-line snippet), best first; fetch full text with get_memories."""
        return server.call(lambda app: _tools().search(app, query, kinds, topics,
                                                        all_projects, limit, cursor))

    @mcp.tool(annotations=READ, structured_output=False)
    def get_memories(
        ids: Annotated[list[str] | str, Field(description="memory ids (or unique prefixes)")],
        cursor: Annotated[str | None, Field(description="next_cursor of the previous call")]
        = None,
    ) -> dict[str, Any]:
        """Full text and metadata of memories found with search_memories. Long answers are
        cut; call again with next_cursor for the rest."""
        return server.call(lambda app: _tools().get(app, ids, cursor))

    @mcp.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False,
                                          idempotentHint=False, openWorldHint=False),
              structured_output=False)
    def add_memory(
        title: Annotated[str, Field(description="one line saying what it is")],
        body: Annotated[str, Field(description="the memory, self-contained Markdown")],
        kind: Annotated[str, Field(description=KINDS)] = "note",
        topics: Annotated[Many, Field(description="a few topic words")] = None,
        files: Annotated[Many, Field(description="repo paths it is about")] = None,
        symbols: Annotated[Many, Field(description="functions/classes it is about")] = None,
        ctx: Context | None = None,  # type: ignore[type-arg]
    ) -> dict[str, Any]:
        """Save something worth knowing in a later session, by any agent: a decision and its
        reason, a convention, a bug's root cause and fix. Secrets are redacted; the memory is
        committed to the store and reaches aider's next session too. Search first, and
        update_memory rather than adding a duplicate."""
        client = _client(ctx) if ctx is not None else None
        request = _tools().AddRequest(title=title, body=body, kind=kind, topics=topics,
                                      files=files, symbols=symbols, client=client)
        return server.call(lambda app: _tools().add(app, request))

    @mcp.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=True,
                                          idempotentHint=True, openWorldHint=False),
              structured_output=False)
    def update_memory(
        id: Annotated[str, Field(description="the memory's id")],
        title: Annotated[str | None, Field(description="new title; omit to keep it")] = None,
        body: Annotated[str | None, Field(description="new body; omit to keep it")] = None,
        kind: Annotated[str | None, Field(description=f"new kind ({KINDS})")] = None,
        topics: Words = None, files: Words = None, symbols: Words = None,
    ) -> dict[str, Any]:
        """Correct or extend a memory that is out of date (given fields replace the old
        ones). Git history of the store keeps the earlier text."""
        return server.call(lambda app: _tools().update(app, id, {
            "title": title, "body": body, "kind": kind, "topics": topics, "files": files,
            "symbols": symbols}))

    @mcp.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=True,
                                          idempotentHint=True, openWorldHint=False),
              structured_output=False)
    def forget_memory(
        id: Annotated[str, Field(description="the memory's id")],
    ) -> dict[str, Any]:
        """Archive a memory that is wrong or no longer true: it leaves search and aider's
        context. Recoverable (the result says how)."""
        return server.call(lambda app: _tools().forget(app, id))

    @mcp.tool(annotations=READ, structured_output=False)
    def memory_digest(
        query: Annotated[str | None, Field(description="focus; omit for the most recent")]
        = None,
    ) -> str:
        """A Markdown briefing of this project: recent (or query-relevant) decisions,
        conventions, bugs, sessions and notes. Call it when starting work here."""
        briefing: str = server.call(lambda app: _tools().digest(app, query))
        return briefing

    @mcp.tool(annotations=READ, structured_output=False)
    def list_projects() -> dict[str, Any]:
        """The projects that have memories, and which one this server serves."""
        return server.call(lambda app: _tools().list_projects(app))

    return mcp


def serve(cwd: Path, override: str | None) -> None:
    """Answer on stdin/stdout until the client closes them."""
    build(cwd, override).run("stdio")
    if sys.stdout.closed:  # the SDK's transport closes it on the way out; cli still flushes
        sys.stdout = Path(os.devnull).open("w")  # noqa: SIM115 - lives as long as the process

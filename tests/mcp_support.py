"""Drive the real `aidermem mcp` over stdio with the MCP SDK's own client.

`connect` spawns the server in a subprocess (the test's isolated HOME and
AIDERMEM_HOME), initializes a ClientSession named `test-client`, and runs the
test's coroutine against it. `call` returns a tool's decoded JSON (or text) and
whether it was an error.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
from aider_harness import AIDERMEM
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import Implementation, TextContent

T = TypeVar("T")
CLIENT = "test-client"


def connect(cwd: Path, work: Callable[[ClientSession], Awaitable[T]], *,
            args: tuple[str, ...] = (), env: dict[str, str] | None = None) -> T:
    async def main() -> T:
        params = StdioServerParameters(command=AIDERMEM, args=["mcp", *args], cwd=str(cwd),
                                       env={**os.environ, **(env or {})})
        async with (stdio_client(params) as (read, write),
                    ClientSession(read, write,
                                  client_info=Implementation(name=CLIENT, version="1")) as s):
            await s.initialize()
            return await work(s)

    return anyio.run(main)


async def call(session: ClientSession, tool: str, **arguments: Any) -> tuple[Any, bool]:
    """(the tool's answer, decoded from JSON when it is JSON; whether it is an error)."""
    result = await session.call_tool(tool, arguments)
    (content,) = result.content
    assert isinstance(content, TextContent)
    try:
        return json.loads(content.text), result.isError
    except json.JSONDecodeError:
        return content.text, result.isError


async def ok(session: ClientSession, tool: str, **arguments: Any) -> Any:
    answer, failed = await call(session, tool, **arguments)
    assert not failed, answer
    return answer

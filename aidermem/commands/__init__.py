"""The management commands, and what each hands back: data, rendered by the front ends.

One module per command (`add`, `search`, `show`, ...); `app` is what a command works with
(settings, project, store and index, each opened at most once) and `output` and `payloads` hold
every command's `--json` shape. Both front ends run these: the cli (argv) and the MCP server,
which is why commands live here and not under cli/.
Must never import cli or mcp.
"""

"""The MCP server: the same memory for every other agent, over stdio.

Owns the server (the MCP SDK's FastMCP), its tools (thin calls into aidermem.commands, so an
agent sees what `aidermem search --json` shows) and writing other agents' MCP config.
Must never import the cli or session; nothing but the cli's `mcp` command imports it.
"""

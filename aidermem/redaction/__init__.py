"""Redaction: secrets never reach a memory file, the index or an MCP client.

Owns the secret patterns (with the user's own list) and `redact`, which every writer calls.
Must never import anything but the base modules.
"""

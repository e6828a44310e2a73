"""The store: memories as Markdown files in a git repository, the truth.

Owns the file layout, reading and writing memory files (front matter and body), the store's one
lock, its undo record, and the cheap "what changed in the work tree" probe the index syncs by.
Everything else is derived from what is here.

Must never import: the index (a cache built from the store), launch, retrieve, capture,
commands, cli, mcp, session. Below it are only redaction and the base modules.
"""

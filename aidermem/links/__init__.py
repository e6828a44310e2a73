"""Links from memories to code, and whether that code has changed.

Owns the tree-sitter fingerprints of a symbol, taking a link at HEAD, the per-blob cache of
fingerprints and checking a memory's links where it is used (context, search, show, MCP).
Must never import the store, the index or anything above them: it reads a repository and
a memory's links, nothing else.
"""

"""The index: a Tantivy cache of the store, and search over it.

Owns term analysis (shared by documents and queries), the index's lifecycle (open, sync with
the store, rebuild), search and ranking, and the semantic side (embedding, vectors, fusion).
Deleting the index loses nothing: `aidermem reindex` rebuilds it from the store.
Must never import launch, retrieve, capture, commands, cli, mcp or session.
"""

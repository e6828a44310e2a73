"""Capture: turning a finished aider session into memories, without losing it.

Owns the journal (what guarantees no session is lost), parsing aider's chat history, the
session's own history file, summarizing (model or extractive), linking the edited code,
importing old histories and the capture driver that runs these steps in order.
Must never import retrieve, commands, cli, mcp or session.
"""

"""Retrieve: what aider should know, and the context file's text.

Owns the launch query (from files, branch and commits), choosing memories within a token
budget, rendering the context file, and the digest. Pure where it can be: memories in,
Markdown out.
Must never import capture, commands, cli, mcp or session.
"""

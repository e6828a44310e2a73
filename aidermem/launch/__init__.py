"""Aider's interface: its options, its argv and config files, running it, the files it reads.

Owns what aider's command line means (which of its options take a value, which files it
reads), running the real aider on a pty (runner.py: the only pexpect user), the read-only
context file aider is given, and the one yes/no question asked on the terminal.
Must never import the store, the index, retrieve, capture or anything above them: it knows
aider, not memories.
"""

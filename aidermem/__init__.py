"""aidermem: persistent, searchable memory for Aider.

The package is laid out in the order a session flows through it:
launch plan -> retrieve -> render context -> run aider -> parse transcript
-> summarize -> store -> index.
"""

__version__ = "0.1.0"

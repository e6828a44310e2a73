"""The command line: argv in, a command or a launch of aider out, text or JSON printed.

Owns `main` (the one place errors are caught and printed) and the typo guard. A management
command runs a module of aidermem.commands; anything else launches aider through session.
Must never be imported by anything but `aidermem.__main__`.
"""

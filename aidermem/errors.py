"""The one error family aidermem raises.

Core modules raise these; only `cli.main` catches them and prints
`aidermem: error: <what happened> — <what to do>`. Never raise these for
programming errors: those should surface as tracebacks.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class AidermemError(Exception):
    """A failure the user can act on. `hint` says what to do about it."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        if self.hint:
            return f"aidermem: error: {self.message} — {self.hint}"
        return f"aidermem: error: {self.message}"


class UsageError(AidermemError):
    """The command line itself is wrong."""

    exit_code = EXIT_USAGE


class MemoryFileError(AidermemError):
    """A memory file could not be parsed. Carries the path and the reason."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(
            f"cannot read memory file {path}: {reason}",
            "fix or delete the file by hand; it is skipped until then",
        )
        self.path = path
        self.reason = reason


class NotFoundError(AidermemError):
    """No memory matches an id or prefix."""


class StoreError(AidermemError):
    """The memory store (a git repository) could not be read or written."""


class IndexBusyError(AidermemError):
    """Another process held the index writer past our deadline."""


class ConfigError(AidermemError):
    """A configuration or profile file is invalid."""


class AiderNotFoundError(AidermemError):
    """No aider executable could be found."""


class IndexWriteError(AidermemError):
    """The search index (a cache) could not be written: a full disk, permissions."""

    def __init__(self, directory: object, reason: str) -> None:
        super().__init__(
            f"cannot write the search index in {directory}: {reason}",
            "free some space (or fix permissions) there; the memory store is not affected, "
            "and the index catches up once it can be written",
        )

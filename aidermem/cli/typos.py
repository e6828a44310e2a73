"""Is the first word of a command line a mistyped aidermem command (`serch`)?

Conservative on purpose, because a false alarm would stop a real launch of aider:
only a plain word (not an option, no `/` or `.`, so never a path or a file name
with an extension) can be a typo, and only within a small edit distance of a
command name — case alone for names of up to 3 letters (`add`, `run`), one edit
for 4 or 5 letters, two for longer ones; swapping two neighbours counts as one.
Whether the word names an existing file is the caller's question: this module is
pure and never touches the file system.
"""

from __future__ import annotations

from collections.abc import Iterable


def closest(word: str, names: Iterable[str]) -> str | None:
    """The command name `word` was probably meant to be, or None."""
    if not word or word.startswith("-") or "/" in word or "." in word:
        return None
    typed = word.lower()
    best: str | None = None
    best_distance = 3
    for name in names:
        allowed = 0 if len(name) <= 3 else 1 if len(name) <= 5 else 2
        if abs(len(typed) - len(name)) > allowed:
            continue
        found = distance(typed, name)
        if found <= allowed and found < best_distance:
            best, best_distance = name, found
    return best


def distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap of neighbours) that turn `a` into `b`."""
    before: list[int] = []
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        above, row = row, [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(above[j] + 1, row[j - 1] + 1, above[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], before[j - 2] + 1)
        before = above
    return row[-1]

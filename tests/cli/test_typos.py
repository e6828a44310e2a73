"""The edit distance behind "did you mean": insert, delete, replace, swap of neighbours."""

from __future__ import annotations

import pytest

from aidermem.cli.typos import closest, distance


@pytest.mark.parametrize(("a", "b", "edits"), [
    ("", "", 0), ("search", "search", 0), ("serch", "search", 1), ("lsit", "list", 1),
    ("improt", "import", 1), ("ab", "ba", 1), ("abc", "", 3), ("", "ab", 2),
    ("docs", "doctor", 3), ("kitten", "sitting", 3),
])
def test_distance(a: str, b: str, edits: int) -> None:
    assert distance(a, b) == edits
    assert distance(b, a) == edits


def test_closest_prefers_the_nearest_name() -> None:
    assert closest("stat", ["status", "stats"]) == "stats"
    assert closest("stat", ["state", "stats"]) == "state"  # a tie: the first listed
    assert closest("zzz", ["add", "run"]) is None

"""The context file's private directory: made, written read-only, and cleaned up."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from aidermem.launch import context_file


@pytest.fixture
def tmpdir_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    base = tmp_path / "tmp"
    base.mkdir()
    monkeypatch.setenv("TMPDIR", str(base))
    return base


def test_each_launch_gets_a_private_dir_and_a_read_only_file(tmpdir_env: Path) -> None:
    first, second = context_file.make_dir(), context_file.make_dir()
    assert first != second and first.parent == second.parent == tmpdir_env
    assert first.name.startswith(f"aidermem-{os.getpid()}-")
    assert stat.S_IMODE(first.stat().st_mode) == 0o700
    path = first / context_file.NAME
    context_file.write(path, context_file.PLACEHOLDER)
    context_file.write(path, "# Project memory (aidermem)\n\nthe real thing\n")
    assert path.read_text() == "# Project memory (aidermem)\n\nthe real thing\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o400
    assert sorted(p.name for p in first.iterdir()) == [context_file.NAME]  # no temp left


def test_dirs_of_dead_launches_are_removed_and_live_ones_kept(tmpdir_env: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = tmpdir_env / f"aidermem-{gone.stdout.strip()}-abc123"
    live = context_file.make_dir()
    other = tmpdir_env / "aidermem-notes"  # not ours by name
    for path in (dead, other):
        path.mkdir()
        (path / "x").write_text("x")
    context_file.remove_stale_dirs()
    assert not dead.exists()
    assert live.exists() and other.exists()

"""Everything aidermem keeps is private to the user: directories 0700, files 0600 (0400 for
git's read-only objects), including what git and tantivy write and edits kept as rescue files.

Real modes (os.stat) of a real store, its git objects and the Tantivy index, with the usual
umask 022 that would otherwise make them world-readable.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_cli_support import git, make_repo, run, store, write_editor

from aidermem import paths
from aidermem.redaction import secret_patterns

SECRET = "sk-proj-" + "Q7x" * 16


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = make_repo(tmp_path / "shop")
    monkeypatch.chdir(repo)
    return repo


def not_private(root: Path) -> list[str]:
    """Every directory that is not 0700 and file readable by group or others, under root."""
    found = []
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_symlink():
            continue
        if (path.is_dir() and mode != 0o700) or mode & 0o077:
            found.append(f"{oct(mode)} {path.relative_to(root)}")
    return found


def history(tmp_path: Path) -> Path:
    path = tmp_path / ".aider.chat.history.md"
    path.write_text("\n# aider chat started at 2026-03-01 10:00:00\n\n"
                    "#### make the workers lock each job  \n\nDone.\n\n"
                    "#### decision: advisory locks per job  \n\nNoted.\n", encoding="utf-8")
    return path


def test_the_data_and_cache_tree_is_private(shop: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "add", "Use Postgres\n\nrow locks", "--kind", "decision").code == 0
    assert run(capsys, "import", str(history(tmp_path))).code == 0
    assert run(capsys, "search", "locks").code == 0
    home = paths.data_dir()
    root = store().root
    assert root.is_relative_to(home) and paths.cache_dir().is_relative_to(home)
    objects = [p for p in (root / ".git" / "objects").rglob("*") if p.is_file()]
    segments = list((paths.index_dir_for(root) / "tantivy").iterdir())
    assert objects and any(p.suffix == ".idx" for p in segments)  # git's and tantivy's own
    assert not_private(home) == []
    assert git("config", "core.sharedRepository").strip() == "0600"
    assert stat.S_IMODE(objects[0].stat().st_mode) == 0o400


def test_a_data_dir_an_older_aidermem_made_open_is_made_private_on_its_next_write(
        shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "add", "First memory").code == 0
    secret_patterns.library_patterns()  # its cache file, as any first run in a process writes it
    assert (paths.cache_dir() / secret_patterns.CACHE_NAME).is_file()
    home = paths.data_dir()
    for path in [home, *home.rglob("*")]:  # as the umask left it before this change
        path.chmod(0o755 if path.is_dir() else 0o644)
    subprocess.run(["git", "-C", str(store().root), "config", "--unset",
                    "core.sharedRepository"], check=False)  # older stores never had it
    assert run(capsys, "add", "Second memory").code == 0
    # Store, git, journal, index cache, pattern cache; AIDERMEM_HOME itself is the user's to
    # name (it could be /tmp), so its own mode is left, with nothing inside it readable.
    assert not_private(home) == ["0o755 ."]
    assert git("config", "core.sharedRepository").strip() == "0600"


def test_a_rescued_edit_is_private_and_redacted(shop: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    run(capsys, "add", "Deploy notes")
    (_, memory), = store().iter_memories()
    monkeypatch.setenv("EDITOR", write_editor(tmp_path / "ed.py", (
        "t = p.read_text().replace('kind: note', 'kind: [oops')\n"
        f"p.write_text(t + '\\nexport OPENAI_API_KEY={SECRET}\\n')\n")))
    r = run(capsys, "edit", memory.id)
    assert r.code == 1
    rescued = Path(re.search(r"your edit is kept in (\S+);", r.err).group(1))  # type: ignore[union-attr]
    text = rescued.read_text(encoding="utf-8")
    assert "kind: [oops" in text and SECRET not in text and "[REDACTED:openai]" in text
    assert stat.S_IMODE(rescued.stat().st_mode) == 0o600
    assert stat.S_IMODE(rescued.parent.stat().st_mode) == 0o700
    assert not_private(paths.data_dir()) == []


def test_a_folder_the_user_named_keeps_its_own_mode_and_its_other_files(
        shop: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"  # as if AIDERMEM_CACHE_DIR=/tmp
    shared.mkdir()
    shared.chmod(0o755)
    (shared / "someone-elses.txt").write_text("x")
    (shared / "someone-elses.txt").chmod(0o644)
    monkeypatch.setenv("AIDERMEM_CACHE_DIR", str(shared))
    assert run(capsys, "add", "Cached elsewhere").code == 0
    for path in [paths.data_dir(), *paths.data_dir().rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)  # an older aidermem's store
    assert run(capsys, "add", "Second memory").code == 0
    assert run(capsys, "search", "cached").code == 0
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    assert stat.S_IMODE((shared / "someone-elses.txt").stat().st_mode) == 0o644
    assert not_private(paths.index_dir_for(store().root).parent) == []
    assert not_private(store().root) == []

"""The store never follows a symbolic link: a linked memory file or folder is neither read
(whatever it points at, inside the store or out), nor indexed, nor written through.

A real store, a real index and the real CLI; the links point at valid memory files, so
only the link itself can be the reason they are refused.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli_support import SHOP_ID, git, make_repo, memory, put, run, store

from aidermem.errors import MemoryFileError
from aidermem.models import Memory
from aidermem.store import memfile

SECRET_WORD = "zanzibarquokka"  # only in the file outside the store


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = make_repo(tmp_path / "shop")
    monkeypatch.chdir(repo)
    return repo


def outside_memory(folder: Path, tag: str) -> Path:
    """A valid memory file outside the store, in the layout the store uses."""
    folder.mkdir(parents=True, exist_ok=True)
    m = memory(tag, f"Outside {SECRET_WORD}", body=f"private {SECRET_WORD} notes")
    path = folder / f"{m.id}-outside.md"
    path.write_text(memfile.dump(m), encoding="utf-8")
    return path


def test_a_memory_file_that_is_a_symlink_is_reported_and_never_read(
        shop: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (relpath,) = put(memory("AAAA", "Inside"))
    month = store().root / relpath.rsplit("/", 1)[0]
    target = outside_memory(tmp_path / "elsewhere", "BBBB")
    link = month / target.name
    link.symlink_to(target)
    linked = f"{relpath.rsplit('/', 1)[0]}/{target.name}"

    with pytest.raises(MemoryFileError, match="symbolic link"):
        store().load(linked)
    results = dict(store().iter_memories())
    assert isinstance(results[linked], MemoryFileError)
    assert isinstance(results[relpath], Memory)

    listed = run(capsys, "list", "--json")
    assert [m["title"] for m in json.loads(listed.out)["memories"]] == ["Inside"]
    assert f"skipped {linked}: " in listed.err and "symbolic link" in listed.err
    found = run(capsys, "search", SECRET_WORD, "--json")
    assert json.loads(found.out)["hits"] == []
    shown = run(capsys, "show", "01JQBBBB")
    assert shown.code == 1 and SECRET_WORD not in shown.out
    reindexed = run(capsys, "reindex", "--json")
    assert [s["path"] for s in json.loads(reindexed.out)["skipped"]] == [linked]


def test_a_link_to_a_memory_inside_the_store_is_not_followed_either(shop: Path) -> None:
    (relpath,) = put(memory("AAAA", "Inside"))
    month = store().root / relpath.rsplit("/", 1)[0]
    (month / "01JQCCCC000000000000000000-copy.md").symlink_to(store().root / relpath)
    (broken,) = [r for p, r in store().iter_memories() if p != relpath]
    assert isinstance(broken, MemoryFileError) and "symbolic link" in broken.reason


def test_folders_that_are_symlinks_are_not_walked(shop: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    put(memory("AAAA", "Inside"))
    root = store().root
    outside_memory(tmp_path / "other" / "2025" / "01", "BBBB")
    (root / "github.com-acme-billing").symlink_to(tmp_path / "other")
    outside_memory(tmp_path / "month", "CCCC")
    (root / "github.com-acme-shop" / "2025" / "02").symlink_to(tmp_path / "month")
    assert [m.title for _, m in store().iter_memories()] == ["Inside"]
    found = run(capsys, "search", SECRET_WORD, "--all-projects", "--json")
    assert json.loads(found.out)["hits"] == []


def test_a_write_never_goes_through_a_linked_folder(shop: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    put(memory("AAAA", "Inside"))
    root = store().root
    outside = tmp_path / "outside"
    outside.mkdir()
    project = root / "github.com-acme-shop"
    project.rename(tmp_path / "moved")
    project.symlink_to(outside)
    head = git("rev-parse", "HEAD")
    r = run(capsys, "add", "A new memory", "--project", SHOP_ID)
    assert r.code == 1
    assert r.err.startswith("aidermem: error: ") and "symbolic link" in r.err
    assert list(outside.rglob("*")) == []
    assert git("rev-parse", "HEAD") == head

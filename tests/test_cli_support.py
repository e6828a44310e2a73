"""Shared helpers for the CLI tests (no tests here).

Memories are written with the real Store into the isolated AIDERMEM_HOME, so
the CLI under test finds them exactly as it would find a user's; the index is
synced by the CLI itself. Fixed ids make short ids, and so exact output,
predictable.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aidermem import paths
from aidermem.cli import main as cli
from aidermem.models import Kind, Memory, Status
from aidermem.store.store import Store

SHOP_REMOTE = "git@github.com:acme/shop.git"
SHOP_ID = "github.com/acme/shop"
OTHER_ID = "github.com/acme/billing"
CREATED = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)


@dataclass
class Ran:
    code: int
    out: str
    err: str


def make_repo(path: Path, remote: str | None = SHOP_REMOTE) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    if remote:
        subprocess.run(["git", "-C", str(path), "remote", "add", "origin", remote], check=True)
    return path


def run(capsys, *argv: str) -> Ran:
    """`aidermem ARGV` in this process; stdout/stderr as the user would see them."""
    capsys.readouterr()  # drop anything printed before
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return Ran(code, captured.out, captured.err)


def run_process(*argv: str, cwd: Path, stdin: str | None = None,
                env: dict[str, str] | None = None) -> Ran:
    """The real command line: `python -m aidermem ARGV` in a child process."""
    done = subprocess.run(
        [sys.executable, "-m", "aidermem", *argv], cwd=cwd, input=stdin, text=True,
        capture_output=True, env={**os.environ, **(env or {})}, timeout=120, check=False,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def ulid(tag: str) -> str:
    """A valid-looking 26-character id whose first 8 characters are unique per tag."""
    assert len(tag) == 4
    return f"01JQ{tag}" + "0" * 18


def memory(tag: str, title: str, *, kind: Kind = Kind.NOTE, body: str = "",
           project: str = SHOP_ID, created: datetime = CREATED, **kw) -> Memory:
    name = {SHOP_ID: "shop", OTHER_ID: "billing", "": ""}[project]
    return Memory(id=ulid(tag), title=title, kind=kind, body=body, project=project,
                  project_name=name, created=created, updated=created, **kw)


def put(*memories: Memory) -> list[str]:
    """Commit these memories to the store in one commit, as an import would."""
    return store().add_many(list(memories), "test memories")


def store() -> Store:
    return Store.open(paths.default_store_dir())


def git(*args: str) -> str:
    root = paths.default_store_dir()
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True).stdout


def day(moment: datetime) -> str:
    return moment.astimezone().date().isoformat()


def write_editor(path: Path, script: str) -> str:
    """An executable $EDITOR: a Python script that gets the file to edit as argv[1]."""
    path.write_text(f"#!{sys.executable}\nimport sys, pathlib\np = pathlib.Path(sys.argv[1])\n"
                    + script)
    path.chmod(0o755)
    return str(path)


__all__ = ["CREATED", "OTHER_ID", "SHOP_ID", "Kind", "Ran", "Status", "day", "git", "make_repo",
           "memory", "put", "run", "run_process", "store", "ulid", "write_editor"]

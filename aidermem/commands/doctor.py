"""`aidermem doctor`: check that everything aidermem needs is in place.

Each check reports ok, warn or fail with one line of detail; the command
exits 1 when any check fails. A check that raises an AidermemError becomes a
failed check, never a crash: diagnosing is this command's whole job. It never
creates the store; it only syncs the index, which is a cache.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TypeVar

from aidermem import gitutil, paths
from aidermem.capture.journal import Journal, State, owner_alive
from aidermem.commands.app import App
from aidermem.commands.output import Result, Style
from aidermem.commands.payloads import Check, DoctorPayload
from aidermem.errors import EXIT_ERROR, AidermemError
from aidermem.index.memory_index import MemoryIndex
from aidermem.launch import runner
from aidermem.store.store import Store

HELP = "check the store, index, aider and configuration"
AIDER_VERSION_TIMEOUT = 60.0
MAX_LISTED = 5
_LABEL = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options of its own


def run(args: argparse.Namespace, app: App) -> Result:
    del args
    checks: list[Check] = []
    store_root = _guarded(checks, "config", lambda: _config(app))
    store = _guarded(checks, "store", lambda: _store(store_root or paths.default_store_dir()))
    if store is not None:
        _guarded(checks, "index", lambda: _index(store))
    _guarded(checks, "semantic", lambda: _semantic(app, store))
    _guarded(checks, "aider", _aider)
    checks.append(Check(name="versions", status="ok", detail=_versions()))
    _guarded(checks, "journal", _journal)
    ok = all(c.status != "fail" for c in checks)
    return Result(DoctorPayload(ok=ok, checks=checks), exit_code=0 if ok else EXIT_ERROR)


T = TypeVar("T")


def _guarded(
    checks: list[Check], name: str, check: Callable[[], tuple[list[Check], T]]
) -> T | None:
    try:
        found, value = check()
    except AidermemError as exc:
        checks.append(Check(name=name, status="fail", detail=_sentence(exc)))
        return None
    checks.extend(found)
    return value


def _sentence(exc: AidermemError) -> str:
    return f"{exc.message} — {exc.hint}" if exc.hint else exc.message


def _config(app: App) -> tuple[list[Check], Path]:
    resolved = app.resolved
    files = ", ".join(str(f) for f in resolved.files) or "none (built-in defaults)"
    return [Check(name="config", status="ok", detail=f"files: {files}")], resolved.settings.store


def _store(root: Path) -> tuple[list[Check], Store | None]:
    if not root.exists():
        detail = f"no store yet at {root}; `aidermem add` or a session creates it"
        return [Check(name="store", status="warn", detail=detail)], None
    store = Store.open(root, create=False)
    files = sum(1 for _ in store.iter_paths())
    changed = gitutil.changed_files(store.root)
    if changed:
        listed = ", ".join(changed[:MAX_LISTED]) + (" …" if len(changed) > MAX_LISTED else "")
        return [Check(name="store", status="warn", detail=(
            f"{store.root}: {len(changed)} uncommitted change(s): {listed}; they are searchable, "
            f"commit them with `git -C {store.root} commit -am 'hand edits'`"))], store
    return [Check(name="store", status="ok",
                  detail=f"{store.root} (git repository, clean, {files} memory files)")], store


def _index(store: Store) -> tuple[list[Check], None]:
    index = MemoryIndex.open(store)
    report = index.sync()
    broken = index.broken()
    readable = sum(1 for _ in store.iter_paths()) - len(broken)
    docs = index.count()
    rebuilt = " (it was missing or outdated and has been rebuilt)" if report.rebuilt else ""
    if docs == readable:
        checks = [Check(name="index", status="ok",
                        detail=f"{index.directory}: {docs} documents, in sync{rebuilt}")]
    else:
        checks = [Check(name="index", status="fail", detail=(
            f"{index.directory}: {docs} documents but {readable} readable memory files; "
            "run `aidermem reindex`"))]
    if broken:
        listed = "; ".join(f"{e.path}: {e.reason}" for e in broken)
        checks.append(Check(name="memory files", status="warn", detail=(
            f"{len(broken)} malformed, skipped until fixed: {listed}")))
    else:
        checks.append(Check(name="memory files", status="ok", detail="all parse"))
    return checks, None


def _semantic(app: App, store: Store | None) -> tuple[list[Check], None]:
    """The embedding model loads from its package (never the network) and the vector cache
    covers the index."""
    from aidermem.index import embedding, fusion, vectors

    setting = app.settings.semantic
    if not setting:
        return [Check(name="semantic", status="ok",
                      detail="off (semantic = false): search ranks by BM25 only")], None
    index = MemoryIndex.open(store) if store is not None else None
    count = index.searcher().num_docs if index is not None else 0
    if not fusion.in_force(setting, count):
        return [Check(name="semantic", status="ok", detail=(
            f'off (semantic = "auto" and {count} memories, over {fusion.AUTO_MAX:,}): search '
            "ranks by BM25 only; `semantic = true` ranks by meaning too, at a cost"))], None
    found = embedding.files()
    if found is None:
        return [Check(name="semantic", status="warn", detail=(
            "the embedding model (wordllama 0.3.3.post0) is not installed, so search ranks by "
            "BM25 only; reinstall aidermem, or set `semantic = false`"))], None
    embedding.embed_query("doctor")
    detail = f"{embedding.MODEL}, from {found[0].parent.parent} (offline)"
    if index is not None:
        cached = vectors.current(index)
        detail += f"; {len(cached.relpaths)} vectors cached"
    if setting == "auto":
        detail += f' (semantic = "auto": on up to {fusion.AUTO_MAX:,} memories)'
    return [Check(name="semantic", status="ok", detail=detail)], None


def _aider() -> tuple[list[Check], None]:
    path = runner.find_aider()
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True,
                              timeout=AIDER_VERSION_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [Check(name="aider", status="fail", detail=f"{path} --version failed: {exc}")], None
    version = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if done.returncode != 0 or not version:
        reason = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return [Check(name="aider", status="fail",
                      detail=f"{path} --version failed: {reason}")], None
    return [Check(name="aider", status="ok", detail=f"{path} ({version})")], None


def _versions() -> str:
    found = []
    for dist in ("aidermem", "tantivy", "pydantic"):
        try:
            found.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            found.append(f"{dist} (not installed as a package)")
    return ", ".join([*found, f"python {platform.python_version()}"])


def _journal() -> tuple[list[Check], None]:
    journal = Journal()
    waiting, running, unreadable = 0, 0, []
    for entry in journal.entries():
        if isinstance(entry, tuple):
            unreadable.append(f"{entry[0]}: {entry[1]}")
        elif entry.state == State.RUNNING and owner_alive(entry):
            running += 1
        else:
            waiting += 1
    checks = []
    if waiting:
        checks.append(Check(name="journal", status="warn", detail=(
            f"{waiting} session(s) not yet saved as memories; "
            "`aidermem capture --pending` finishes them")))
    if unreadable:
        checks.append(Check(name="journal", status="warn",
                            detail=f"unreadable entries: {'; '.join(unreadable)}"))
    if not checks:
        detail = f"{running} session(s) running, nothing pending" if running else "nothing pending"
        checks.append(Check(name="journal", status="ok", detail=detail))
    return checks, None


def render(payload: DoctorPayload, style: Style) -> str:
    lines = [f"{_LABEL[c.status]}  {c.name}: {c.detail}" for c in payload.checks]
    failed = sum(c.status == "fail" for c in payload.checks)
    warned = sum(c.status == "warn" for c in payload.checks)
    if failed:
        lines.append(style.bold(f"{failed} check(s) failed"))
    else:
        lines.append("all checks passed" + (f" ({warned} warning(s))" if warned else ""))
    return "\n".join(lines)

"""`aidermem [aider args…]`: retrieve at launch, run aider, capture at exit.

The flow, in order:
  1. plan the launch: our --mem-* flags, the settings and aider's argv, read once
     (launch/plan.py);
  2. recover sessions a killed aidermem left in the journal (their extractive
     memories are stored now, so this session already sees them);
  3. journal this session (history file offset, HEAD) before aider starts;
  4. start aider with the configured read-only files plus the context file,
     and render the context while aider starts up (aider only checks that a
     --read file exists at start-up and re-reads it on every request);
  5. after aider exits, however it exits, capture the session: the journaled
     slice becomes an extractive memory at once, and a model summary follows
     in the background (or in the foreground, by setting).

aidermem exits with aider's own status, even when capture fails (the journal
keeps the session for the next run). Nothing here prints while aider owns
the terminal; warnings are collected and printed after it exits.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from aidermem import gitutil
from aidermem.capture import own_history
from aidermem.capture.journal import Entry, Journal, State, process_identity
from aidermem.errors import EXIT_INTERRUPTED, AidermemError
from aidermem.launch import context_file, runner
from aidermem.launch.plan import LaunchPlan, build_argv, plan_launch
from aidermem.project import Project, project_dirname, remember

if TYPE_CHECKING:  # imported where used: aider must start before the heavy imports
    from aidermem import config
    from aidermem.capture import llm
    from aidermem.retrieve import live_session

T = TypeVar("T")


def _say(message: str) -> None:
    # After a hangup the terminal is gone: a message that cannot be shown is dropped.
    with contextlib.suppress(OSError):
        print(message, file=sys.stderr, flush=True)


def _has_memories(store_root: Path, project: Project, scope: object) -> bool:
    """Cheap check (no index, no parsing) whether retrieval can find anything."""
    if not store_root.is_dir():
        return False
    if scope == "project":
        folders = [store_root / project_dirname(p) for p in (*project.ids, "")]
    else:
        folders = [p for p in store_root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    for folder in folders:
        if not folder.is_dir():
            continue
        for _dirpath, _dirs, files in os.walk(folder):
            if any(name.endswith(".md") for name in files):
                return True
    return False


@dataclass(frozen=True)
class ContextPreview:
    """`aidermem context`: what a launch with the same arguments would hand aider."""

    project: Project
    settings: config.Settings
    no_file: str  # why aider would get no context file at all; "" when it gets one
    text: str  # the context file's text ("" with no file)
    query: str
    memory_ids: tuple[str, ...]
    warnings: tuple[str, ...]


def preview_context(argv: list[str], cwd: Path, env: Mapping[str, str]) -> ContextPreview:
    """The launch's own steps up to the context file, without starting aider or writing any
    file: the same plan (flags, settings, aider args), query and budget."""
    from aidermem.retrieve import launch_context

    plan = plan_launch(argv, cwd, env)
    project, settings = plan.project, plan.settings
    notes: list[str] = []
    if not settings.enabled:
        why = "memory is off for this launch (--mem-off or `enabled = false`)"
        return ContextPreview(project, settings, why, "", "", (), ())
    if not _has_memories(settings.store, project, settings.scope):
        why = "no memories for this project yet"
        return ContextPreview(project, settings, why, "", "", (), ())
    built = launch_context.build(project, plan.aider, settings, notes.append)
    return ContextPreview(project, settings, "", built.text or context_file.NOTHING_FOUND,
                          built.query, built.memory_ids, tuple(notes))


def _retrieve_into(plan: LaunchPlan, path: Path, notes: list[str]) -> tuple[str, tuple[str, ...]]:
    """Render the context file; return its text and the ids it shows (imports: aider starts)."""
    try:
        from aidermem.retrieve import launch_context

        built = launch_context.build(plan.project, plan.aider, plan.settings, notes.append)
        text, shown = built.text, built.memory_ids
    except Exception as exc:  # retrieval must never stop aider from starting
        notes.append(f"aidermem: warning: could not load memories: {exc}")
        text, shown = None, ()
    context_file.write(path, text or context_file.NOTHING_FOUND)
    return text or context_file.NOTHING_FOUND, shown


def _llm_config(plan: LaunchPlan) -> llm.LLMConfig | None:
    from aidermem.capture import llm

    values, settings = plan.values, plan.settings
    return llm.resolve_config(
        llm.Models(values.model, values.weak_model, settings.summary_model),
        env=plan.env, timeout=settings.llm_timeout,
        credentials=llm.Credentials(
            dotenv_files=values.dotenv_files, set_env=list(values.args.set_env),
            api_keys=list(values.args.api_key), api_key=values.openai_api_key,
            api_base=values.openai_api_base),
    )


def _ask_to_save() -> bool:
    if not sys.stdin.isatty():
        return True
    from aidermem.launch import question

    # Enter saves: keeping what was said is the safe default. No answer (Ctrl-C, a
    # hangup) is not a yes.
    return question.ask("aidermem: save this session to memory?", default=True) is True


def launch(argv: list[str]) -> int:
    plan = plan_launch(argv, Path.cwd(), dict(os.environ))
    remember(plan.project)
    exe = runner.find_aider()
    if not plan.basics.enabled:
        return _without_memory(plan, exe)
    return _with_memory(plan, exe)


def _without_memory(plan: LaunchPlan, exe: str) -> int:
    """--mem-off: plain aider; only the fact that this session is not to be saved is kept."""
    command = build_argv(plan, exe, context_path=None)
    try:
        history: Path | None = plan.values.chat_history_file
    except AidermemError:  # aider's own config is broken: plain aider says so itself
        history = None
    offset = history.stat().st_size if history and history.is_file() else 0
    status = runner.run_aider(command, cwd=plan.cwd, env=plan.env)
    if history is not None:
        _remember_unsaved(history, offset, "mem-off")
    return status


def _with_memory(plan: LaunchPlan, exe: str) -> int:
    basics, values = plan.basics, plan.values
    if not (basics.store / ".git").exists():
        # First run: the store must exist before the session is journaled, so that a
        # killed aidermem's session can be recovered into it. Later runs skip the import.
        from aidermem.store.store import Store

        Store.open(basics.store)
    journal = Journal()
    notes: list[str] = []
    # Recovery imports the capture machinery: only pay for it when there is work.
    pending = _recover(journal, notes) if journal.has_entries() else []

    tmpdir: Path | None = None
    context_path: Path | None = None
    if _has_memories(basics.store, plan.project, basics.scope):
        # mkdtemp makes it 0700: only this user can read the memories inside.
        tmpdir = context_file.make_dir()
        context_path = tmpdir / context_file.NAME
        context_file.write(context_path, context_file.PLACEHOLDER)
    command, before = _own_history(plan, build_argv(plan, exe, context_path=context_path),
                                   journal, notes)
    try:
        status, entry = _run(plan, command, context_path, before, journal, notes)
    finally:
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)
    for note in notes:
        _say(note)

    if entry is None and plan.settings.capture == "off":
        _remember_unsaved(values.chat_history_file, before.offset, "no-capture")
    if entry is not None:
        try:
            _capture_after_exit(plan, entry, journal)
        except (AidermemError, OSError) as exc:
            reason = exc.message if isinstance(exc, AidermemError) else str(exc)
            _say(f"aidermem: warning: could not save this session yet ({reason}); it is kept "
                 "in the journal and the next aidermem run (or `aidermem capture --pending`) "
                 "saves it")
        except KeyboardInterrupt:
            _say(_interrupted(journal, entry.session_id))
            return EXIT_INTERRUPTED
    if pending:
        from aidermem.capture import driver as capture

        capture.spawn_background(pending, env=_child_env(plan))
    return status


def _own_history(plan: LaunchPlan, command: list[str], journal: Journal, notes: list[str]
                 ) -> tuple[list[str], Before]:
    """Where this session's transcript and history begin, taken before aider can write.

    A captured session's aider writes a history file of its own, so another aider in the
    same repo cannot mix its turns into this session's (own_history.py).
    """
    history = plan.values.chat_history_file
    own: Path | None = None
    offset = history.stat().st_size if history.is_file() else 0
    if plan.basics.capture != "off":
        try:
            own = own_history.path_for(journal.root)
            offset = own_history.prepare(own, history, restore=plan.values.restore_chat_history)
            command = [command[0], *own_history.with_flag(command[1:], own)]
        except OSError as exc:  # then aider writes to the user's file, as it would bare
            notes.append(f"aidermem: warning: cannot make this session's own history file "
                         f"({exc}); another aider in this repo may mix its turns into it")
            own = None
    root = plan.project.root
    return command, Before(offset=offset, head=gitutil.head(root) if root else None,
                           started=datetime.now(UTC).replace(microsecond=0).isoformat(),
                           own_history=own)


def _run(plan: LaunchPlan, command: list[str], context_path: Path | None, before: Before,
         journal: Journal, notes: list[str]) -> tuple[int, Entry | None]:
    """Start aider, journal the session and write the context file while aider starts;
    return aider's status and the journal entry (None when the session is not captured)."""
    entry: Entry | None = None
    live: live_session.LiveSession | None = None
    try:
        if context_path is not None and (plan.aider.aider.message
                                         or plan.aider.aider.message_file):
            # aider sends at once: the file must be ready before it starts.
            _retrieve_into(plan, context_path, notes)
            context_path = None
        proc = runner.start_aider(command, cwd=plan.cwd, env=plan.env)
        with proc:
            if context_path is not None:  # imported after the spawn: off aider's start path
                from aidermem.retrieve.live_session import attach
                live = attach(proc, before.own_history or plan.values.chat_history_file,
                              before.offset, plan.aider.aider.files)
            if plan.basics.capture != "off":
                entry = _new_entry(plan, before)
                journal.write(entry)
            context_file.remove_stale_dirs()
            # aider takes seconds to start and its output waits in the pty: config and
            # retrieval overlap that start-up instead of delaying it, at a lower CPU
            # priority, so that on a busy machine aider's own start-up comes first.
            _at_low_priority(lambda: _prepare(plan, context_path, live, notes))
            status = proc.wait()
    finally:
        notes.extend(live.receipt() if live is not None else [])  # before the file goes
    return status, entry


def _prepare(plan: LaunchPlan, context_path: Path | None,
             live: live_session.LiveSession | None, notes: list[str]) -> None:
    """While aider starts: the full settings, then the context file (and live retrieval)."""
    settings = plan.settings
    if context_path is not None:
        launched = _retrieve_into(plan, context_path, notes)
        if live is not None:
            live.activate(context_path, plan.project, settings, *launched)


def _remember_unsaved(history: Path, offset: int, reason: str) -> None:
    """Record that the session aider just appended to `history` is not to be saved, so a
    later `aidermem import` of that file leaves it out too (only its id is kept)."""
    from aidermem.capture import session_ids

    try:
        session_ids.record_unsaved_run(history, offset, reason)
    except OSError as exc:
        _say(f"aidermem: warning: could not record that this session is not to be saved "
             f"({exc}) — a later `aidermem import` of {history} would import it")


def _interrupted(journal: Journal, session_id: str) -> str:
    """What a Ctrl-C while saving left: the journal says how far the session got."""
    left = journal.load(session_id)
    if left is None:
        return "aidermem: interrupted; this session was already saved"
    if left.state is State.STORED:
        return ("aidermem: interrupted while waiting for the model summary; the extractive "
                "summary is saved, and the next aidermem run asks the model again")
    return ("aidermem: interrupted; the session is kept in the journal and the next "
            "aidermem run saves it")


@dataclass(frozen=True)
class Before:
    """The state a session starts from, read before aider is spawned."""

    offset: int  # size of the chat history file (own_history's, when there is one)
    head: str | None  # the repo's HEAD
    started: str  # ISO 8601, aware
    own_history: Path | None = None  # the history file this session's aider writes alone


def _new_entry(plan: LaunchPlan, before: Before) -> Entry:
    from ulid import ULID

    project, values, basics = plan.project, plan.values, plan.basics
    return Entry(
        session_id=str(ULID()), state=State.RUNNING, started=before.started,
        cwd=str(plan.cwd), repo_root=str(project.root) if project.root else None,
        project_id=project.id, project_name=project.name, store_root=str(basics.store),
        history_path=str(values.chat_history_file), history_offset=before.offset,
        head_before=before.head, owner_pid=os.getpid(),
        owner_start=process_identity(os.getpid()), main_model=values.model,
        weak_model=values.weak_model, summary_model=basics.summary_model,
        api_base=values.openai_api_base, dotenv_files=[str(p) for p in values.dotenv_files],
        own_history=str(before.own_history) if before.own_history else None,
    )


def _recover(journal: Journal, notes: list[str]) -> list[str]:
    """Finish what killed sessions left, up to their extractive memories; return the
    ids still owed a model summary (a background process asks the model later)."""
    from aidermem.capture import driver as capture
    from aidermem.index.memory_index import MemoryIndex
    from aidermem.store.store import Store

    owed = []
    for found in capture.recover(journal, notes.append):
        with journal.claim(found.session_id) as mine:
            entry = journal.load(found.session_id) if mine else None
            if entry is None:
                continue  # finished, or being finished by another process
            try:
                store = Store.open(Path(entry.store_root), create=False)
                outcome = capture.finish(entry, journal, store=store,
                                         index=MemoryIndex.open(store), config=None,
                                         notify=notes.append, defer_summary=True)
            except AidermemError as exc:
                notes.append(f"aidermem: warning: could not recover session "
                             f"{entry.session_id}: {exc.message}")
                continue
        if outcome.retry:
            owed.append(entry.session_id)
    return owed


def _at_low_priority(work: Callable[[], T]) -> T:
    """`work()`, run in a thread whose CPU priority is lowered (nice +10; on Linux the
    priority is per thread, and what it starts inherits it), while this one waits."""
    done: list[T] = []
    failed: list[BaseException] = []

    def run() -> None:
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        try:
            done.append(work())
        except BaseException as exc:  # handed to the waiting thread, raised there
            failed.append(exc)

    thread = threading.Thread(target=run, name="aidermem-prepare", daemon=True)
    thread.start()
    thread.join()
    if failed:
        raise failed[0]
    return done[0]


def _child_env(plan: LaunchPlan) -> dict[str, str]:
    """The background summarizer's environment: keys live here, never on disk."""
    from aidermem.capture import llm

    child = dict(plan.env)
    cfg = _llm_config(plan)
    if cfg is not None:
        child.update(cfg.extra_env)
        if cfg.api_key and llm.provider_of(cfg.model) == "openai":
            child["OPENAI_API_KEY"] = cfg.api_key
    return child


def _capture_after_exit(plan: LaunchPlan, entry: Entry, journal: Journal) -> None:
    from aidermem.capture import driver as capture
    from aidermem.index.memory_index import MemoryIndex
    from aidermem.store.store import Store

    settings = plan.settings
    store = Store.open(settings.store)
    with journal.claim(entry.session_id) as mine:
        # Re-read under the claim: never act on a copy another process moved on from.
        current = journal.load(entry.session_id) if mine else None
        if current is None or not capture.collect_session(current, journal):
            return
        if settings.capture == "ask" and not _ask_to_save():
            # The session now sits in the user's history where it was handed on to it
            # (own_history), else where aider itself began writing it.
            start = (current.handed_on_at if current.own_history and current.handed_on_at
                     is not None else current.history_offset)
            _remember_unsaved(Path(current.history_path), start, "declined")
            journal.remove(current.session_id)
            _say("aidermem: session not saved")
            return
        cfg = _llm_config(plan)
        foreground = settings.summarize == "foreground" or cfg is None
        if cfg is not None and foreground:
            _say(f"aidermem: asking {cfg.model} for a summary of this session "
                 "(Ctrl-C skips the wait; the extractive summary is saved first)")
        outcome = capture.finish(
            current, journal, store=store, index=MemoryIndex.open(store), config=cfg,
            notify=_say, defer_summary=not foreground,
        )
    line = capture.receipt(outcome, background=not foreground)
    if line:
        _say(line)
    if not foreground and outcome.retry:
        capture.spawn_background([current.session_id], env=_child_env(plan))

"""`aidermem [aider args…]`: retrieve at launch, run aider, capture at exit.

The flow, in order:
  1. read our --mem-* flags and the resolved settings (profile, config files);
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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from aidermem import gitutil, paths
from aidermem.capture import own_history
from aidermem.capture.journal import Entry, Journal, State, process_identity
from aidermem.errors import EXIT_INTERRUPTED, AidermemError
from aidermem.launch import aider_config, context_file, runner
from aidermem.launch.aider_args import LaunchArgs, split_launch_argv
from aidermem.project import Project, identify, project_dirname, remember

if TYPE_CHECKING:  # imported where used: aider must start before the heavy imports
    from aidermem import config
    from aidermem.capture import llm
    from aidermem.retrieve import live_session

T = TypeVar("T")


def _say(message: str) -> None:
    # After a hangup the terminal is gone: a message that cannot be shown is dropped.
    with contextlib.suppress(OSError):
        print(message, file=sys.stderr, flush=True)


# What makes a launch "configured". When none of it is present, the settings aider's
# start depends on are the defaults, and config (pydantic) is resolved after the spawn.
# tests/launch/test_launcher_fast_path.py checks these against aidermem.config.
@dataclass(frozen=True)
class Basics:
    """The settings needed before aider is spawned (a subset of config.Settings)."""

    enabled: bool = True
    aider_args: list[str] = field(default_factory=list)
    read: list[Path] = field(default_factory=list)
    scope: object = "project"
    capture: str = "on"
    store: Path = field(default_factory=paths.default_store_dir)
    summary_model: str | None = None


def unconfigured(args: LaunchArgs, project_root: Path | None, env: Mapping[str, str]) -> bool:
    """True when no config file, variable or --mem-* setting applies to this launch."""
    if args.mem_profile or args.mem_budget is not None or args.mem_no_capture:
        return False
    return paths.unconfigured(project_root, env)


def _resolve(args: LaunchArgs, cwd: Path, project: Project, env: Mapping[str, str]
             ) -> config.Settings:
    from aidermem import config

    return config.resolve(
        cwd=cwd, project_root=project.root, profile=args.mem_profile, env=env,
        cli=config.cli_overrides(
            mem_off=args.mem_off, mem_no_capture=args.mem_no_capture, mem_budget=args.mem_budget
        ),
    ).settings


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


def _aider_view(settings: config.Settings | Basics, args: LaunchArgs) -> LaunchArgs:
    """What aider will see: the profile's arguments, then the user's own (which win)."""
    return split_launch_argv([*settings.aider_args, *args.aider_argv])


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
    file: the same flags, settings (profile, config), aider args, query and budget."""
    from aidermem.retrieve import launch_context

    args = split_launch_argv(argv)
    project = identify(cwd)
    settings = _resolve(args, cwd, project, env)
    notes: list[str] = []
    if not settings.enabled:
        why = "memory is off for this launch (--mem-off or `enabled = false`)"
        return ContextPreview(project, settings, why, "", "", (), ())
    if not _has_memories(settings.store, project, settings.scope):
        why = "no memories for this project yet"
        return ContextPreview(project, settings, why, "", "", (), ())
    built = launch_context.build(project, _aider_view(settings, args), settings, notes.append)
    return ContextPreview(project, settings, "", built.text or context_file.NOTHING_FOUND,
                          built.query, built.memory_ids, tuple(notes))


def build_argv(
    exe: str,
    args: LaunchArgs,
    settings: config.Settings | Basics,
    *,
    context_path: Path | None,
    cwd: Path,
    env: Mapping[str, str],
    values: aider_config.AiderValues | None = None,
) -> list[str]:
    """Profile args first, then our --read files, then the user's own args (which win).

    A command-line --read replaces aider's configured `read:` list, so when we
    add one and the user gave none, the configured reads are passed again.
    `values`: that same argv, already resolved (saves resolving it again).
    """
    profile_args = list(settings.aider_args)
    ours = [str(p) for p in settings.read]
    if context_path is not None:
        ours.append(str(context_path))
    reads: list[str] = []
    if ours:
        everything = split_launch_argv([*profile_args, *args.aider_argv])
        if values is not None:
            reads = aider_config.configured_reads(everything, values)
        else:
            reads = aider_config.reads_to_pass(everything, cwd, env)
        reads = [r for r in reads if r not in ours] + ours
    # `--read=PATH`: a path that starts with "-" must not read as an option.
    return [exe, *profile_args, *(f"--read={path}" for path in reads), *args.aider_argv]


def _retrieve_into(
    path: Path, project: Project, args: LaunchArgs, settings: config.Settings, notes: list[str],
) -> tuple[str, tuple[str, ...]]:
    """Render the context file; return its text and the ids it shows (imports: aider starts)."""
    try:
        from aidermem.retrieve import launch_context

        built = launch_context.build(project, args, settings, notes.append)
        text, shown = built.text, built.memory_ids
    except Exception as exc:  # retrieval must never stop aider from starting
        notes.append(f"aidermem: warning: could not load memories: {exc}")
        text, shown = None, ()
    context_file.write(path, text or context_file.NOTHING_FOUND)
    return text or context_file.NOTHING_FOUND, shown


def _llm_config(settings: config.Settings, env: Mapping[str, str],
                values: aider_config.AiderValues) -> llm.LLMConfig | None:
    from aidermem.capture import llm

    return llm.resolve_llm_config(
        main_model=values.model,
        weak_model=values.weak_model,
        summary_model=settings.summary_model,
        api_base=values.openai_api_base,
        api_key=values.openai_api_key,
        api_keys=list(values.args.api_key),
        set_env=list(values.args.set_env),
        env=env,
        dotenv_files=values.dotenv_files,
        timeout=settings.llm_timeout,
    )


def _ask_to_save() -> bool:
    if not sys.stdin.isatty():
        return True
    from aidermem.launch import question

    # Enter saves: keeping what was said is the safe default. No answer (Ctrl-C, a
    # hangup) is not a yes.
    return question.ask("aidermem: save this session to memory?", default=True) is True


def launch(argv: list[str]) -> int:
    args = split_launch_argv(argv)
    cwd = Path.cwd()
    env = dict(os.environ)
    project = identify(cwd)
    remember(project)
    # Unconfigured (the common case): aider starts on defaults and config is read
    # after the spawn, so pydantic's import does not delay aider.
    full: config.Settings | None = None
    if unconfigured(args, project.root, env):
        settings: config.Settings | Basics = Basics(enabled=not args.mem_off)
    else:
        settings = full = _resolve(args, cwd, project, env)
    exe = runner.find_aider()

    # What aider will see: the profile's arguments, then the user's own (which win).
    combined = _aider_view(settings, args)
    if not settings.enabled:
        plain = build_argv(exe, args, settings, context_path=None, cwd=cwd, env=env)
        try:
            off_history: Path | None = aider_config.resolve_values(
                combined, cwd, env, cwd_root=project.root).chat_history_file
        except AidermemError:  # aider's own config is broken: plain aider says so itself
            off_history = None
        offset = off_history.stat().st_size if off_history and off_history.is_file() else 0
        status = runner.run_aider(plain, cwd=cwd, env=env)
        if off_history is not None:
            _remember_unsaved(off_history, offset, "mem-off")
        return status
    values = aider_config.resolve_values(combined, cwd, env, cwd_root=project.root)
    history = values.chat_history_file

    if not (settings.store / ".git").exists():
        # First run: the store must exist before the session is journaled, so that a
        # killed aidermem's session can be recovered into it. Later runs skip the import.
        from aidermem.store.store import Store

        Store.open(settings.store)
    journal = Journal()
    notes: list[str] = []
    # Recovery imports the capture machinery: only pay for it when there is work.
    pending = _recover(journal, notes) if journal.has_entries() else []

    tmpdir: Path | None = None
    context_path: Path | None = None
    if _has_memories(settings.store, project, settings.scope):
        # mkdtemp makes it 0700: only this user can read the memories inside.
        tmpdir = context_file.make_dir()
        context_path = tmpdir / context_file.NAME
        context_file.write(context_path, context_file.PLACEHOLDER)
    command = build_argv(exe, args, settings, context_path=context_path, cwd=cwd, env=env,
                         values=values)

    # Where this session's transcript and history begin, taken before aider can write;
    # the journal entry itself is written just after the spawn (off aider's start path).
    # A captured session's aider writes a history file of its own: another aider in the
    # same repo cannot mix its turns into this session's (own_history.py).
    own: Path | None = None
    offset = history.stat().st_size if history.is_file() else 0
    if settings.capture != "off":
        try:
            own = own_history.path_for(journal.root)
            offset = own_history.prepare(own, history, restore=values.restore_chat_history)
            command = [command[0], *own_history.with_flag(command[1:], own)]
        except OSError as exc:  # then aider writes to the user's file, as it would bare
            notes.append(f"aidermem: warning: cannot make this session's own history file "
                         f"({exc}); another aider in this repo may mix its turns into it")
            own = None
    before = Before(
        offset=offset,
        head=gitutil.head(project.root) if project.root else None,
        started=datetime.now(UTC).replace(microsecond=0).isoformat(),
        own_history=own,
    )
    entry: Entry | None = None
    live: live_session.LiveSession | None = None

    try:
        if context_path is not None and (combined.aider.message or combined.aider.message_file):
            # aider sends at once: the file must be ready before it starts.
            full = full or _resolve(args, cwd, project, env)
            _retrieve_into(context_path, project, combined, full, notes)
            context_path = None
        proc = runner.start_aider(command, cwd=cwd, env=env)
        with proc:
            if context_path is not None:  # imported after the spawn: off aider's start path
                from aidermem.retrieve.live_session import attach
                live = attach(proc, own or history, offset, combined.aider.files)
            if settings.capture != "off":
                entry = _new_entry(project, settings.store, values, settings, cwd, before)
                journal.write(entry)
            context_file.remove_stale_dirs()
            # aider takes seconds to start and its output waits in the pty: config and
            # retrieval overlap that start-up instead of delaying it, at a lower CPU
            # priority, so that on a busy machine aider's own start-up comes first.
            def prepare() -> config.Settings:
                resolved = full or _resolve(args, cwd, project, env)
                if context_path is not None:
                    launched = _retrieve_into(context_path, project, combined, resolved, notes)
                    if live is not None:
                        live.activate(context_path, project, resolved, *launched)
                return resolved

            full = _at_low_priority(prepare)
            status = proc.wait()
    finally:
        notes.extend(live.receipt() if live is not None else [])  # before the file goes
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)
    for note in notes:
        _say(note)

    full = full or _resolve(args, cwd, project, env)
    if entry is None and full.capture == "off":
        _remember_unsaved(history, before.offset, "no-capture")
    if entry is not None:
        try:
            _capture_after_exit(entry, journal, full, env, values)
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

        capture.spawn_background(pending, env=_child_env(env, values, full))
    return status


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


def _new_entry(project: Project, store_root: Path, values: aider_config.AiderValues,
               settings: config.Settings | Basics, cwd: Path, before: Before) -> Entry:
    from ulid import ULID

    history = values.chat_history_file
    return Entry(
        session_id=str(ULID()), state=State.RUNNING, started=before.started, cwd=str(cwd),
        repo_root=str(project.root) if project.root else None, project_id=project.id,
        project_name=project.name, store_root=str(store_root), history_path=str(history),
        history_offset=before.offset, head_before=before.head,
        owner_pid=os.getpid(), owner_start=process_identity(os.getpid()),
        main_model=values.model, weak_model=values.weak_model,
        summary_model=settings.summary_model, api_base=values.openai_api_base,
        dotenv_files=[str(p) for p in values.dotenv_files],
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


def _child_env(env: Mapping[str, str], values: aider_config.AiderValues,
               settings: config.Settings) -> dict[str, str]:
    """The background summarizer's environment: keys live here, never on disk."""
    from aidermem.capture import llm

    child = dict(env)
    cfg = _llm_config(settings, env, values)
    if cfg is not None:
        child.update(cfg.extra_env)
        if cfg.api_key and llm.provider_of(cfg.model) == "openai":
            child["OPENAI_API_KEY"] = cfg.api_key
    return child


def _capture_after_exit(entry: Entry, journal: Journal, settings: config.Settings,
                        env: Mapping[str, str], values: aider_config.AiderValues) -> None:
    from aidermem.capture import driver as capture
    from aidermem.index.memory_index import MemoryIndex
    from aidermem.store.store import Store

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
        cfg = _llm_config(settings, env, values)
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
        capture.spawn_background([current.session_id], env=_child_env(env, values, settings))

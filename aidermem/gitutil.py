"""Thin helpers over the `git` command line, for the store and project identity.

This is the edge: the only module that spawns git for aidermem's own needs.
Every query helper answers None or [] for "not a repository" and "no commits
yet" instead of raising, because callers run inside arbitrary directories.
Only `run_git(check=True)` raises, and only StoreError (never a raw
CalledProcessError). It must never import anything from aider.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

from aidermem.errors import StoreError

# Variables that would point git at some other repository than `cwd`; they leak in
# when aidermem runs from a git hook or an editor integration.
_REPO_ENV = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_PREFIX", "GIT_NAMESPACE",
)


_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_LOCKED_RETRIES = 11  # 0.03 s, 0.06 s, ...: ~2 s in all


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REPO_ENV}
    env["GIT_TERMINAL_PROMPT"] = "0"  # never hang on a credential prompt
    env["GIT_EDITOR"] = ":"  # nor in an editor
    # Reads must not take .git/index.lock, or they would make a concurrent writer fail.
    env["GIT_OPTIONAL_LOCKS"] = "0"
    return env


def run_git(
    args: list[str], cwd: Path | str, *, check: bool = True, input: str | None = None,
    retries: int | None = None,
) -> str:
    """Run `git <args>` in `cwd` and return its stdout (undecoded bytes kept via surrogates).

    With check=True a non-zero exit raises StoreError carrying git's stderr; with
    check=False the stdout is returned whatever the exit status. While another git holds
    .git/index.lock the command is retried (`retries` times, default ~2 s in all).
    """
    return run_git_full(args, cwd, check=check, input=input, retries=retries)[1]


def run_git_full(
    args: list[str], cwd: Path | str, *, check: bool = True, input: str | None = None,
    retries: int | None = None,
) -> tuple[int, str, str]:
    """Like run_git, but returns (returncode, stdout, stderr)."""
    if not Path(cwd).is_dir():
        if check:
            raise StoreError(f"cannot run git in {cwd}: not a directory")
        return 128, "", f"{cwd}: not a directory"
    data = input.encode("utf-8", "surrogateescape") if input is not None else None
    retries = _LOCKED_RETRIES if retries is None else retries
    for attempt in range(retries + 1):
        try:
            proc = subprocess.run(
                ["git", *args], cwd=cwd, input=data, capture_output=True, env=_env(), check=False
            )
        except FileNotFoundError as exc:
            raise StoreError(
                "git is not installed or not on PATH", "install git; aidermem keeps memories in git"
            ) from exc
        # Another git (the user's, or an orphan of a killed aidermem) holds the index.
        # git gave up before changing anything, so trying again is safe.
        if proc.returncode == 0 or b"index.lock" not in proc.stderr or attempt == retries:
            break
        time.sleep(0.03 * (attempt + 1))
    out = proc.stdout.decode("utf-8", "surrogateescape")
    err = proc.stderr.decode("utf-8", "replace")
    if check and proc.returncode != 0:
        detail = " ".join(err.split()) or f"exit status {proc.returncode}"
        raise StoreError(f"git {_command_name(args)} failed in {cwd}: {detail}")
    return proc.returncode, out, err


class Started:
    """A read-only `git <args>` running in the background (see start_git)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self._proc = proc
        self._result: tuple[int, str] | None = None

    def result(self) -> tuple[int, str]:
        """(returncode, stdout), waiting for git to finish; safe to call again."""
        if self._result is None:
            out, _ = self._proc.communicate()
            self._result = (self._proc.returncode, out.decode("utf-8", "surrogateescape"))
        return self._result


def start_git(args: list[str], cwd: Path | str) -> Started:
    """Start `git <args>` in `cwd` and return at once, so git works while the caller
    does something else. For queries only: nothing retries it on index.lock."""
    try:
        proc = subprocess.Popen(["git", *args], cwd=cwd, env=_env(), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except FileNotFoundError as exc:
        raise StoreError(
            "git is not installed or not on PATH", "install git; aidermem keeps memories in git"
        ) from exc
    return Started(proc)


def _command_name(args: list[str]) -> str:
    """The git subcommand in args, skipping global options such as `-c key=value`."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("-c", "-C"):
            skip = True
        elif not arg.startswith("-"):
            return arg
    return " ".join(args[:2])


def _one(args: list[str], cwd: Path | str) -> str | None:
    """The single-line answer of a query, or None when git says no."""
    code, out, _ = run_git_full(args, cwd, check=False)
    value = out.strip()
    return value if code == 0 and value else None


def git_root(path: Path) -> Path | None:
    """The top of the work tree containing `path`, or None outside git (or in a bare repo)."""
    path = Path(path)
    if path.is_file():
        path = path.parent
    top = _one(["rev-parse", "--show-toplevel"], path)
    return Path(top) if top else None


def head(path: Path) -> str | None:
    """The full sha of HEAD, or None (not a repo, or no commits yet). Read from the files
    of `path/.git` when their layout is plain (read_head), else asked of git."""
    return read_head(Path(path)) or _one(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"],
                                         path)


def find_root(path: Path) -> Path | None:
    """The nearest directory at or above `path` holding `.git`, found without starting git
    (what git_root usually answers; git_root is the authority)."""
    path = Path(path).absolute()
    for candidate in (path, *path.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def read_head(root: Path) -> str | None:
    """HEAD's sha read from the files of `root/.git`, without starting git (~5 ms each).

    Only the plain layouts: .git a directory, HEAD a sha or a branch whose ref is a
    loose file or in packed-refs. None for anything else (a worktree, an unborn branch,
    a symbolic ref chain): the caller asks git instead.
    """
    git_dir = root / ".git"
    try:
        text = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
        if not text.startswith("ref: "):
            return text if _SHA.fullmatch(text) else None
        ref = text[5:].strip()
        if not ref.startswith("refs/") or ".." in ref:
            return None
        loose = git_dir / ref
        if loose.is_file():
            sha = loose.read_text(encoding="utf-8").strip()
            return sha if _SHA.fullmatch(sha) else None
        for line in (git_dir / "packed-refs").read_text(encoding="utf-8").splitlines():
            sha, _, name = line.partition(" ")
            if name == ref and _SHA.fullmatch(sha):
                return sha
    except (OSError, UnicodeDecodeError):
        return None
    return None


def current_branch(path: Path) -> str | None:
    """The checked-out branch name (also on an unborn branch), None when detached."""
    return _one(["symbolic-ref", "--quiet", "--short", "HEAD"], path)


def _user_config(path: Path) -> tuple[str | None, str | None]:
    """user.name and user.email as git resolves them here (the last one set wins), in
    one git call."""
    code, out, _ = run_git_full(["config", "--get-regexp", r"^user\.(name|email)$"], path,
                                check=False)
    found: dict[str, str] = {}
    for line in out.splitlines() if code == 0 else []:
        key, _, value = line.partition(" ")
        found[key.lower()] = value.strip()  # an empty value set later unsets it, as in git
    return found.get("user.name") or None, found.get("user.email") or None


def commit_identity(path: Path) -> tuple[bool, str | None]:
    """(whether git has a name and an email for commits here, from config or the
    environment; 'Name <email>' from git config, or whatever part is set), from one git
    call."""
    name, email = _user_config(path)
    env = os.environ
    from_env = all(env.get(f"GIT_{who}_{what}") for who in ("AUTHOR", "COMMITTER")
                   for what in ("NAME", "EMAIL"))
    shown = f"{name} <{email}>" if name and email else name or (f"<{email}>" if email else None)
    return from_env or bool(name and email), shown


def recent_commit_subjects(path: Path, n: int) -> list[str]:
    if n <= 0:
        return []
    out = _one(["log", f"-n{n}", "--format=%s"], path)
    return out.splitlines() if out else []


# `git status` as every caller reads it: NUL-separated, untracked files one by one (not their
# directory), a rename as a deletion plus an addition.
STATUS_ARGS = ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"]


def changed_files(path: Path) -> list[str]:
    """Paths (relative to the repo root) that differ from HEAD: staged, unstaged, untracked."""
    code, out, _ = run_git_full(STATUS_ARGS, path, check=False)
    return [p for _, p in status_entries(out)] if code == 0 else []


def status_entries(out: str) -> list[tuple[str, str]]:
    """(XY, path) pairs out of `git status` run with STATUS_ARGS, in git's order: X is the
    staged change, Y the work tree's, `??` an untracked file."""
    return [(entry[:2], entry[3:]) for entry in out.split("\0") if len(entry) > 3]


def commits_between(path: Path, a: str | None, b: str = "HEAD") -> list[tuple[str, str]]:
    """(sha, subject) of commits reachable from b but not a, oldest first.

    a=None means "from the beginning" (the repo had no commits when we started).
    Unknown revisions give [].
    """
    rng = [b] if a is None else [f"{a}..{b}"]
    code, out, _ = run_git_full(
        ["log", "--reverse", "--format=%H%x00%s", *rng, "--"], path, check=False
    )
    if code != 0:
        return []
    result: list[tuple[str, str]] = []
    for line in out.splitlines():
        sha, _, subject = line.partition("\0")
        if sha:
            result.append((sha, subject))
    return result


def files_changed_between(path: Path, a: str | None, b: str = "HEAD") -> list[str]:
    """Paths changed between commits a and b (a=None: everything in b). Unknown revs give []."""
    if a is None:
        a = empty_tree(path)
        if a is None:
            return []
    code, out, _ = run_git_full(
        ["diff", "--name-only", "-z", "--no-renames", a, b, "--"], path, check=False
    )
    return [p for p in out.split("\0") if p] if code == 0 else []


def empty_tree(path: Path) -> str | None:
    """The id of the empty tree in this repo's hash format (sha1 or sha256)."""
    code, out, _ = run_git_full(
        ["hash-object", "-t", "tree", "--stdin"], path, check=False, input=""
    )
    return out.strip() if code == 0 else None


def is_commit(path: Path, rev: str) -> bool:
    if not rev or rev.startswith("-"):
        return False
    return _one(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], path) is not None

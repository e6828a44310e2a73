"""The memory store: a git repository of Markdown memory files.

The store is the truth; the search index is a cache rebuilt from it. Its layout,
`<project_dirname>/<YYYY>/<MM>/<id>-<slug>.md` one memory per file, and the listing
of it are layout.py's. Every write takes the store lock, writes atomically
(temp file + fsync + os.replace), then stages and commits exactly the touched
paths, so concurrent writers all land and history can recover anything.
Moving HEAD is the commit point: before it, a failure (or kill -9) is undone,
from the undo record written first (undo.py), by the writer itself or by the
next holder of the lock; from it on, the write has happened, whatever fails after.

Never: parse more files than a lookup needs, commit files it did not touch,
follow a symbolic link (nolinks.py), or let one malformed file stop iteration
over the others.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from aidermem import gitutil, paths, private
from aidermem.atomic import write_atomic
from aidermem.errors import AidermemError, MemoryFileError, NotFoundError, StoreError, UsageError
from aidermem.kinds import Status, now
from aidermem.store import layout, nolinks, plaintext
from aidermem.store.layout import GITIGNORE, README, id_of_path, is_memory_path

if TYPE_CHECKING:
    from aidermem.models import Memory

# Parsing (memfile: yaml, pydantic), locking (storelock) and undoing (undo) are imported
# where used, so a search that finds the index current never loads them.

LOCK_NAME = "aidermem.lock"
UNDO_RECORD = "aidermem-undo.json"  # undo.RECORD_NAME, looked for without importing undo
DEFAULT_LOCK_TIMEOUT = 60.0
# Used only when the user has no git identity, so a commit never fails for lack of one.
_FALLBACK_IDENTITY = ["-c", "user.name=aidermem", "-c", "user.email=aidermem@localhost"]
# Never let the user's signing setup or hooks block (or prompt during) a memory commit.
_COMMIT_CONFIG = ["-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null"]
# A split index: staging one file rewrites a small file, not an index of every memory.
_INDEX_CONFIG = ["-c", "core.splitIndex=true"]
class Store:
    """One store directory. Cheap to construct; every method talks to disk/git directly."""

    def __init__(self, root: Path, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        self.root = Path(root)
        self.lock_timeout = lock_timeout
        self._identity: tuple[bool, str | None] | None = None
        self._private = False  # see _keep_private
        self.last_commit: tuple[str | None, str | None] | None = None  # see _write_and_commit
        self._made: str | None = None  # the commit _commit_index made, until HEAD is it

    @classmethod
    def open(
        cls, root: Path | None = None, *, create: bool = True,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> Store:
        """Open the store at `root` (default: paths.default_store_dir()), creating it if asked."""
        root = (Path(root) if root is not None else paths.default_store_dir()).expanduser()
        store = cls(root.absolute(), lock_timeout=lock_timeout)
        root = store.root
        if root.exists() and not root.is_dir():
            raise StoreError(f"memory store {root} is not a directory",
                             "point AIDERMEM_HOME or the store setting at a directory")
        if (root / ".git").is_dir() and gitutil.read_head(root):
            pass  # the usual case, known from the files alone: a repo at `root` with commits
        elif (root / ".git").exists():
            # One git call answers both "is this the top of a work tree" and "any commits".
            code, out, _ = gitutil.run_git_full(
                ["rev-parse", "--show-toplevel", "--verify", "-q", "HEAD"], root, check=False)
            top = out.splitlines()[0] if out.strip() else ""
            if not top or Path(top).resolve() != root.resolve():
                raise StoreError(f"memory store {root} is not a usable git repository",
                                 f"check it with `git -C {root} status`")
            if code != 0 and not create:
                raise StoreError(f"memory store {root} has no commits yet",
                                 "add a memory (`aidermem add`) to initialize it")
            if code != 0:
                store._first_commit()
        elif root.is_dir() and any(root.iterdir()):
            raise StoreError(f"memory store {root} exists but is not a git repository",
                             f"run `git init` in {root}, or use an empty directory for the store")
        elif not create:
            raise StoreError(f"no memory store at {root}",
                             "add a memory first (`aidermem add`), which creates it")
        else:
            try:
                store._create()
            except OSError as exc:
                raise StoreError(f"cannot create memory store {root}: {exc.strerror or exc}",
                                 "check the path and its permissions") from exc
        store._undo_if_dead_writer()
        return store

    def _undo_if_dead_writer(self) -> None:
        """A write that died between its first file and its commit is finished or undone
        now, before anything reads the store, unless its writer is still alive (it holds
        the lock) or the undo cannot be done yet (the next write retries it and says why)."""
        git_dir = self.root / ".git"
        if not (git_dir / UNDO_RECORD).exists():
            return
        from aidermem.store import storelock

        with contextlib.suppress(StoreError, storelock.LockTimeout, OSError), \
                storelock.hold(git_dir.resolve() / LOCK_NAME, 0) as outermost:
            if outermost:  # not when this very process is inside that write
                self._recover()

    def _create(self) -> None:
        """Build the repo beside `root`, then rename it into place: two first runs at once
        cannot both initialize, and a crash never leaves a half-made store."""
        import shutil  # with uuid, ~40 ms of imports that only the first run needs
        import uuid

        private.make_dirs(self.root.parent)
        # Private (0700, files 0600): memories are the user's own text. git keeps its own
        # files so too (core.sharedRepository=0600), whatever the umask of later git commands.
        staging = self.root.parent / f".{self.root.name}.new-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        staging.mkdir(mode=private.DIR_MODE)
        try:
            gitutil.run_git(["init", "-q", "-b", "main", f"--shared={private.FILE_MODE:04o}"],
                            staging)
            Store(staging)._first_commit()
            private.make_tree_private(staging)  # what `git commit` wrote with the umask
            try:
                staging.rename(self.root)  # replaces an empty dir; fails if another won
            except OSError:
                if not (self.root / ".git").exists():
                    raise
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    def _first_commit(self) -> None:
        with self.lock():
            if gitutil.head(self.root) is not None:  # another process got here first
                return
            files = {"README.md": README, ".gitignore": GITIGNORE}
            for name in files:  # keep what a user already put there
                with contextlib.suppress(FileNotFoundError, UnicodeDecodeError):
                    files[name] = (self.root / name).read_text(encoding="utf-8")
            self._write_and_commit(files, [], "init aidermem store")

    def relpath_for(self, memory: Memory) -> str:
        return layout.relpath_for(memory)

    def load(self, relpath: str) -> Memory:
        if not is_memory_path(relpath):  # also keeps `..` and absolute paths out of the store
            raise MemoryFileError(relpath, "not a memory file path (<project>/<YYYY>/<MM>/*.md)")
        raw = nolinks.read(self.root, relpath)
        from aidermem.store import memfile

        return memfile.parse_bytes(raw, relpath)

    def iter_paths(self) -> Iterator[str]:
        """Every memory file as a posix relpath, walking only <project>/<YYYY>/<MM>/."""
        return layout.iter_paths(self.root)

    def iter_memories(self) -> Iterator[tuple[str, Memory | MemoryFileError]]:
        for relpath in self.iter_paths():
            try:
                yield relpath, self.load(relpath)
            except MemoryFileError as exc:
                yield relpath, exc

    def find(self, id_or_prefix: str) -> tuple[str, Memory]:
        """The memory whose id starts with `id_or_prefix` (case-insensitive), unique."""
        prefix = id_or_prefix.strip().lower()
        if not prefix:
            raise UsageError("empty memory id", "give an id or a unique prefix of one")
        # File names start with the id, so only the few matching files get parsed.
        matches = [p for p in self.iter_paths() if id_of_path(p).lower().startswith(prefix)]
        if len(matches) > 1:
            # An exact id beats longer ids that merely share it as a prefix.
            exact = [p for p in matches if id_of_path(p).lower() == prefix]
            if len(exact) == 1:
                matches = exact
        if not matches:
            raise NotFoundError(f"no memory with id {id_or_prefix!r}",
                                "check the id with `aidermem list`")
        if len(matches) > 1:
            shown = ", ".join(id_of_path(p) for p in matches[:10])
            more = f" and {len(matches) - 10} more" if len(matches) > 10 else ""
            raise AidermemError(f"id prefix {id_or_prefix!r} is ambiguous: {shown}{more}",
                                "use more characters of the id")
        return matches[0], self.load(matches[0])

    def path_of(self, memory_id: str) -> str:
        """The file of exactly this id, by name only: nothing is parsed, so it is a cheap
        existence check and lets update() rewrite a file that no longer parses."""
        matches = [p for p in self.iter_paths() if id_of_path(p) == memory_id]
        if not matches:
            raise NotFoundError(f"no memory with id {memory_id!r}",
                                "check the id with `aidermem list`")
        if len(matches) > 1:
            raise StoreError(f"several files hold memory id {memory_id}: {', '.join(matches)}",
                             "merge them by hand and delete the extra files")
        return matches[0]

    def head(self) -> str | None:
        return gitutil.head(self.root)

    def changed_paths(self, since: str) -> list[str] | None:
        """Memory relpaths added, modified or deleted between `since` and HEAD.

        None when `since` is not a commit of this store: the caller must rebuild.
        """
        if not gitutil.is_commit(self.root, since):
            return None
        out = gitutil.run_git(["diff", "--name-only", "-z", "--no-renames", since, "HEAD", "--"],
                              self.root)
        return [p for p in out.split("\0") if p and is_memory_path(p)]

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """The write lock (storelock: kernel-queued, freed when its holder dies), on a file
        under .git. Reentrant within a process, so a caller may hold it around several
        writes. The outermost hold first finishes or undoes a write that died."""
        from aidermem.store import storelock

        lock_path = self._git_dir().resolve() / LOCK_NAME
        try:
            with storelock.hold(lock_path, self.lock_timeout) as outermost:
                if outermost:
                    self._recover()
                yield
        except storelock.LockTimeout as exc:
            raise storelock.locked_error(lock_path, exc.holder, self.lock_timeout) from exc

    def _git_dir(self) -> Path:
        if (self.root / ".git").is_dir():
            return self.root / ".git"
        # A worktree or submodule: .git is a file pointing elsewhere.
        return Path(gitutil.run_git(["rev-parse", "--absolute-git-dir"], self.root).strip())

    def add(self, memory: Memory, message: str | None = None) -> str:
        """Write and commit a new memory. Fills `memory.author` in place when missing."""
        return self.add_many([memory], message or f"add {memory.kind}: {memory.title}")[0]

    def add_many(self, memories: list[Memory], message: str) -> list[str]:
        """Write and commit new memories in one commit; returns their relpaths."""
        if not memories:
            return []
        ids = [m.id for m in memories]
        if len(set(ids)) != len(ids):
            raise StoreError("two memories in one batch share an id")
        author = self._lookup_identity()[1]
        for memory in memories:
            if memory.author is None and author:
                memory.author = author
        relpaths = [self.relpath_for(m) for m in memories]
        with self.lock():
            for memory, relpath in zip(memories, relpaths, strict=True):
                clash = self._existing_with_id(relpath, memory.id)
                if clash:
                    raise StoreError(f"a memory with id {memory.id} already exists: {clash}",
                                     "use update() / `aidermem edit` to change it")
            texts = {p: _dump(m) for p, m in zip(relpaths, memories, strict=True)}
            self._write_and_commit(texts, [], message)
        return relpaths

    def update(self, memory: Memory, message: str | None = None) -> str:
        """Rewrite the memory's existing file (found by id, path kept) and bump `updated`."""
        with self.lock():
            relpath = self.path_of(memory.id)
            memory.updated = max(now(), memory.created)
            self._write_and_commit({relpath: _dump(memory)}, [],
                                   message or f"edit {memory.kind}: {memory.title}")
        return relpath

    def forget(self, id_or_prefix: str, *, delete: bool = False) -> Memory:
        """Archive (default) or delete a memory; either way git history keeps it."""
        with self.lock():
            relpath, memory = self.find(id_or_prefix)
            if delete:
                self._write_and_commit({}, [relpath], f"forget (deleted): {memory.title}")
                return memory
            if memory.status == Status.ARCHIVED:
                return memory  # already forgotten; an empty commit would say nothing
            memory.status = Status.ARCHIVED
            memory.updated = max(now(), memory.created)
            self._write_and_commit({relpath: _dump(memory)}, [],
                                   f"forget: {memory.title}")
        return memory

    def relabel(self, memories: list[tuple[str, Memory]], message: str
                ) -> dict[str, Memory | None]:
        """Rewrite memories whose project fields changed, in one commit: each file goes where
        its project now puts it and the old file is removed. Returns {relpath: the memory
        written there, or None for a file removed}. `updated` is kept: the memory's content
        did not change, only where it is filed."""
        out: dict[str, Memory | None] = {}
        writes: dict[str, str] = {}
        with self.lock():
            for old, memory in memories:
                new = self.relpath_for(memory)
                if new != old and (self.root / new).exists():
                    raise StoreError(f"cannot move {old}: {new} already exists",
                                     "merge the two files by hand, then retry")
                writes[new], out[new] = _dump(memory), memory
                if new != old:
                    out[old] = None
            self._write_and_commit(writes, [p for p, m in out.items() if m is None], message)
        return out

    def _write_and_commit(self, writes: dict[str, str], deletes: list[str], message: str) -> None:
        """Under the lock: write/delete the files, stage and commit exactly them, or undo.

        The commit is made with plumbing (write-tree, commit-tree, update-ref) instead of
        `git commit`, which re-stats every file of the store first (~80 ms at 100k); the
        index is kept split (core.splitIndex), so staging rewrites a small file instead
        of all of it. Sets `last_commit` to (HEAD before, HEAD after) when it committed.
        An undo record (undo.py) is written before the first file, so a writer killed at
        any step is undone by the next lock holder.
        """
        from aidermem.store import undo

        touched = [*writes, *deletes]
        message = plaintext.clean(message).text  # git refuses a NUL in a commit message
        nolinks.check_writable(self.root, touched)  # before anything goes through a link
        head_before = self.head()
        self.last_commit = None
        self._made = None
        git_dir = self._git_dir()
        try:
            record = undo.begin(git_dir, self.root, head_before, message, touched)
        except OSError as exc:
            raise StoreError(f"cannot write to memory store {self.root}: {exc}",
                             "check free space and permissions; nothing was changed") from exc
        plumbing = False
        try:
            self._keep_private()
            for relpath, text in writes.items():
                target = self.root / relpath
                private.make_dirs(target.parent)
                write_atomic(target, text.encode("utf-8"))
            for relpath in deletes:
                (self.root / relpath).unlink(missing_ok=True)
            # Exact paths, no pathspec: stages writes and deletions, ignores untracked-gone files.
            gitutil.run_git([*_INDEX_CONFIG, "update-index", "--add", "--remove", "-z", "--stdin"],
                            self.root, input="".join(f"{p}\0" for p in touched))
            staged = set(gitutil.run_git(["diff", "--cached", "--name-only", "--no-renames", "-z"],
                                         self.root).split("\0")) - {""}
            if not staged & set(touched):
                undo.finish(git_dir, self.root, record)
                return  # the files already held exactly this; nothing to record
            identity = [] if self._lookup_identity()[0] else _FALLBACK_IDENTITY
            commit = [*_COMMIT_CONFIG, *_INDEX_CONFIG, *identity, "commit", "-q", "--no-verify",
                      "-m", message]
            if staged - set(touched):  # someone staged other changes: commit only ours
                self._git_paths(commit, touched)
                private.restrict(self._git_dir() / "COMMIT_EDITMSG")  # git writes it 0644
            elif head_before is None:  # the very first commit
                gitutil.run_git(commit, self.root)
            else:
                plumbing = True  # landed only if update-ref moved HEAD to our commit
                self._commit_index(head_before, message, identity)
            self.last_commit = (head_before, self.head())
        except BaseException as exc:
            head = self.head()
            if head != head_before and (not plumbing or head == self._made):
                # HEAD is our commit: the write happened, whatever failed after it.
                self.last_commit = (head_before, head)
                with contextlib.suppress(OSError):
                    undo.finish(git_dir, self.root, record)
                if isinstance(exc, OSError | StoreError):
                    return
                raise
            # No waiting for git's index here: the write failed, and a held index is likely why.
            failure = self._unwritten(exc, undone=undo.undo(self.root, git_dir, record, retries=0))
            if failure is exc:
                raise
            raise failure from exc
        with contextlib.suppress(OSError):  # committed; a record left is cleared next time
            undo.finish(git_dir, self.root, record)

    def _unwritten(self, exc: BaseException, *, undone: bool) -> BaseException:
        """What to raise for a write that failed before HEAD moved: an OSError as a StoreError,
        a StoreError with a hint that says whether the files were put back, else `exc`."""
        hint = ("nothing was changed" if undone else
                "nothing was committed, but the files could not be put back yet; the next "
                f"aidermem command puts them back (see `git -C {self.root} status`)")
        if isinstance(exc, OSError):
            return StoreError(f"cannot write to memory store {self.root}: {exc}",
                              f"check free space and permissions; {hint}")
        if isinstance(exc, StoreError) and (not exc.hint or not undone):
            exc.hint = f"{hint}; see `git -C {self.root} status`, then retry"
        return exc

    def _keep_private(self) -> None:
        """What an older aidermem made with the umask (0755 folders, 0644 files: a store in
        the data dir, its git files, the journal, rescue files, the index cache) is made
        private by the first write that finds this store so; one stat per Store after that.
        Only aidermem's own trees: a store kept elsewhere keeps the modes its user gave it."""
        if self._private:
            return
        self._private = True
        home = paths.data_dir().absolute()
        if private.is_private(self.root) or not self.root.is_relative_to(home):
            return
        from aidermem.redaction.secret_patterns import CACHE_NAME

        gitutil.run_git(["config", "core.sharedRepository", f"{private.FILE_MODE:04o}"],
                        self.root)
        cache = paths.cache_dir()
        for tree in (paths.journal_dir(), home / "rescue", cache / "index"):
            private.make_tree_private(tree)
        private.restrict(cache / CACHE_NAME)
        for top in paths.named_tops():
            private.restrict(top)
        private.make_tree_private(self.root)  # last: the store's mode says all is done

    def _commit_index(self, parent: str, message: str, identity: list[str]) -> None:
        """Commit git's index on top of `parent`, as `git commit` would, and move HEAD only
        if it is still `parent` (compare-and-swap: a commit that raced us is never lost)."""
        tree = gitutil.run_git(["write-tree"], self.root).strip()
        commit = gitutil.run_git([*identity, "commit-tree", tree, "-p", parent, "-F", "-"],
                                 self.root, input=message).strip()
        self._made = commit
        subject = message.splitlines()[0] if message.strip() else ""
        gitutil.run_git(["update-ref", "-m", f"commit: {subject}", "HEAD", commit, parent],
                        self.root)
        # git commit would also start git's own housekeeping (it detaches). Spawning it is
        # skipped while its own test cannot pass: gc.auto's default 6,700 loose objects
        # means ~27 in the sample directory objects/17 that git counts.
        if _loose_in_sample(self._git_dir()) > 20:
            gitutil.run_git(["gc", "--auto", "--quiet"], self.root, check=False, retries=0)

    def _git_paths(self, args: list[str], relpaths: list[str], *, check: bool = True,
                   retries: int | None = None) -> str:
        """Run git (commit or reset) on exactly these paths, fed on stdin: no argv limit and
        no globbing."""
        return gitutil.run_git(
            ["--literal-pathspecs", *args, "--pathspec-from-file=-", "--pathspec-file-nul"],
            self.root, check=check, input="".join(f"{p}\0" for p in relpaths), retries=retries,
        )

    def _recover(self) -> None:
        """Under the lock: finish the write a dead writer's undo record describes. HEAD is
        its commit: keep it. Otherwise it never committed: undo it."""
        from aidermem.store import undo

        git_dir = self._git_dir()
        record = undo.read(git_dir)
        if record is None:  # none, or unreadable (then nothing safe can be done with it)
            undo.record_path(git_dir).unlink(missing_ok=True)
        elif undo.landed(self.root, record):
            undo.finish(git_dir, self.root, record)
        elif not undo.undo(self.root, git_dir, record):
            raise StoreError(
                "a write to the memory store that was interrupted earlier cannot be undone yet",
                f"free some space and check `git -C {self.root} status` (a stale "
                f"{git_dir / 'index.lock'} of a killed git?), then retry")

    def _existing_with_id(self, relpath: str, memory_id: str) -> str | None:
        """A file in the target month folder already named for this id (any slug)."""
        folder = relpath.rpartition("/")[0]
        names = layout.memory_names(self.root / folder)
        return next((f"{folder}/{n}" for n in names if id_of_path(n) == memory_id), None)

    def _lookup_identity(self) -> tuple[bool, str | None]:
        """(can git commit as the user, "Name <email>"), asked once per Store, not per commit."""
        if self._identity is None:
            where = self.root if self.root.is_dir() else Path.cwd()
            self._identity = gitutil.commit_identity(where)
        return self._identity


def _loose_in_sample(git_dir: Path) -> int:
    try:
        return sum(1 for _ in (git_dir / "objects" / "17").iterdir())
    except OSError:
        return 0


def _dump(memory: Memory) -> str:
    from aidermem.store import memfile

    return memfile.dump(memory)


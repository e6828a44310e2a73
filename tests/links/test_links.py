"""Links checked against real git repositories in Python, TypeScript, Go and Rust (issue #13)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from aidermem.errors import UsageError
from aidermem.links.cache import FingerprintCache
from aidermem.links.check import Repo, State, check, resolve, take
from aidermem.models import Link

# Per language: file, symbol, original, cosmetic edit, body change, signature change,
# (renamed source, new name).
SOURCES = {
    "python": ("auth/service.py", "Auth.authenticate_user",
               "class Auth:\n    def authenticate_user(self, name):\n"
               "        return self.check(name)\n\n    def other(self):\n        return 1\n",
               "class Auth:\n    def authenticate_user(self,  name):\n        # hi\n"
               "        return self.check( name )\n\n    def other(self):\n        return 1\n",
               "class Auth:\n    def authenticate_user(self, name):\n"
               "        return self.check(name, True)\n\n    def other(self):\n        return 1\n",
               "class Auth:\n    def authenticate_user(self, name, otp):\n"
               "        return self.check(name)\n\n    def other(self):\n        return 1\n",
               ("class Auth:\n    def login(self, name):\n        return self.check(name)\n\n"
                "    def other(self):\n        return 1\n", "Auth.login")),
    "typescript": ("src/auth.ts", "Auth.authenticateUser",
                   "export class Auth {\n  authenticateUser(n: string): boolean {\n"
                   "    return check(n);\n  }\n}\n",
                   "export class Auth {\n  // checks\n  authenticateUser( n: string ): boolean\n"
                   "  {\n    return check(n);\n  }\n}\n",
                   "export class Auth {\n  authenticateUser(n: string): boolean {\n"
                   "    return !check(n);\n  }\n}\n",
                   "export class Auth {\n  authenticateUser(n: string, o: number): boolean {\n"
                   "    return check(n);\n  }\n}\n",
                   ("export class Auth {\n  login(n: string): boolean {\n"
                    "    return check(n);\n  }\n}\n", "Auth.login")),
    "go": ("auth/service.go", "Server.Authenticate",
           "package auth\n\nfunc (s *Server) Authenticate(n string) bool {\n\treturn s.ok(n)\n}\n",
           "package auth\n\n// Authenticate checks.\nfunc (s *Server) Authenticate(n string) bool"
           " {\n\n\treturn s.ok(n)\n}\n",
           "package auth\n\nfunc (s *Server) Authenticate(n string) bool {\n\treturn !s.ok(n)\n}\n",
           "package auth\n\nfunc (s *Server) Authenticate(n string, o int) bool {\n"
           "\treturn s.ok(n)\n}\n",
           ("package auth\n\nfunc (s *Server) Login(n string) bool {\n\treturn s.ok(n)\n}\n",
            "Server.Login")),
    "rust": ("src/auth.rs", "Auth.authenticate",
             "impl Auth {\n    fn authenticate(&self, n: &str) -> bool {\n"
             "        self.ok(n)\n    }\n}\n",
             "impl Auth {\n    /// Checks.\n    fn authenticate(&self, n: &str) -> bool\n    {\n"
             "        self.ok(n) // the only call\n    }\n}\n",
             "impl Auth {\n    fn authenticate(&self, n: &str) -> bool {\n"
             "        !self.ok(n)\n    }\n}\n",
             "impl Auth {\n    fn authenticate(&self, n: &str, o: u32) -> bool {\n"
             "        self.ok(n)\n    }\n}\n",
             ("impl Auth {\n    fn login(&self, n: &str) -> bool {\n        self.ok(n)\n    }\n}\n",
              "Auth.login")),
}
LANGS = sorted(SOURCES)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


def commit(repo: Path, files: dict[str, str | None], message: str = "edit") -> None:
    for rel, text in files.items():
        target = repo / rel
        if text is None:
            git(repo, "rm", "-q", rel)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        git(repo, "add", rel)
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q",
        "--allow-empty", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q")
    return path


def linked(repo: Path, lang: str) -> Link:
    path, symbol, original, *_ = SOURCES[lang]
    commit(repo, {path: original, "README.md": "x\n"}, "initial")
    return take(Repo(repo), path, symbol)


def state_after(repo: Path, link: Link, files: dict[str, str | None]) -> tuple[State, str, str]:
    commit(repo, files)
    result = check(link, Repo(repo))
    return result.state, result.reason, result.now.label() if result.now else ""


@pytest.mark.parametrize("lang", LANGS)
def test_untouched_and_cosmetic_edits_are_fresh(repo: Path, lang: str) -> None:
    link = linked(repo, lang)
    assert check(link, Repo(repo)).state is State.FRESH
    path, _, _, cosmetic, *_ = SOURCES[lang]
    assert state_after(repo, link, {path: cosmetic}) == (State.FRESH, "", "")


@pytest.mark.parametrize("lang", LANGS)
def test_body_change_is_changed(repo: Path, lang: str) -> None:
    link = linked(repo, lang)
    path, symbol, _, _, body, *_ = SOURCES[lang]
    short = symbol.rsplit(".", 1)[-1]
    assert state_after(repo, link, {path: body}) == (
        State.CHANGED, f"{short} body changed since {link.commit[:7]}", "")


@pytest.mark.parametrize("lang", LANGS)
def test_signature_change_is_changed(repo: Path, lang: str) -> None:
    link = linked(repo, lang)
    path, symbol, *_, signature, _ = SOURCES[lang]
    short = symbol.rsplit(".", 1)[-1]
    assert state_after(repo, link, {path: signature}) == (
        State.CHANGED, f"{short} signature changed since {link.commit[:7]}", "")


@pytest.mark.parametrize("lang", LANGS)
def test_rename_is_renamed(repo: Path, lang: str) -> None:
    link = linked(repo, lang)
    path, symbol, *_, (renamed, new_name) = SOURCES[lang]
    assert state_after(repo, link, {path: renamed}) == (
        State.RENAMED, f"{symbol} is now {path}::{new_name}", f"{path}::{new_name}")


@pytest.mark.parametrize("lang", LANGS)
def test_move_to_another_file_is_moved(repo: Path, lang: str) -> None:
    link = linked(repo, lang)
    path, symbol, original, *_ = SOURCES[lang]
    dest = str(Path(path).with_name("moved" + Path(path).suffix))
    assert state_after(repo, link, {path: None, dest: original}) == (
        State.MOVED, f"{symbol} moved to {dest}", f"{dest}::{symbol}")


@pytest.mark.parametrize("lang", LANGS)
def test_deleted_symbol_and_file_are_gone(repo: Path, lang: str) -> None:
    link = linked(repo, lang)
    path, symbol, *_ = SOURCES[lang]
    short = symbol.rsplit(".", 1)[-1]
    state, reason, _ = state_after(repo, link, {path: "\n"})
    assert (state, reason) == (State.GONE, f"{short} is no longer in {path} since "
                                           f"{link.commit[:7]}")
    commit(repo, {path: None})
    result = check(link, Repo(repo))
    assert (result.state, result.reason) == (
        State.GONE, f"{path} was deleted since {link.commit[:7]}")


def test_file_links(repo: Path) -> None:
    commit(repo, {"docs/notes.txt": "one\n", "data.bin": "\0\1\2"})
    text, binary = take(Repo(repo), "docs/notes.txt"), take(Repo(repo), "data.bin")
    assert check(text, Repo(repo)).state is State.FRESH
    commit(repo, {"data.bin": "\0\3"})
    assert check(binary, Repo(repo)).state is State.CHANGED
    git(repo, "mv", "docs/notes.txt", "notes.txt")
    commit(repo, {})
    moved = check(text, Repo(repo))
    assert moved.state is State.MOVED and moved.now is not None
    assert (moved.now.path, moved.now.blob) == ("notes.txt", text.blob)


def test_no_grammar_and_binary_never_crash(repo: Path) -> None:
    commit(repo, {"a.py": "def f():\n    return 1\n", "notes.txt": "x\n"})
    with pytest.raises(UsageError, match=r"no grammar for notes\.txt"):
        take(Repo(repo), "notes.txt", "f")
    link = take(Repo(repo), "a.py", "f")
    commit(repo, {"a.py": "\0\0binary now"})
    result = check(link, Repo(repo))
    assert (result.state, result.reason) == (
        State.CHANGED, "a.py changed and cannot be read for symbols")


def test_symbol_defined_twice(repo: Path) -> None:
    commit(repo, {"a.py": "def f():\n    return 1\n"})
    link = take(Repo(repo), "a.py", "f")
    commit(repo, {"a.py": "def f():\n    return 2\n\n\ndef f():\n    return 1\n"})
    assert check(link, Repo(repo)).state is State.FRESH
    commit(repo, {"a.py": "def f():\n    return 2\n\n\ndef f():\n    return 3\n"})
    assert check(link, Repo(repo)).reason.endswith("(defined 2 times)")


def test_no_commits_yet_and_outside_paths(repo: Path) -> None:
    (repo / "a.py").write_text("def f():\n    return 1\n")
    with pytest.raises(UsageError, match="no commits yet"):
        take(Repo(repo), "a.py", "f")
    link = Link(path="a.py", symbol="f", commit="abc", blob="def")
    assert check(link, Repo(repo)).state is State.UNCHECKED
    commit(repo, {"a.py": "def f():\n    return 1\n"})
    with pytest.raises(UsageError, match="outside the repository"):
        take(Repo(repo), "../a.py")
    outside = check(Link(path="/etc/passwd"), Repo(repo))
    assert (outside.state, outside.reason) == (State.UNCHECKED,
                                               "/etc/passwd is outside the repository")


def test_shallow_clone_still_finds_a_moved_symbol(repo: Path, tmp_path: Path) -> None:
    commit(repo, {"a.py": "def f():\n    return 1\n"})
    link = take(Repo(repo), "a.py", "f")
    commit(repo, {"a.py": None, "b.py": "def f():\n    return 1\n"})
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))
    result = check(link, Repo(shallow))
    assert (result.state, result.reason) == (State.MOVED, "f moved to b.py")


def test_dotted_names_resolve(repo: Path) -> None:
    commit(repo, {"auth/service.py": "class Auth:\n    def login(self):\n        return 1\n"})
    assert resolve(Repo(repo), "auth.service.Auth.login") == ("auth/service.py", "Auth.login")
    assert resolve(Repo(repo), "auth/service.py::Auth") == ("auth/service.py", "Auth")
    with pytest.raises(UsageError, match=r"cannot find auth\.service\.nope"):
        resolve(Repo(repo), "auth.service.nope")


def test_blobs_are_parsed_once_and_a_broken_cache_is_rebuilt(repo: Path, tmp_path: Path) -> None:
    cache_file = tmp_path / "cache" / "fingerprints.json"
    commit(repo, {"a.py": "def f():\n    return 1\n"})
    first = Repo(repo, FingerprintCache(cache_file))
    link = take(first, "a.py", "f")
    first.cache.save()
    blob = first.tree["a.py"]
    assert FingerprintCache(cache_file).get(f"a.py:{blob}") == first.definitions("a.py", blob)
    cache_file.write_text("{not json")
    again = Repo(repo, FingerprintCache(cache_file))
    assert again.cache.get(f"a.py:{blob}") is False
    commit(repo, {"a.py": "def f():\n    return 2\n"})
    assert check(link, again).state is State.CHANGED
    again.cache.save()
    assert FingerprintCache(cache_file).get(f"a.py:{again.tree['a.py']}")


def test_links_round_trip_and_hand_edits_parse_or_say_why() -> None:
    from aidermem.errors import MemoryFileError
    from aidermem.models import Memory
    from aidermem.store import memfile

    memory = Memory(title="t", links=[
        Link(path="a.py", symbol="f", commit="abc1234", blob="9f", body="1", shape="2",
             signature="3"), Link(path="docs/x.md", commit="abc1234", blob="77")])
    text = memfile.dump(memory)
    assert "links:\n- path: a.py\n  symbol: f\n  commit: abc1234\n" in text
    assert memfile.parse(text) == memory
    assert "links" not in memfile.dump(Memory(title="u"))
    by_hand = text.replace("- path: a.py\n  symbol: f", "- path: a.py\n  symbl: f")
    with pytest.raises(MemoryFileError, match=r"links\.0\.symbl: Extra inputs"):
        memfile.parse(by_hand)
    only_path = (text.split("links:\n")[0] + "links:\n- path: ./b.py\ncommits:"
                 + text.split("\ncommits:")[1])
    assert memfile.parse(only_path).links == [Link(path="b.py")]


def test_session_links_take_named_symbols_of_edited_committed_files(repo: Path) -> None:
    from aidermem.capture.code_links import session_links

    commit(repo, {"a.py": "def load_user():\n    return 1\n\n\ndef db():\n    return 2\n",
                  "b.py": "def load_user():\n    return 3\n"})
    links = session_links(repo, ["a.py", "gone.py", "../x.py"], "fix load_user and db please")
    assert [link.label() for link in links] == ["a.py::load_user", "a.py"]  # `db`: too short
    assert session_links(None, ["a.py"], "load_user") == []
    assert session_links(repo, [], "load_user") == []
    (repo.parent / "empty").mkdir()
    git(repo.parent / "empty", "init", "-q")
    assert session_links(repo.parent / "empty", ["a.py"], "load_user") == []


def test_checking_links_on_the_search_path_imports_neither_pydantic_nor_tree_sitter() -> None:
    import sys

    probe = ("import sys, aidermem.commands.search, aidermem.links.use, aidermem.links.check; "
             "print(sorted(m for m in ('pydantic', 'tree_sitter', 'grep_ast') "
             "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def _drop_loose_object(repo: Path, blob: str) -> None:
    """Make git itself unable to give this blob (as a partial clone or a broken pack would)."""
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    assert subprocess.run(["git", "-C", str(repo), "cat-file", "-e", blob],
                          capture_output=True).returncode != 0


def test_a_changed_blob_is_read_from_the_work_tree_file_that_holds_it(repo: Path) -> None:
    commit(repo, {"a.py": "def f():\n    return 1\n"})
    link = take(Repo(repo), "a.py", "f")
    commit(repo, {"a.py": "def f():\n    return 2\n"})
    _drop_loose_object(repo, Repo(repo).tree["a.py"])
    result = check(link, Repo(repo))
    assert (result.state, result.reason) == (State.CHANGED,
                                             f"f body changed since {link.commit[:7]}")


def test_a_work_tree_file_edited_since_head_is_not_taken_for_head(repo: Path) -> None:
    original = "def f():\n    return 1\n"
    commit(repo, {"a.py": original})
    link = take(Repo(repo), "a.py", "f")
    commit(repo, {"a.py": "def f():\n    return 2\n"})
    (repo / "a.py").write_text(original)  # uncommitted: HEAD still holds `return 2`
    assert check(link, Repo(repo)).state is State.CHANGED
    (repo / "a.py").unlink()
    (repo / "a.py").symlink_to(repo / "missing.py")
    assert check(link, Repo(repo)).state is State.CHANGED


def test_a_cold_check_loads_one_grammar_without_grep_ast_or_the_language_pack(
        repo: Path, tmp_path: Path) -> None:
    import json
    import sys

    commit(repo, {"a.py": "def f():\n    return 1\n", "b.ts": "function g() { return 1; }\n"})
    links = [take(Repo(repo), "a.py", "f"), take(Repo(repo), "b.ts", "g")]
    commit(repo, {"a.py": "def f():\n    return 2\n", "b.ts": "function g() { return 2; }\n"})
    dumped = json.dumps(json.dumps([link.model_dump() for link in links]))
    probe = (
        "import json, sys\nfrom pathlib import Path\n"
        "from aidermem.links.check import LinkData, Repo, check\n"
        f"links = [LinkData.of(d) for d in json.loads({dumped})]\n"
        f"states = [str(check(link, Repo(Path({str(repo)!r}))).state) for link in links]\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('grep_ast', "
        "'tree_sitter_language_pack', 'tree_sitter_')) and '.bindings.' not in m)\n"
        "grammars = sorted(m.rsplit('.', 1)[1] for m in sys.modules if '.bindings.' in m)\n"
        "print(json.dumps([states, loaded, grammars]))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert json.loads(done.stdout) == [["changed", "changed"], [], ["python", "typescript"]]

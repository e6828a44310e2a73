"""Definitions and fingerprints of source texts in Python, TypeScript, Go and Rust (issue #13)."""

from __future__ import annotations

import pytest

from aidermem.links.fingerprint import Definition, definitions, language_for

# Per language: (file name, symbol, original, whitespace/comment-only edit, body change,
# signature change, rename -> new name). Each edit touches only what its name says.
CASES = {
    "python": (
        "auth/service.py", "Auth.authenticate_user",
        "class Auth:\n    def authenticate_user(self, name, pw):\n"
        "        return self.check(name, pw)\n",
        "class Auth:\n    def authenticate_user(self,name,  pw):\n"
        "        # checks both\n\n        return self.check( name, pw )\n",
        "class Auth:\n    def authenticate_user(self, name, pw):\n"
        "        return self.check(name, pw, strict=True)\n",
        "class Auth:\n    def authenticate_user(self, name, pw, otp):\n"
        "        return self.check(name, pw)\n",
        ("class Auth:\n    def login_user(self, name, pw):\n"
         "        return self.check(name, pw)\n", "Auth.login_user"),
    ),
    "typescript": (
        "src/auth.ts", "Auth.authenticateUser",
        "export class Auth {\n  authenticateUser(name: string): boolean {\n"
        "    return check(name);\n  }\n}\n",
        "export class Auth {\n  /** checks */\n  authenticateUser( name: string ): boolean\n"
        "  {\n    // one call\n    return check(name);\n  }\n}\n",
        "export class Auth {\n  authenticateUser(name: string): boolean {\n"
        "    return check(name.trim());\n  }\n}\n",
        "export class Auth {\n  authenticateUser(name: string, otp: number): boolean {\n"
        "    return check(name);\n  }\n}\n",
        ("export class Auth {\n  loginUser(name: string): boolean {\n"
         "    return check(name);\n  }\n}\n", "Auth.loginUser"),
    ),
    "go": (
        "auth/service.go", "Server.Authenticate",
        "package auth\n\nfunc (s *Server) Authenticate(name string) bool {\n"
        "\treturn s.check(name)\n}\n",
        "package auth\n\n// Authenticate checks.\nfunc (s *Server) Authenticate(name string) bool {"
        "\n\n\treturn s.check(name) // the only call\n}\n",
        "package auth\n\nfunc (s *Server) Authenticate(name string) bool {\n"
        "\treturn !s.check(name)\n}\n",
        "package auth\n\nfunc (s *Server) Authenticate(name string, otp int) bool {\n"
        "\treturn s.check(name)\n}\n",
        ("package auth\n\nfunc (s *Server) Login(name string) bool {\n"
         "\treturn s.check(name)\n}\n", "Server.Login"),
    ),
    "rust": (
        "src/auth.rs", "Auth.authenticate",
        "impl Auth {\n    fn authenticate(&self, name: &str) -> bool {\n"
        "        self.check(name)\n    }\n}\n",
        "impl Auth {\n    /// Checks.\n    fn authenticate(&self, name: &str) -> bool\n    {\n"
        "        /* one call */ self.check(name)\n    }\n}\n",
        "impl Auth {\n    fn authenticate(&self, name: &str) -> bool {\n"
        "        self.check(name.trim())\n    }\n}\n",
        "impl Auth {\n    fn authenticate(&self, name: &str, otp: u32) -> bool {\n"
        "        self.check(name)\n    }\n}\n",
        ("impl Auth {\n    fn login(&self, name: &str) -> bool {\n"
         "        self.check(name)\n    }\n}\n", "Auth.login"),
    ),
}


def _def(source: str, lang: str, name: str) -> Definition:
    found = [d for d in definitions(source.encode(), lang) if d.name == name]
    assert len(found) == 1, [d.name for d in definitions(source.encode(), lang)]
    return found[0]


@pytest.mark.parametrize("lang", sorted(CASES))
def test_language_is_known_by_file_name(lang: str) -> None:
    assert language_for(CASES[lang][0]) == lang


@pytest.mark.parametrize("lang", sorted(CASES))
def test_whitespace_and_comment_edits_keep_every_fingerprint(lang: str) -> None:
    _, sym, original, cosmetic, *_ = CASES[lang]
    assert _def(original, lang, sym).fingerprints == _def(cosmetic, lang, sym).fingerprints


@pytest.mark.parametrize("lang", sorted(CASES))
def test_body_change_changes_body_but_not_signature(lang: str) -> None:
    _, sym, original, _, body, *_ = CASES[lang]
    before, after = _def(original, lang, sym).fingerprints, _def(body, lang, sym).fingerprints
    assert before.body != after.body
    assert before.shape != after.shape
    assert before.signature == after.signature


@pytest.mark.parametrize("lang", sorted(CASES))
def test_signature_change_changes_signature(lang: str) -> None:
    _, sym, original, _, _, signature, _ = CASES[lang]
    before = _def(original, lang, sym).fingerprints
    after = _def(signature, lang, sym).fingerprints
    assert before.signature != after.signature
    assert before.body != after.body


@pytest.mark.parametrize("lang", sorted(CASES))
def test_rename_keeps_the_name_blanked_shape(lang: str) -> None:
    _, sym, original, *_, (renamed, new_name) = CASES[lang]
    before = _def(original, lang, sym).fingerprints
    after = _def(renamed, lang, new_name).fingerprints
    assert before.shape == after.shape
    assert before.body != after.body
    assert sym not in [d.name for d in definitions(renamed.encode(), lang)]


def test_python_docstring_edit_is_not_a_change() -> None:
    a = 'def f(x):\n    """Add one."""\n    return x + 1\n'
    b = 'def f(x):\n    """Add one, carefully.\n\n    Really.\n    """\n    return x + 1\n'
    assert _def(a, "python", "f").fingerprints == _def(b, "python", "f").fingerprints


def test_recursive_call_is_blanked_with_the_name() -> None:
    a = "def fact(n):\n    return 1 if n < 2 else n * fact(n - 1)\n"
    b = "def factorial(n):\n    return 1 if n < 2 else n * factorial(n - 1)\n"
    assert _def(a, "python", "fact").fingerprints.shape == (
        _def(b, "python", "factorial").fingerprints.shape)


def test_symbol_defined_twice_is_reported_twice() -> None:
    src = "def f():\n    return 1\n\n\ndef f():\n    return 2\n"
    assert [d.name for d in definitions(src.encode(), "python")] == ["f", "f"]


def test_qualified_names_across_languages() -> None:
    go = "package main\ntype Server struct{ n int }\nfunc (s Server) Run() {}\nfunc Top() {}\n"
    rs = "struct Foo;\nimpl Foo { fn bar(&self) {} }\nmod m { fn inner() {} }\n"
    assert [d.name for d in definitions(go.encode(), "go")] == ["Server", "Server.Run", "Top"]
    assert [d.name for d in definitions(rs.encode(), "rust")] == ["Foo", "Foo.bar", "m", "m.inner"]


def test_files_without_a_grammar_have_no_language() -> None:
    assert language_for("notes.txt") is None
    assert language_for("image.png") is None
    with pytest.raises(ValueError, match="no tags query"):
        definitions(b"x", "no-such-language")


def test_broken_source_never_crashes() -> None:
    found = definitions(b"def ok():\n    return 1\n\ndef broken(:\n  \xff\xfe", "python")
    assert "ok" in [d.name for d in found]


def test_a_query_that_does_not_fit_its_grammar_means_no_grammar() -> None:
    # aider 0.86 ships a julia tags query that tree-sitter-language-pack 0.13's grammar rejects.
    assert language_for("script.jl") is None


def test_the_file_name_table_is_grep_ast_s_entry_by_entry() -> None:
    from grep_ast.parsers import PARSERS, filename_to_lang

    from aidermem.links.languages import BY_EXTENSION, BY_NAME, lang_of

    assert {**BY_NAME, **BY_EXTENSION} == PARSERS
    names = [key if not key.startswith(".") else f"dir/file{key}" for key in PARSERS]
    names += ["Makefile.py", ".bashrc", ".hidden.py", "noext", "a.", "x.PY", "go.mod.bak"]
    assert [lang_of(n) for n in names] == [filename_to_lang(n) for n in names]


@pytest.mark.parametrize("lang", ["python", "typescript", "go", "rust", "csharp", "yaml"])
def test_one_grammar_loaded_alone_is_the_language_pack_s(lang: str) -> None:
    from tree_sitter_language_pack import get_language

    from aidermem.links.languages import language

    assert language(lang) == get_language(lang)  # type: ignore[arg-type]

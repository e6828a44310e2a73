"""Which grammar a file needs, and loading just that grammar: the cold link check's speed trick.

A link check parses a file only when its blob is new to the fingerprint cache (the first
launch after a pull). In that fresh process, `grep_ast.filename_to_lang` and
`tree_sitter_language_pack.get_language` would import grep_ast (its TreeContext, pathspec),
the language pack's ``__init__`` (three more grammar packages and `importlib.resources`)
before the one grammar wanted: ~5-15 ms of a launch's ~50 ms budget (issue #13). So:

- `lang_of` is grep-ast's own table (the one aider uses, with tree-sitter-language-pack
  installed), copied: a test compares it with grep-ast's entry by entry, so an upgrade that
  changes it fails CI instead of drifting;
- `language` loads the pack's compiled binding of that one language as an extension module
  (registered under its own name, so a later `import tree_sitter_language_pack` shares it),
  and falls back to the pack's `get_language` for anything else (the three languages it
  takes from other packages, a pack laid out differently).

It never parses, never reads a query, never touches git; fingerprint.py does those.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from functools import cache
from pathlib import Path
from typing import Any

_PACK = "tree_sitter_language_pack"

# grep_ast.parsers.PARSERS (grep-ast 0.9.0 with tree-sitter-language-pack): whole file
# names first, then extensions, exactly as filename_to_lang looks them up.
BY_NAME = {
    'CMakeLists.txt': 'cmake', 'Dockerfile': 'dockerfile', 'go.mod': 'gomod',
    'go.sum': 'gosum', 'Kconfig': 'kconfig', 'Makefile': 'make', 'meson.build': 'meson',
    'MANIFEST.in': 'pymanifest', 'qmldir': 'qmldir', 'requirements.txt': 'requirements',
    'BUILD': 'starlark', 'WORKSPACE': 'starlark',
}
BY_EXTENSION = {
    '.as': 'actionscript', '.adb': 'ada', '.ads': 'ada', '.agda': 'agda', '.ino': 'arduino',
    '.asm': 'asm', '.s': 'asm', '.astro': 'astro', '.sh': 'bash', '.bash': 'bash',
    '.zsh': 'bash', '.bean': 'beancount', '.bib': 'bibtex', '.bicep': 'bicep',
    '.bb': 'bitbake', '.bbappend': 'bitbake', '.bbclass': 'bitbake', '.c': 'c', '.h': 'c',
    '.cairo': 'cairo', '.capnp': 'capnp', '.chatito': 'chatito', '.clar': 'clarity',
    '.clj': 'clojure', '.cljs': 'clojure', '.cljc': 'clojure', '.edn': 'clojure',
    '.cmake': 'cmake', '.lisp': 'commonlisp', '.cl': 'commonlisp', '.cpon': 'cpon',
    '.cpp': 'cpp', '.cc': 'cpp', '.cxx': 'cpp', '.hpp': 'cpp', '.hxx': 'cpp', '.h++': 'cpp',
    '.cs': 'csharp', '.css': 'css', '.csv': 'csv', '.cu': 'cuda', '.cuh': 'cuda', '.d': 'd',
    '.dart': 'dart', '.dtd': 'dtd', '.el': 'elisp', '.ex': 'elixir', '.exs': 'elixir',
    '.elm': 'elm', '.erl': 'erlang', '.hrl': 'erlang', '.fnl': 'fennel', '.fir': 'firrtl',
    '.fish': 'fish', '.f': 'fortran', '.f90': 'fortran', '.f95': 'fortran', '.f03': 'fortran',
    '.f08': 'fortran', '.fc': 'func', '.gd': 'gdscript', '.gitattributes': 'gitattributes',
    '.gitcommit': 'gitcommit', '.gitignore': 'gitignore', '.gleam': 'gleam', '.glsl': 'glsl',
    '.vert': 'glsl', '.frag': 'glsl', '.gn': 'gn', '.gni': 'gn', '.go': 'go',
    '.groovy': 'groovy', '.launch': 'gstlaunch', '.hack': 'hack', '.ha': 'hare',
    '.hs': 'haskell', '.hx': 'haxe', '.hcl': 'hcl', '.tf': 'hcl', '.tfvars': 'hcl',
    '.heex': 'heex', '.hlsl': 'hlsl', '.html': 'html', '.htm': 'html', '.hypr': 'hyprlang',
    '.ispc': 'ispc', '.janet': 'janet', '.java': 'java', '.js': 'javascript',
    '.jsx': 'javascript', '.mjs': 'javascript', '.jsdoc': 'jsdoc', '.json': 'json',
    '.jsonnet': 'jsonnet', '.libsonnet': 'jsonnet', '.jl': 'julia', '.kdl': 'kdl',
    '.kt': 'kotlin', '.kts': 'kotlin', '.tex': 'latex', '.sty': 'latex', '.cls': 'latex',
    '.ld': 'linkerscript', '.ll': 'llvm', '.td': 'tablegen', '.lua': 'lua',
    '.luadoc': 'luadoc', '.luap': 'luap', '.luau': 'luau', '.magik': 'magik', '.mk': 'make',
    '.md': 'markdown', '.markdown': 'markdown', '.m': 'matlab', '.mat': 'matlab',
    '.mermaid': 'mermaid', '.ninja': 'ninja', '.nix': 'nix', '.nqc': 'nqc', '.mm': 'objc',
    '.ml': 'ocaml', '.mli': 'ocaml_interface', '.odin': 'odin', '.org': 'org',
    '.pas': 'pascal', '.pp': 'pascal', '.pem': 'pem', '.pl': 'perl', '.pm': 'perl',
    '.pgn': 'pgn', '.php': 'php', '.po': 'po', '.pot': 'po', '.pony': 'pony',
    '.ps1': 'powershell', '.psm1': 'powershell', '.printf': 'printf', '.prisma': 'prisma',
    '.properties': 'properties', '.proto': 'proto', '.psv': 'psv', '.purs': 'purescript',
    '.py': 'python', '.qml': 'qmljs', '.r': 'r', '.R': 'r', '.rkt': 'racket', '.re2c': 're2c',
    '.inputrc': 'readline', '.ron': 'ron', '.rst': 'rst', '.rb': 'ruby', '.rs': 'rust',
    '.scala': 'scala', '.sc': 'scala', '.scm': 'scheme', '.ss': 'scheme', '.scss': 'scss',
    '.smali': 'smali', '.smithy': 'smithy', '.sol': 'solidity', '.rq': 'sparql', '.sql': 'sql',
    '.nut': 'squirrel', '.bzl': 'starlark', '.svelte': 'svelte', '.swift': 'swift',
    '.tcl': 'tcl', '.thrift': 'thrift', '.toml': 'toml', '.tsv': 'tsv', '.tsx': 'typescript',
    '.twig': 'twig', '.ts': 'typescript', '.typ': 'typst', '.rules': 'udev',
    '.ungram': 'ungrammar', '.tal': 'uxntal', '.sv': 'verilog', '.v': 'verilog',
    '.vhd': 'vhdl', '.vhdl': 'vhdl', '.vim': 'vim', '.vimrc': 'vim', '.vue': 'vue',
    '.wgsl': 'wgsl', '.XCompose': 'xcompose', '.xml': 'xml', '.svg': 'xml', '.xsl': 'xml',
    '.yuck': 'yuck', '.zig': 'zig',
}


def lang_of(filename: str) -> str | None:
    """grep_ast.filename_to_lang without importing grep_ast: by whole name, then extension."""
    name = filename.rsplit("/", 1)[-1]
    if name in BY_NAME:
        return BY_NAME[name]
    stem = name.lstrip(".")  # os.path.splitext: leading dots start no extension
    dot = stem.rfind(".")
    return BY_EXTENSION.get(stem[dot:] if dot >= 0 else "")


@cache
def language(lang: str) -> Any:
    """The tree-sitter Language of `lang`. Raises LookupError when there is no such grammar."""
    from tree_sitter import Language

    binding = _binding(lang)
    if binding is not None:
        return Language(binding.language())
    from tree_sitter_language_pack import get_language

    return get_language(lang)  # type: ignore[arg-type]


def _binding(lang: str) -> Any:
    """The pack's compiled module for `lang`, loaded without the pack's __init__; None if
    it is not where this pack version keeps it."""
    name = f"{_PACK}.bindings.{lang}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(_PACK)  # finds the package; does not run its __init__
    if spec is None or not spec.submodule_search_locations or not lang.isidentifier():
        return None
    for root in spec.submodule_search_locations:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = Path(root) / "bindings" / f"{lang}{suffix}"
            if not path.is_file():
                continue
            loader = importlib.machinery.ExtensionFileLoader(name, str(path))
            module_spec = importlib.util.spec_from_file_location(name, path, loader=loader)
            if module_spec is None:
                return None
            try:
                module = importlib.util.module_from_spec(module_spec)
                loader.exec_module(module)
            except ImportError:
                return None
            if not hasattr(module, "language"):
                return None
            sys.modules[name] = module
            return module
    return None

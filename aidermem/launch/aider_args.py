"""Split aidermem's own flags from aider's argv, and read aider's argv as aider will.

Pure functions over lists of strings: no files, environment or processes, and
never an import of aider (aider_options.py's table stands in for its parser).

- Our flags: `--mem-off`, `--mem-no-capture`, `--mem-profile NAME`,
  `--mem-budget N` (or `--mem-profile=NAME`). Exact spellings only: no
  abbreviations, so we never eat something aider would have read.
- They are taken out wherever they appear *before the first bare `--`*; that
  `--` and all after it go to aider untouched (`aidermem run -- --mem-off`
  hands aider a file named `--mem-off`, as `aider -- --mem-off` would).
- Every other token goes to aider untouched and in order. A token before `--`
  shaped like ours (`--mem-x`, `--mem-x=…`) but not ours is a UsageError:
  aider has no option starting with `--mem` (tests/launch/test_flag_collision.py).

`parse_aider_argv` emulates Python 3.11 argparse over aider's option table:
abbreviations of long options (`--mod` is ambiguous, `--chat-h` is
`--chat-history-file`), `--opt=value`, short clusters (`-vmhello`), `--`, and the
rule that FILE arguments are only taken from the first run of positionals.
What aider would reject is reported in `errors`/`unknown`, never raised: the
launcher still runs aider, which prints its own message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from aidermem.errors import UsageError
from aidermem.launch.aider_options import OPTIONS, AiderOption

# ---------------------------------------------------------------------------
# aidermem's own flags

MEM_FLAGS: Mapping[str, bool] = {  # flag -> takes a value
    "--mem-off": False,
    "--mem-no-capture": False,
    "--mem-profile": True,
    "--mem-budget": True,
}
_MEM_SHAPED = re.compile(r"--mem(?:-[A-Za-z0-9-]*)?(?:=.*)?", re.DOTALL)


@dataclass(frozen=True)
class LaunchArgs:
    """The launcher's reading of `aidermem [args…]`."""

    aider_argv: tuple[str, ...]  # passed to aider exactly as given, minus our flags
    mem_off: bool = False  # no retrieval, no capture: plain aider
    mem_no_capture: bool = False  # retrieve, but do not record this session
    mem_profile: str | None = None
    mem_budget: int | None = None  # token budget for the context file

    @cached_property
    def aider(self) -> AiderArgs:
        """aider's reading of `aider_argv`, parsed on first use (a launch plan parses only
        the argv aider will see, launch/plan.py)."""
        return parse_aider_argv(self.aider_argv)


def split_launch_argv(argv: Sequence[str]) -> LaunchArgs:
    """Take our --mem-* flags out of `argv`; the rest is aider's, in order."""
    aider: list[str] = []
    found: dict[str, str | None] = {}
    i = 0
    while i < len(argv):
        tok = argv[i]
        if tok == "--":
            aider.extend(argv[i:])
            break
        if not _MEM_SHAPED.fullmatch(tok):
            aider.append(tok)
            i += 1
            continue
        name, eq, inline = tok.partition("=")
        if name not in MEM_FLAGS:
            raise UsageError(f"unknown aidermem option {name}",
                             f"aidermem's own options are {', '.join(MEM_FLAGS)}")
        if not MEM_FLAGS[name]:
            if eq:
                raise UsageError(f"{name} takes no value", f"write just {name}")
            found[name] = None
            i += 1
            continue
        if not eq and (i + 1 == len(argv) or argv[i + 1] == "--"):
            raise UsageError(f"{name} needs a value", f"e.g. {name}={_EXAMPLE[name]}")
        found[name] = inline if eq else argv[i + 1]
        i += 1 if eq else 2
    return LaunchArgs(
        aider_argv=tuple(aider),
        mem_off="--mem-off" in found,
        mem_no_capture="--mem-no-capture" in found,
        mem_profile=_profile(found["--mem-profile"]) if "--mem-profile" in found else None,
        mem_budget=_budget(found["--mem-budget"]) if "--mem-budget" in found else None,
    )


_EXAMPLE = {"--mem-profile": "work", "--mem-budget": "2000"}


def _profile(value: str | None) -> str:
    if not value or value.startswith("-") or value.strip() != value:
        raise UsageError(f"invalid --mem-profile {value!r}",
                         "give a profile name, e.g. --mem-profile work")
    return value


def _budget(value: str | None) -> int:
    number = int(value) if value and value.isdecimal() else 0
    if number <= 0:
        raise UsageError(f"invalid --mem-budget {value!r}",
                         "give a positive number of tokens, e.g. --mem-budget 2000")
    return number


# ---------------------------------------------------------------------------
# aider's argv

_BY_STRING: dict[str, AiderOption] = {s: opt for opt in OPTIONS for s in opt.strings}
_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")
# aider has options like -3 and -4, so argparse reads "-5" as an (unknown) option.
_HAS_NEGATIVE_NUMBER_OPTIONS = any(_NEGATIVE_NUMBER.match(s) for s in _BY_STRING)


@dataclass(frozen=True)
class AiderArgs:
    """What aider's parser will make of an argv (command line only: no env, no config)."""

    argv: tuple[str, ...]
    values: Mapping[str, Any]  # dest -> value, for options present (append: list)
    positionals: tuple[str, ...]  # FILE arguments
    exact: frozenset[str]  # dests named by an exact option string (configargparse's test)
    unknown: tuple[str, ...]  # tokens aider will reject as unrecognized arguments
    errors: tuple[str, ...]  # other argparse errors aider will exit with (status 2)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.unknown

    def given(self, dest: str) -> bool:
        return dest in self.values

    def _str(self, dest: str) -> str | None:
        value = self.values.get(dest)
        return value if isinstance(value, str) else None

    def _list(self, dest: str) -> tuple[str, ...]:
        return tuple(self.values.get(dest) or ())

    @property
    def files(self) -> tuple[str, ...]:
        """Files to edit, as aider combines them: FILE arguments, then --file values."""
        return self.positionals + self._list("file")

    @property
    def read(self) -> tuple[str, ...]:
        return self._list("read")

    @property
    def api_key(self) -> tuple[str, ...]:
        return self._list("api_key")

    @property
    def set_env(self) -> tuple[str, ...]:
        return self._list("set_env")

    @property
    def restore_chat_history(self) -> bool | None:
        value = self.values.get("restore_chat_history")
        return value if isinstance(value, bool) else None

    @property
    def chat_history_file(self) -> str | None:
        return self._str("chat_history_file")

    @property
    def input_history_file(self) -> str | None:
        return self._str("input_history_file")

    @property
    def model(self) -> str | None:
        return self._str("model")

    @property
    def weak_model(self) -> str | None:
        return self._str("weak_model")

    @property
    def message(self) -> str | None:
        return self._str("message")

    @property
    def message_file(self) -> str | None:
        return self._str("message_file")

    @property
    def config(self) -> str | None:
        return self._str("config")

    @property
    def env_file(self) -> str | None:
        return self._str("env_file")

    @property
    def openai_api_base(self) -> str | None:
        return self._str("openai_api_base")

    @property
    def openai_api_key(self) -> str | None:
        return self._str("openai_api_key")


@dataclass(frozen=True)
class _Hit:
    option: AiderOption | None  # None: looks like an option aider does not have
    string: str
    explicit: str | None = None  # the value after "=" (or glued to a short option)


def parse_aider_argv(argv: Sequence[str]) -> AiderArgs:
    """Read `argv` the way aider's argparse will (Python 3.11 rules)."""
    return _Parser(list(argv)).run()


class _Ambiguous(Exception):
    pass


def _classify(tok: str) -> _Hit | None:
    """None for a positional; a _Hit for an option (option None if unknown)."""
    if not tok or tok[0] != "-":
        return None
    if tok in _BY_STRING:
        return _Hit(_BY_STRING[tok], tok)
    if len(tok) == 1:
        return None
    if "=" in tok:
        name, value = tok.split("=", 1)
        if name in _BY_STRING:
            return _Hit(_BY_STRING[name], name, value)
    hits = _prefix_hits(tok)
    if len(hits) > 1:  # counted per option string, as argparse does
        raise _Ambiguous(f"ambiguous option: {tok} could match "
                         + ", ".join(h.string for h in hits))
    if hits:
        return hits[0]
    if _NEGATIVE_NUMBER.match(tok) and not _HAS_NEGATIVE_NUMBER_OPTIONS:
        return None
    if " " in tok:
        return None
    return _Hit(None, tok)


def _prefix_hits(tok: str) -> list[_Hit]:
    if tok[1] == "-":
        prefix, eq, value = tok.partition("=")
        explicit = value if eq else None
        return [_Hit(o, s, explicit) for s, o in _BY_STRING.items() if s.startswith(prefix)]
    short, glued = tok[:2], tok[2:]
    hits = []
    for s, o in _BY_STRING.items():
        if s == short:
            hits.append(_Hit(o, s, glued))
        elif s.startswith(tok):
            hits.append(_Hit(o, s))
    return hits


class _Parser:
    """One pass of argparse's consume-optionals / consume-positionals loop."""

    def __init__(self, toks: list[str]) -> None:
        self.toks = toks
        self.values: dict[str, Any] = {}
        self.positionals: list[str] = []
        self.files_open = True  # argparse fills FILE (nargs="*") once, then never again
        self.extras: list[str] = []
        self.errors: list[str] = []
        self.pattern: list[str] = []  # per token: "O" option, "A" argument, "-" the "--"
        self.hits: dict[int, _Hit] = {}

    def run(self) -> AiderArgs:
        self._scan()
        option_at = [i for i, p in enumerate(self.pattern) if p == "O"]
        start = 0
        while option_at and start <= option_at[-1]:
            nxt = min(i for i in option_at if i >= start)
            if start != nxt:
                end = self._positionals(start)
                if end > start:
                    start = end
                    continue
            if start not in self.hits:
                self.extras.extend(self.toks[start:nxt])
                start = nxt
            start = self._optional(start)
        stop = self._positionals(start)
        self.extras.extend(self.toks[stop:])
        return AiderArgs(
            argv=tuple(self.toks),
            values=self.values,
            positionals=tuple(self.positionals),
            exact=_exact_dests(self.toks),
            unknown=tuple(self.extras),
            errors=tuple(self.errors),
        )

    def _scan(self) -> None:
        for i, tok in enumerate(self.toks):
            if "-" in self.pattern:
                self.pattern.append("A")
            elif tok == "--":
                self.pattern.append("-")
            else:
                try:
                    hit = _classify(tok)
                except _Ambiguous as exc:
                    self.errors.append(str(exc))
                    hit = _Hit(None, tok)
                if hit is None:
                    self.pattern.append("A")
                else:
                    self.pattern.append("O")
                    self.hits[i] = hit

    def _positionals(self, start: int) -> int:
        if not self.files_open:
            return start
        end = start
        while end < len(self.toks) and self.pattern[end] in "A-":
            end += 1
        chunk = self.toks[start:end]
        if "--" in chunk:
            chunk.remove("--")  # argparse drops the first "--" of the run
        self.positionals.extend(chunk)
        self.files_open = False
        return end

    def _optional(self, start: int) -> int:
        hit = self.hits[start]
        option, string, explicit = hit.option, hit.string, hit.explicit
        while True:
            if option is None:
                self.extras.append(self.toks[start])
                return start + 1
            if explicit is None:
                if not option.takes_value:
                    self._store(option, string, None)
                    return start + 1
                if start + 1 < len(self.toks) and self.pattern[start + 1] == "A":
                    self._store(option, string, self.toks[start + 1])
                    return start + 2
                self.errors.append(f"argument {_name(option)}: expected one argument")
                return start + 1
            if option.takes_value:
                self._store(option, string, explicit)
                return start + 1
            if string[1] != "-" and explicit != "":
                # -vm…: a short flag glued to more short options
                self._store(option, string, None)
                string, rest = "-" + explicit[0], explicit[1:] or None
                if string in _BY_STRING:
                    option, explicit = _BY_STRING[string], rest
                    continue
            self.errors.append(f"argument {_name(option)}: ignored explicit argument "
                               f"{explicit!r}")
            return start + 1

    def _store(self, option: AiderOption, string: str, value: str | None) -> None:
        if option.kind == "append":
            self.values.setdefault(option.dest, []).append(value)
        elif option.kind in ("value", "config"):
            self.values[option.dest] = value
        elif option.kind == "bool":
            self.values[option.dest] = not string.startswith("--no-")
        elif option.kind == "flag":
            self.values[option.dest] = option.const
        else:  # help, version
            self.values[option.dest] = True


def _name(option: AiderOption) -> str:
    return "/".join(option.strings)


def _exact_dests(toks: Sequence[str]) -> frozenset[str]:
    """configargparse's "already on the command line": exact option strings, `=` split.

    Abbreviations do not count, and every token is looked at (even after `--`),
    which is why `--rea x` on the command line does not stop `read:` in
    .aider.conf.yml from being added as well.
    """
    names = {t.split("=", 1)[0] if t.startswith("-") and "=" in t else t for t in toks}
    return frozenset(_BY_STRING[n].dest for n in names if n in _BY_STRING)

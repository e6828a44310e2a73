"""Load and render the text templates shipped in prompts/.

Templates use `string.Template` syntax (`$name`, `${name}`). Rendering is
strict: a variable the template names but the caller did not pass is an
error, never a silent blank. This module never decides what goes into a
template; callers pass every value explicitly.
"""

from __future__ import annotations

import string
from functools import lru_cache
from importlib import resources

from aidermem.errors import AidermemError


@lru_cache(maxsize=16)
def load(name: str) -> string.Template:
    try:
        text = (resources.files("aidermem.prompts") / name).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise AidermemError(
            f"template {name!r} is missing from the installed package",
            "reinstall aidermem (pip install --force-reinstall aidermem)",
        ) from exc
    return string.Template(text)


def render(name: str, **values: str) -> str:
    template = load(name)
    try:
        return template.substitute(values)
    except KeyError as exc:
        raise AidermemError(
            f"template {name!r} needs a value for {exc.args[0]!r} that was not given",
            "this is a bug in aidermem; please report it",
        ) from exc
    except ValueError as exc:
        raise AidermemError(f"template {name!r} is malformed: {exc}", "fix the template") from exc

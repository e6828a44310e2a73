"""Which model summarizes a session, with which credentials, and the one call to it.

This is the edge that talks HTTP: `complete_json` makes a single litellm
request and turns every way it can fail into `SummarizeError`. Everything
else here is pure: `weak_model_for` mirrors how aider 0.86 picks its weak
model (by reading aider's packaged `model-settings.yml`, never by importing
aider's Python API) and `resolve_config` mirrors how aider assembles its
environment (`.env` files, `--api-key provider=key`, `--openai-api-*`).

It must never leave credentials in `os.environ` (they are exposed for one
litellm call and then restored; only litellm's own switches stay set), never
import litellm at module import time (it takes seconds), and never let
litellm fetch its cost map from the internet.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml

from aidermem.errors import AidermemError
from aidermem.text import one_line

DEFAULT_TIMEOUT = 90.0

# Mirrors aider.models.MODEL_ALIASES (aider 0.86): aider resolves these short
# names before it looks up model settings. tests/capture/test_summarize.py checks this
# table against aider's own so a new aider release cannot drift silently.
MODEL_ALIASES: dict[str, str] = {
    "sonnet": "claude-sonnet-4-5",
    "haiku": "claude-haiku-4-5",
    "opus": "claude-opus-4-6",
    "4": "gpt-4-0613",
    "4o": "gpt-4o",
    "4-turbo": "gpt-4-1106-preview",
    "35turbo": "gpt-3.5-turbo",
    "35-turbo": "gpt-3.5-turbo",
    "3": "gpt-3.5-turbo",
    "deepseek": "deepseek/deepseek-chat",
    "flash": "gemini/gemini-flash-latest",
    "flash-lite": "gemini/gemini-2.5-flash-lite",
    "quasar": "openrouter/openrouter/quasar-alpha",
    "r1": "deepseek/deepseek-reasoner",
    "gemini-2.5-pro": "gemini/gemini-2.5-pro",
    "gemini-3-pro-preview": "gemini/gemini-3-pro-preview",
    "gemini": "gemini/gemini-3-pro-preview",
    "gemini-exp": "gemini/gemini-2.5-pro-exp-03-25",
    "grok3": "xai/grok-3-beta",
    "optimus": "openrouter/openrouter/optimus-alpha",
}

# aider/onboarding.py try_to_select_default_model: the first key present wins.
# OpenRouter comes first there too, but aider asks openrouter.ai over HTTP
# whether the account is free-tier; we cannot, so we take the free-tier choice,
# which works on either tier and never spends money the user did not choose to.
_DEFAULT_MODEL_BY_KEY: tuple[tuple[str, str], ...] = (
    ("OPENROUTER_API_KEY", "openrouter/deepseek/deepseek-r1:free"),
    ("ANTHROPIC_API_KEY", "sonnet"),
    ("DEEPSEEK_API_KEY", "deepseek"),
    ("OPENAI_API_KEY", "gpt-4o"),
    ("GEMINI_API_KEY", "gemini/gemini-2.5-pro-exp-03-25"),
    ("VERTEXAI_PROJECT", "vertex_ai/gemini-2.5-pro-exp-03-25"),
)

# Providers whose litellm adapters honour response_format=json_object as-is.
# Others (anthropic emulates it with a tool call, unknown openai-compatible
# servers may reject it) get a plain request; the prompt asks for JSON anyway.
_JSON_MODE_PROVIDERS = frozenset({"openai", "azure", "gemini"})


class SummarizeError(AidermemError):
    """The summary model could not be reached or gave nothing usable."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"session summary failed: {reason}",
            "the raw transcript is kept; retry later with `aidermem capture`",
        )
        self.reason = reason


# libyaml parses aider's model-settings.yml ~6x faster than the pure-Python loader.
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class LLMConfig:
    model: str
    api_base: str | None
    api_key: str | None
    timeout: float = DEFAULT_TIMEOUT
    # Variables aider would have had in its environment (from .env files and
    # --api-key) that litellm reads itself: AWS_*, VERTEXAI_*, AZURE_*, ...
    extra_env: dict[str, str] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _packaged_settings() -> tuple[tuple[str, str | None], ...]:
    text = (resources.files("aider.resources") / "model-settings.yml").read_text("utf-8")
    return _settings_pairs(yaml.load(text, Loader=_YamlLoader))


def _settings_pairs(data: object) -> tuple[tuple[str, str | None], ...]:
    if not isinstance(data, list):
        return ()
    pairs = []
    for entry in data:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            weak = entry.get("weak_model_name")
            pairs.append((entry["name"], weak if isinstance(weak, str) and weak else None))
    return tuple(pairs)


def _settings(settings_files: Sequence[Path]) -> list[tuple[str, str | None]]:
    """Packaged settings, then user files; like aider, a user entry replaces every
    packaged entry of the same name and goes to the end."""
    merged = list(_packaged_settings())
    for path in settings_files:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError:
            continue
        try:
            user = _settings_pairs(yaml.load(text, Loader=_YamlLoader))
        except yaml.YAMLError:
            continue  # aider itself refuses to start on a broken file; not our call
        for name, weak in user:
            merged = [pair for pair in merged if pair[0] != name]
            merged.append((name, weak))
    return merged


def default_model(env: Mapping[str, str]) -> str | None:
    """The model aider picks when no --model is given, or None if it would pick none."""
    for key, model in _DEFAULT_MODEL_BY_KEY:
        if env.get(key):
            return model
    return None


def canonical_model(name: str) -> str:
    return MODEL_ALIASES.get(name, name)


def weak_model_for(
    main_model: str | None,
    *,
    env: Mapping[str, str] | None = None,
    settings_files: Sequence[Path] = (),
) -> str | None:
    """The weak model aider uses alongside `main_model`.

    Exact name match against aider's model settings, first entry wins (aider
    does the same, with no provider-prefix guessing: `openai/gpt-4o` has its
    own entry). No entry, or an entry without a weak model, means the main
    model is its own weak model. With no main model, aider's default for the
    API keys in `env` (default: os.environ); None if aider would find none.
    """
    if not main_model:
        main_model = default_model(os.environ if env is None else env)
        if main_model is None:
            return None
    name = canonical_model(main_model)
    for entry_name, weak in _settings(settings_files):
        if entry_name == name:
            return canonical_model(weak) if weak else name
    return name


def provider_of(model: str) -> str | None:
    """The litellm provider a model name routes to, when that is plain from the name."""
    if "/" in model:
        return model.split("/", 1)[0].lower()
    lower = model.lower()
    if lower.startswith(("gpt-", "o1", "o3", "o4", "chatgpt-", "ft:gpt")):
        return "openai"
    if lower.startswith("claude"):
        return "anthropic"
    return None


def read_dotenv(files: Sequence[Path]) -> dict[str, str]:
    """Values from .env files, later files winning, as aider loads them. Never
    touches os.environ (python-dotenv's dotenv_values only parses)."""
    from dotenv import dotenv_values

    values: dict[str, str] = {}
    for path in files:
        if not Path(path).is_file():
            continue
        try:
            parsed = dotenv_values(path, encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # aider prints and skips an unreadable .env; so do we
        values.update({k: v for k, v in parsed.items() if v is not None})
    return values


@dataclass(frozen=True)
class Models:
    """The models a session named: summary > weak > aider's weak model for `main`."""

    main: str | None
    weak: str | None = None
    summary: str | None = None  # aidermem's summary_model setting


@dataclass(frozen=True)
class Credentials:
    """aider's ways to hand litellm its environment, applied over it in this order (as aider
    does): `.env` files (override=True), `--set-env NAME=value`, `--api-key provider=key`
    (pass `--anthropic-api-key K` as "anthropic=K"), `--openai-api-key`/`--openai-api-base`
    (`api_key`/`api_base`: only for models the OpenAI provider serves, as in aider)."""

    dotenv_files: Sequence[Path] = ()
    set_env: Sequence[str] = ()
    api_keys: Sequence[str] = ()
    api_key: str | None = None
    api_base: str | None = None

    def added(self) -> dict[str, str]:
        """The variables these set over the environment, in aider's order."""
        added: dict[str, str] = dict(read_dotenv(self.dotenv_files))
        for setting in self.set_env:
            name, sep, value = setting.partition("=")
            if sep and name.strip():
                added[name.strip()] = value.strip()
        for setting in self.api_keys:
            provider_name, sep, secret = setting.partition("=")
            if sep and provider_name.strip():
                added[f"{provider_name.strip().upper()}_API_KEY"] = secret.strip()
        if self.api_key:
            added["OPENAI_API_KEY"] = self.api_key
        if self.api_base:
            added["OPENAI_API_BASE"] = self.api_base
        return added


def resolve_config(
    models: Models,
    *,
    env: Mapping[str, str],
    credentials: Credentials = Credentials(),
    timeout: float = DEFAULT_TIMEOUT,
    settings_files: Sequence[Path] = (),
) -> LLMConfig | None:
    """The model and credentials to summarize with, or None if no model is known.

    The environment is built the way aider builds its own: `env` (the environment litellm
    will run in, normally os.environ) with `credentials` applied over it.
    """
    added = credentials.added()
    merged: dict[str, str] = {**env, **added}
    if models.summary:
        model = canonical_model(models.summary)
    elif models.weak:
        model = canonical_model(models.weak)
    else:
        found = weak_model_for(models.main, env=merged, settings_files=settings_files)
        if found is None:
            return None
        model = found

    provider = provider_of(model)
    key: str | None = None
    base: str | None = None
    if provider == "openai":
        key = merged.get("OPENAI_API_KEY") or None
        base = (credentials.api_base or merged.get("OPENAI_BASE_URL")
                or merged.get("OPENAI_API_BASE") or None)
    elif provider is not None:
        key = merged.get(f"{provider.upper()}_API_KEY") or None
    extra = {k: v for k, v in added.items() if env.get(k) != v}
    return LLMConfig(model=model, api_base=base, api_key=key, timeout=timeout, extra_env=extra)


@contextlib.contextmanager
def _environ(extra: Mapping[str, str]) -> Iterator[None]:
    """Expose `extra` to litellm for one call, then put os.environ back as it was."""
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


T = TypeVar("T")


def _interruptibly(call: Callable[[], T]) -> T:
    """`call()` in a worker thread, waited for here, so that Ctrl-C stops the wait at once.

    In the calling (main) thread a KeyboardInterrupt waits until the current C call
    returns, and a DNS lookup or TLS read may take the whole timeout; an Event wait
    is interrupted right away. The abandoned daemon worker ends with the process.
    """
    done = threading.Event()
    result: list[T] = []
    failed: list[BaseException] = []

    def work() -> None:
        try:
            result.append(call())
        except BaseException as exc:  # handed to the waiting thread, raised there
            failed.append(exc)
        finally:
            done.set()

    threading.Thread(target=work, name="aidermem-llm", daemon=True).start()
    # In short waits: Python runs a signal's handler in this thread only when it wakes up,
    # and the kernel may hand Ctrl-C to the worker thread, which would not wake this one.
    while not done.wait(0.05):
        pass
    if failed:
        raise failed[0]
    return result[0]


def _completion(litellm: Any, extra_env: Mapping[str, str], kwargs: dict[str, Any]) -> Any:
    with _environ(extra_env):
        return litellm.completion(**kwargs)


def _litellm() -> Any:
    # Before the import: use the bundled cost map (no HTTP at import), and
    # PRODUCTION mode stops litellm from loading ./.env into os.environ.
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    os.environ.setdefault("LITELLM_MODE", "PRODUCTION")
    import litellm

    litellm.suppress_debug_info = True  # no "Give Feedback / Get Help" banners
    litellm.set_verbose = False  # type: ignore[attr-defined]  # set, though not exported
    litellm.drop_params = True  # a param a model rejects is dropped, not an error
    litellm._logging._disable_debugging()  # type: ignore[no-untyped-call]
    return litellm


def _wants_json_mode(litellm: Any, model: str) -> bool:
    try:
        provider = litellm.get_llm_provider(model)[1]
    except Exception:  # litellm raises assorted types for names it cannot route
        return False
    return provider in _JSON_MODE_PROVIDERS and bool(litellm.supports_response_schema(model))


_CLASS_PREFIX = re.compile(r"^(?:litellm\.)?[A-Z]\w*(?:Error|Exception|Timeout)\s*[:-]\s*")


def _reason(exc: BaseException) -> str:
    """A short reason: litellm nests class names ("InternalServerError:
    InternalServerError: OpenAIException - boom"); keep the class once."""
    text = one_line(str(exc)).split(" Error_str:", 1)[0]
    while (stripped := _CLASS_PREFIX.sub("", text, count=1)) != text:
        text = stripped
    if len(text) > 300:
        text = text[:297] + "..."
    # No HTTP status here: litellm invents one (500 for "connection refused").
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def complete_json(config: LLMConfig, messages: list[dict[str, Any]]) -> str:
    """Send `messages` to the configured model once; return the reply text.

    No streaming, no retries at any layer (the caller decides whether to ask
    again), bounded by config.timeout. Raises SummarizeError on any failure, and
    KeyboardInterrupt as soon as Ctrl-C is pressed (see `_interruptibly`).
    """
    litellm = _litellm()
    kwargs: dict[str, Any] = {
        "model": config.model,
        "messages": messages,
        "timeout": config.timeout,
        "num_retries": 0,
        "max_retries": 0,  # the OpenAI client would otherwise retry twice itself
        "stream": False,
    }
    if config.api_base:
        kwargs["api_base"] = config.api_base
    if config.api_key:
        kwargs["api_key"] = config.api_key
    if _wants_json_mode(litellm, config.model):
        kwargs["response_format"] = {"type": "json_object"}
    try:
        response = _interruptibly(partial(_completion, litellm, config.extra_env, kwargs))
    # litellm maps most provider failures to openai.* errors, but also raises
    # ValueError, httpx errors and plain Exception; every one of them means
    # "no summary from this model", which is exactly what the caller handles.
    except Exception as exc:
        raise SummarizeError(f"{config.model}: {_reason(exc)}") from exc
    try:
        content = response.choices[0].message.content
    except (AttributeError, IndexError, KeyError, TypeError) as exc:
        raise SummarizeError(f"{config.model}: unexpected response shape") from exc
    if not isinstance(content, str) or not content.strip():
        raise SummarizeError(f"{config.model}: the reply was empty")
    return content

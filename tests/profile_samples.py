"""Fixed profile data (paths that never exist, so columns stay put): shared by the
tests of the profiles text (tests/base/test_profiles.py) and of its JSON shapes
(tests/commands/test_profile_shapes.py)."""

from __future__ import annotations

from pathlib import Path

from aidermem.config import Origin, ProfileInfo, ResolvedSettings, Settings

PROJECT = Path("/srv/shop/.aidermem.toml")
USER = Path("/home/ana/.config/aidermem/config.toml")


def project(key: str) -> Origin:
    return Origin("project", str(PROJECT), key)


def backend_resolved() -> ResolvedSettings:
    settings = Settings(
        enabled=True,
        aider_args=["--model", "openai/gpt-4o", "--edit-format", "diff"],
        read=[Path("/srv/shop/CONVENTIONS.md"), Path("/srv/shop/services/api/API.md")],
        scope=["github.com/acme/shop", "billing-lib"],
        topics_prefer=["api", "db"],
        topics_require=[],
        query_words=["fastapi"],
        budget_tokens=2000,
        summary_model=None,
        capture="ask",
        store=Path("/srv/team-memories"),
        summarize="background",
        llm_timeout=90.0,
    )
    origins = {key: Origin("default") for key in Settings.model_fields}
    origins |= {
        "aider_args": project("profiles.backend.aider_args"),
        "read": project("profiles.backend.read"),
        "scope": project("profiles.backend.scope"),
        "topics_prefer": project("profiles.backend.topics_prefer"),
        "query_words": project("profiles.backend.query_words"),
        "budget_tokens": Origin("cli", "--mem-budget"),
        "capture": Origin("user", str(USER), "capture"),
        "store": Origin("env", "AIDERMEM_STORE"),
        "llm_timeout": project("llm_timeout"),
    }
    return ResolvedSettings(
        settings=settings,
        origins=origins,
        profile="backend",
        profile_source="env AIDERMEM_PROFILE",
        description="API service: Python 3.12, FastAPI",
        files=[PROJECT, USER],
    )


INFOS = [
    ProfileInfo("default", [PROJECT, USER], None),
    ProfileInfo("backend", [PROJECT], "API service: Python 3.12, FastAPI"),
    ProfileInfo("docs", [PROJECT], "Docs site (mkdocs)"),
    ProfileInfo("review", [PROJECT, USER], "Read more, write less"),
    ProfileInfo("scratch", [], None),
]

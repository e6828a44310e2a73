"""Configuration files, profiles, precedence, provenance and every validation error.

Real TOML files in temporary directories; the user file lives where
`paths.user_config_file()` says (under the per-test AIDERMEM_HOME).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from aidermem import config, paths
from aidermem.config import Settings
from aidermem.errors import ConfigError, UsageError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    return root


def user_file(text: str) -> Path:
    return write(paths.user_config_file(), text)


def project_file(repo: Path, text: str) -> Path:
    return write(repo / ".aidermem.toml", text)


def resolve(repo: Path | None, profile: str | None = None, env=None, cli=None):
    return config.resolve(
        cwd=repo or Path.cwd(), project_root=repo, profile=profile, env=env or {}, cli=cli or {}
    )


def labels(resolved) -> dict[str, str]:
    return {key: origin.label for key, origin in resolved.origins.items()}


def error_of(repo: Path | None, **kwargs) -> str:
    with pytest.raises(ConfigError) as info:
        resolve(repo, **kwargs)
    return info.value.render()


# --- layers and precedence -------------------------------------------------------------


def test_defaults_when_no_file_exists(repo):
    r = resolve(repo)
    s = r.settings
    assert s.enabled is True
    assert s.aider_args == [] and s.read == [] and s.query_words == []
    assert s.scope == "project"
    assert s.budget_tokens == 1500
    assert s.summary_model is None
    assert s.capture == "on"
    assert s.summarize == "background"
    assert s.llm_timeout == 60
    assert s.store == paths.default_store_dir()
    assert set(labels(r).values()) == {"default"}
    assert list(r.origins) == list(Settings.model_fields)
    assert (r.profile, r.profile_source, r.files, r.description) == ("default", "default", [], None)


def test_user_file_only(repo):
    uf = user_file('budget_tokens = 900\ncapture = "ask"\n')
    r = resolve(repo)
    assert (r.settings.budget_tokens, r.settings.capture) == (900, "ask")
    assert labels(r)["budget_tokens"] == f"{uf}: budget_tokens"
    assert r.origins["capture"].layer == "user"
    assert labels(r)["scope"] == "default"
    assert r.files == [uf]


def test_project_file_only(repo):
    pf = project_file(repo, 'scope = "all"\nsummarize = "foreground"\nllm_timeout = 12.5\n')
    r = resolve(repo)
    assert (r.settings.scope, r.settings.summarize, r.settings.llm_timeout) == (
        "all",
        "foreground",
        12.5,
    )
    assert labels(r)["scope"] == f"{pf}: scope"
    assert r.origins["scope"].layer == "project"


def test_no_project_root_reads_only_the_user_file(repo):
    project_file(repo, "budget_tokens = 111\n")
    user_file("budget_tokens = 222\n")
    assert resolve(None).settings.budget_tokens == 222


def test_project_beats_user_key_by_key(repo):
    uf = user_file('budget_tokens = 900\ncapture = "ask"\nquery_words = ["mine"]\n')
    pf = project_file(repo, 'budget_tokens = 700\nquery_words = ["team", "api"]\n')
    r = resolve(repo)
    assert r.settings.budget_tokens == 700
    assert r.settings.capture == "ask"  # only the user file sets it
    assert r.settings.query_words == ["team", "api"]  # a list replaces, never appends
    assert labels(r)["budget_tokens"] == f"{pf}: budget_tokens"
    assert labels(r)["capture"] == f"{uf}: capture"
    assert r.files == [pf, uf]  # highest precedence first


PROFILED = """\
    budget_tokens = 1000
    capture = "ask"
    query_words = ["top"]

    [profiles.default]
    budget_tokens = 1100
    summarize = "foreground"

    [profiles.backend]
    description = "API service"
    budget_tokens = 2000
"""


def test_default_profile_layers_on_top_level(repo):
    pf = project_file(repo, PROFILED)
    r = resolve(repo)
    assert r.profile == "default"
    assert (r.settings.budget_tokens, r.settings.summarize, r.settings.capture) == (
        1100,
        "foreground",
        "ask",
    )
    assert labels(r)["budget_tokens"] == f"{pf}: profiles.default.budget_tokens"
    assert labels(r)["capture"] == f"{pf}: capture"


def test_named_profile_layers_on_default_profile(repo):
    pf = project_file(repo, PROFILED)
    r = resolve(repo, profile="backend")
    assert (r.profile, r.profile_source, r.description) == (
        "backend",
        "command line",
        "API service",
    )
    assert r.settings.budget_tokens == 2000  # named beats default beats top level
    assert r.settings.summarize == "foreground"  # from [profiles.default]
    assert r.settings.query_words == ["top"]  # from the top level
    assert labels(r)["budget_tokens"] == f"{pf}: profiles.backend.budget_tokens"
    assert labels(r)["summarize"] == f"{pf}: profiles.default.summarize"
    assert labels(r)["query_words"] == f"{pf}: query_words"


def test_same_profile_in_both_files_project_wins_key_by_key(repo):
    uf = user_file(
        '[profiles.review]\nbudget_tokens = 3000\ncapture = "off"\ndescription = "mine"\n'
    )
    pf = project_file(repo, '[profiles.review]\nbudget_tokens = 2500\ndescription = "team"\n')
    r = resolve(repo, profile="review")
    assert (r.settings.budget_tokens, r.settings.capture, r.description) == (2500, "off", "team")
    assert labels(r)["budget_tokens"] == f"{pf}: profiles.review.budget_tokens"
    assert labels(r)["capture"] == f"{uf}: profiles.review.capture"


def test_a_named_user_profile_beats_the_project_top_level(repo):
    # Files merge level by level, so the profile someone chose is not undone by a team default.
    uf = user_file("[profiles.deep]\nbudget_tokens = 4000\n")
    project_file(repo, "budget_tokens = 800\n")
    r = resolve(repo, profile="deep")
    assert r.settings.budget_tokens == 4000
    assert labels(r)["budget_tokens"] == f"{uf}: profiles.deep.budget_tokens"
    assert resolve(repo).settings.budget_tokens == 800


def test_env_overrides_files_and_selects_the_profile(repo, tmp_path):
    project_file(repo, PROFILED + 'summary_model = "openai/gpt-4o"\n')
    env = {
        "AIDERMEM_PROFILE": "backend",
        "AIDERMEM_BUDGET": "2500",
        "AIDERMEM_CAPTURE": "off",
        "AIDERMEM_SUMMARY_MODEL": "openai/gpt-4o-mini",
        "AIDERMEM_STORE": "team-store",
    }
    r = config.resolve(cwd=tmp_path, project_root=repo, profile=None, env=env, cli={})
    assert (r.profile, r.profile_source) == ("backend", "env AIDERMEM_PROFILE")
    s = r.settings
    assert (s.budget_tokens, s.capture, s.summary_model) == (2500, "off", "openai/gpt-4o-mini")
    assert s.store == (tmp_path / "team-store").resolve()  # relative to cwd
    got = labels(r)
    assert got["budget_tokens"] == "env AIDERMEM_BUDGET"
    assert got["capture"] == "env AIDERMEM_CAPTURE"
    assert got["summary_model"] == "env AIDERMEM_SUMMARY_MODEL"
    assert got["store"] == "env AIDERMEM_STORE"
    assert r.origins["store"].layer == "env"


def test_empty_env_values_count_as_unset(repo):
    pf = project_file(repo, "budget_tokens = 700\n")
    r = resolve(repo, env={"AIDERMEM_BUDGET": "", "AIDERMEM_PROFILE": " ", "AIDERMEM_STORE": ""})
    assert r.settings.budget_tokens == 700
    assert labels(r)["budget_tokens"] == f"{pf}: budget_tokens"
    assert r.profile == "default"


def test_command_line_beats_env(repo):
    project_file(repo, PROFILED + "[profiles.docs]\nbudget_tokens = 600\n")
    env = {"AIDERMEM_PROFILE": "backend", "AIDERMEM_BUDGET": "2500"}
    r = resolve(repo, profile="docs", env=env, cli={"budget_tokens": 400, "enabled": False})
    assert (r.profile, r.profile_source) == ("docs", "command line")
    assert (r.settings.budget_tokens, r.settings.enabled) == (400, False)
    assert labels(r)["budget_tokens"] == "command line --mem-budget"
    assert labels(r)["enabled"] == "command line --mem-off"
    assert r.origins["enabled"].layer == "cli"


def test_cli_overrides_from_the_launcher_flags(repo):
    assert config.cli_overrides() == {}
    cli = config.cli_overrides(mem_off=True, mem_no_capture=True, mem_budget=700)
    assert cli == {"enabled": False, "capture": "off", "budget_tokens": 700}
    r = resolve(repo, cli=cli)
    assert (r.settings.enabled, r.settings.capture, r.settings.budget_tokens) == (False, "off", 700)
    assert labels(r)["capture"] == "command line --mem-no-capture"


def test_command_line_key_without_a_flag_name_and_relative_store(repo, tmp_path):
    r = config.resolve(
        cwd=tmp_path, project_root=repo, profile=None, env={}, cli={"store": Path("s")}
    )
    assert r.settings.store == (tmp_path / "s").resolve()
    assert labels(r)["store"] == "command line"


def test_unknown_command_line_key_is_a_programming_error(repo):
    with pytest.raises(ValueError, match="unknown command-line override 'budget'"):
        resolve(repo, cli={"budget": 3})


# --- values --------------------------------------------------------------------------------


def test_read_and_store_resolve_against_the_declaring_file(repo):
    project_file(
        repo,
        'read = ["CONVENTIONS.md", "docs/../STYLE.md", "/etc/abs.md", "~/notes.md"]\n'
        'store = "../team-memories"\n',
    )
    user_file('[profiles.mine]\nread = ["personal.md"]\nstore = "~/stores/mine"\n')
    s = resolve(repo).settings
    home = Path.home()
    assert s.read == [
        (repo / "CONVENTIONS.md").resolve(),
        (repo / "STYLE.md").resolve(),
        Path("/etc/abs.md"),
        (home / "notes.md").resolve(),
    ]
    assert s.store == (repo.parent / "team-memories").resolve()
    mine = resolve(repo, profile="mine").settings
    assert mine.read == [(paths.user_config_file().parent / "personal.md").resolve()]
    assert mine.store == (home / "stores" / "mine").resolve()


def test_scope_list_topics_and_aider_args(repo):
    project_file(
        repo,
        """\
        scope = ["github.com/acme/shop", "docs-site"]
        topics_prefer = ["Auth Flow", "auth-flow", "api"]
        topics_require = ["billing"]
        aider_args = ["--model", "openai/gpt-4o", "--edit-format", "diff", "--message=hi there"]
        """,
    )
    s = resolve(repo).settings
    assert s.scope == ["github.com/acme/shop", "docs-site"]
    assert s.topics_prefer == ["auth-flow", "api"]
    assert s.topics_require == ["billing"]
    assert s.aider_args[-1] == "--message=hi there"


def test_empty_summary_model_goes_back_to_the_weak_model(repo):
    pf = project_file(
        repo, 'summary_model = "openai/gpt-4o"\n[profiles.cheap]\nsummary_model = ""\n'
    )
    assert resolve(repo).settings.summary_model == "openai/gpt-4o"
    r = resolve(repo, profile="cheap")
    assert r.settings.summary_model is None
    assert labels(r)["summary_model"] == f"{pf}: profiles.cheap.summary_model"


def test_list_profiles(repo):
    uf = user_file('query_words = ["x"]\n[profiles.review]\ndescription = "mine"\n[profiles.zen]\n')
    pf = project_file(repo, PROFILED + '[profiles.review]\ndescription = "Read more"\n')
    infos = config.list_profiles(project_root=repo)
    assert [(i.name, i.sources, i.description) for i in infos] == [
        ("default", [pf, uf], None),
        ("backend", [pf], "API service"),
        ("review", [pf, uf], "Read more"),
        ("zen", [uf], None),
    ]


def test_list_profiles_without_files(repo):
    assert config.list_profiles(project_root=repo) == [config.ProfileInfo("default", [], None)]


# --- errors --------------------------------------------------------------------------------


def test_unknown_top_level_key_suggests_the_close_match(repo):
    pf = project_file(repo, "budget_token = 900\n")
    msg = error_of(repo)
    assert msg.startswith(f"aidermem: error: {pf}: unknown key budget_token — ")
    assert "did you mean 'budget_tokens'? allowed keys: aider_args, budget_tokens," in msg
    assert msg.endswith(
        "profiles, query_words, read, scope, semantic, store, summarize, summary_model, "
        "topics_prefer, topics_require"
    )


def test_unknown_key_inside_a_profile(repo):
    uf = user_file('[profiles.backend]\ncaptur = "off"\n')
    msg = error_of(repo)
    assert f"{uf}: unknown key profiles.backend.captur — did you mean 'capture'?" in msg
    assert "description" in msg and "profiles," not in msg  # keys allowed inside a profile


def test_unknown_key_far_from_anything(repo):
    project_file(repo, "zzz = 1\n")
    assert "unknown key zzz — allowed keys: aider_args," in error_of(repo)


def test_wrong_type(repo):
    pf = project_file(repo, '[profiles.docs]\nbudget_tokens = "2000"\n')
    msg = error_of(repo)
    assert msg == (
        f'aidermem: error: {pf}: invalid value for profiles.docs.budget_tokens: "2000" '
        "— expected an integer from 1 to 32000"
    )


def test_a_string_where_a_list_belongs(repo):
    pf = project_file(repo, 'read = "CONVENTIONS.md"\n')
    assert error_of(repo) == (
        f'aidermem: error: {pf}: invalid value for read: "CONVENTIONS.md" '
        '— expected a list of paths, e.g. ["CONVENTIONS.md"]'
    )


def test_bad_enum(repo):
    pf = project_file(repo, 'capture = "sometimes"\n')
    assert error_of(repo) == (
        f'aidermem: error: {pf}: invalid value for capture: "sometimes" '
        '— expected "on", "ask" or "off"'
    )


def test_bad_scope(repo):
    pf = project_file(repo, 'scope = "everything"\n')
    assert error_of(repo) == (
        f'aidermem: error: {pf}: invalid value for scope: "everything" '
        '— expected "project", "all", or a non-empty list of project ids or names'
    )


@pytest.mark.parametrize("value", ["-5", "0", "40000", "true"])
def test_out_of_range_budget(repo, value):
    pf = project_file(repo, f"budget_tokens = {value}\n")
    assert error_of(repo) == (
        f"aidermem: error: {pf}: invalid value for budget_tokens: {value} "
        "— expected an integer from 1 to 32000"
    )


def test_negative_timeout(repo):
    pf = project_file(repo, "llm_timeout = -1\n")
    assert error_of(repo) == (
        f"aidermem: error: {pf}: invalid value for llm_timeout: -1 "
        "— expected a number of seconds above 0, at most 3600"
    )


def test_flag_and_value_glued_in_one_item(repo):
    pf = project_file(repo, 'aider_args = ["--model openai/gpt-4o"]\n')
    assert error_of(repo) == (
        f'aidermem: error: {pf}: invalid value for aider_args: ["--model openai/gpt-4o"] '
        "— '--model openai/gpt-4o' holds a flag and its value in one string; "
        'write them as two items: ["--model", "openai/gpt-4o"]'
    )


def test_several_problems_are_counted(repo):
    pf = project_file(repo, 'capture = "x"\nscope = 3\n[profiles.a]\nbudget_tokens = 0\n')
    msg = error_of(repo)
    assert msg.startswith(f'aidermem: error: {pf}: invalid value for capture: "x" (and 2 more')


def test_profile_that_is_not_a_table(repo):
    pf = project_file(repo, "profiles.backend = 3\n")
    assert error_of(repo) == (
        f'aidermem: error: {pf}: invalid value for profiles: {{"backend": 3}} '
        "— expected tables such as [profiles.backend]"
    )


def test_bad_profile_name(repo):
    pf = project_file(repo, '[profiles."my profile"]\nbudget_tokens = 5\n')
    assert error_of(repo) == (
        f"aidermem: error: {pf}: invalid profile name 'my profile' "
        "— profile names may use letters, digits, '-' and '_'"
    )


def test_nonexistent_profile_lists_the_available_ones(repo):
    pf = project_file(repo, PROFILED + "[profiles.docs]\n")
    uf = user_file("[profiles.review]\n")
    assert error_of(repo, profile="bakend") == (
        f"aidermem: error: profile 'bakend' is not defined (selected by command line; "
        f"searched {pf}, {uf}) — did you mean 'backend'? "
        "available profiles: default, backend, docs, review"
    )
    msg = error_of(repo, env={"AIDERMEM_PROFILE": "nope"})
    assert "profile 'nope' is not defined (selected by env AIDERMEM_PROFILE;" in msg
    assert msg.endswith("— available profiles: default, backend, docs, review")


def test_default_profile_always_exists(repo):
    assert resolve(repo, profile="default").profile == "default"


def test_invalid_toml_names_line_and_column(repo):
    pf = project_file(repo, "budget_tokens = 900\ncapture = \n")
    assert error_of(repo) == (
        f"aidermem: error: {pf}: invalid TOML at line 2, column 11: Invalid value "
        "— fix the syntax (see https://toml.io)"
    )


def test_invalid_toml_at_end_of_document(repo):
    uf = user_file('budget_tokens = 900\nread = ["a.md",\n')
    assert error_of(repo).startswith(f"aidermem: error: {uf}: invalid TOML at line 2, column 16: ")


def test_duplicate_key_is_invalid_toml(repo):
    pf = project_file(repo, "[profiles.a]\nbudget_tokens = 1\nbudget_tokens = 2\n")
    assert error_of(repo).startswith(f"aidermem: error: {pf}: invalid TOML at line 3, column")


def test_file_that_is_not_utf8(repo):
    pf = repo / ".aidermem.toml"
    pf.write_bytes(b'description = "\xff"\n')
    assert error_of(repo) == (f"aidermem: error: {pf}: not UTF-8 text — save the file as UTF-8")


def test_config_path_that_is_a_directory(repo):
    (repo / ".aidermem.toml").mkdir()
    assert error_of(repo).startswith(f"aidermem: error: cannot read {repo / '.aidermem.toml'}: ")


def test_bad_env_value_names_the_variable(repo):
    assert error_of(repo, env={"AIDERMEM_BUDGET": "lots"}) == (
        'aidermem: error: env AIDERMEM_BUDGET: invalid value "lots" '
        "— expected an integer from 1 to 32000"
    )
    assert error_of(repo, env={"AIDERMEM_CAPTURE": "maybe"}) == (
        'aidermem: error: env AIDERMEM_CAPTURE: invalid value "maybe" '
        '— expected "on", "ask" or "off"'
    )


def test_bad_command_line_value_is_a_usage_error(repo):
    with pytest.raises(UsageError) as info:
        resolve(repo, cli={"budget_tokens": -3})
    assert info.value.render() == (
        "aidermem: error: command line --mem-budget: invalid value -3 "
        "— expected an integer from 1 to 32000"
    )
    assert info.value.exit_code == 2


def test_errors_in_a_file_stop_even_when_another_layer_would_override(repo):
    # A broken file is never silently skipped, even if env or the command line wins anyway.
    project_file(repo, "budget_tokens = -1\n")
    assert "invalid value for budget_tokens: -1" in error_of(
        repo, env={"AIDERMEM_BUDGET": "100"}, cli={"budget_tokens": 50}
    )


# The example the README shows; kept here so it cannot drift from what the code accepts.
README_EXAMPLE = """\
# .aidermem.toml: committed at the repository root and shared by the team.
# Top-level keys apply to every launch; [profiles.NAME] tables layer on top.
# Relative paths (read, store) are relative to this file.

read = ["CONVENTIONS.md"]                 # every session sees the team conventions
summary_model = "openai/gpt-4o-mini"      # model for end-of-session summaries
# store = "../shop-memories"              # a shared team store checked out next to the repo

[profiles.default]
description = "Everyday work anywhere in the repo"
aider_args = ["--model", "openai/gpt-4o"]

[profiles.backend]
description = "services/api and services/worker: Python, FastAPI, Postgres"
aider_args = ["--model", "openai/gpt-4o", "--edit-format", "diff",
              "--test-cmd", "pytest -q services", "--auto-test"]
read = ["CONVENTIONS.md", "services/ARCHITECTURE.md"]
topics_prefer = ["api", "database", "migrations"]
query_words = ["fastapi", "sqlalchemy"]
budget_tokens = 2500

[profiles.docs]
description = "docs/: the mkdocs site and API reference"
aider_args = ["--model", "openai/gpt-4o-mini", "--edit-format", "whole"]
read = ["CONVENTIONS.md", "docs/STYLE.md"]
topics_prefer = ["docs"]
budget_tokens = 1000
capture = "ask"

[profiles.review]
description = "Read more, write less: questions and reviews, no edits"
# a list replaces the inherited one, so repeat the model
aider_args = ["--model", "openai/gpt-4o", "--chat-mode", "ask",
              "--no-auto-commits", "--map-tokens", "4096"]
scope = "all"                             # recall decisions from every project
budget_tokens = 4000
capture = "ask"
summarize = "foreground"
"""


def test_readme_example(repo):
    pf = project_file(repo, README_EXAMPLE)
    root = repo.resolve()
    plain = resolve(repo).settings
    assert plain.aider_args == ["--model", "openai/gpt-4o"]
    assert plain.read == [root / "CONVENTIONS.md"]
    assert plain.summary_model == "openai/gpt-4o-mini"
    backend = resolve(repo, profile="backend")
    assert backend.settings.read == [root / "CONVENTIONS.md", root / "services/ARCHITECTURE.md"]
    assert backend.settings.aider_args[-3:] == ["--test-cmd", "pytest -q services", "--auto-test"]
    assert backend.settings.budget_tokens == 2500
    review = resolve(repo, profile="review").settings
    assert (review.scope, review.capture, review.summarize) == ("all", "ask", "foreground")
    assert review.read == [root / "CONVENTIONS.md"]  # inherited from the top level
    assert review.aider_args[:4] == ["--model", "openai/gpt-4o", "--chat-mode", "ask"]
    assert [(i.name, i.sources) for i in config.list_profiles(project_root=repo)] == [
        ("default", [pf]),
        ("backend", [pf]),
        ("docs", [pf]),
        ("review", [pf]),
    ]


def test_config_layers_is_the_precedence_resolve_and_the_store_guess_share(tmp_path: Path) -> None:
    """paths.config_layers orders the tables as the module docstring says (top level, then
    [profiles.default], then the named profile; user file before project file at each
    level), leaving out tables a file does not have."""
    user, project = tmp_path / "user.toml", tmp_path / "project.toml"
    files = [(user, {"": "u", "default": "u-default", "team": "u-team"}),
             (project, {"": "p", "team": "p-team", "other": "p-other"})]
    assert paths.config_layers(files, "team") == [
        (user, "u"), (project, "p"), (user, "u-default"), (user, "u-team"), (project, "p-team")]
    assert paths.config_layers(files, "default") == [(user, "u"), (project, "p"),
                                                     (user, "u-default")]
    assert paths.config_files(None) == [paths.user_config_file()]
    assert paths.config_files(tmp_path) == [paths.user_config_file(), tmp_path / ".aidermem.toml"]
    assert paths.selected_profile(None, {"AIDERMEM_PROFILE": " team "}) == (
        "team", "env AIDERMEM_PROFILE")
    assert paths.selected_profile("cli", {"AIDERMEM_PROFILE": "team"}) == ("cli", "command line")
    assert paths.selected_profile(None, {"AIDERMEM_PROFILE": "  "}) == ("default", "default")

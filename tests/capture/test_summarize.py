"""The summarizer: model resolution, the prompt, the litellm call, the reply, the memories.

Every model call goes through real litellm to the fake OpenAI-compatible server
on 127.0.0.1 (tests/fakellm.py); nothing here talks to a real provider.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from corpus import CORPUS
from fakellm import Failure, FakeLLM

from aidermem import templates
from aidermem.capture import llm
from aidermem.capture.llm import (
    Credentials,
    LLMConfig,
    Models,
    SummarizeError,
    complete_json,
    resolve_config,
)
from aidermem.capture.summarize import (
    DEFAULT_MAX_CHARS,
    SessionFacts,
    build_messages,
    parse_summary,
    summarize_session,
    summary_to_memories,
    truncate_middle,
)
from aidermem.errors import AidermemError
from aidermem.models import Kind, Method, Tool
from aidermem.store import memfile

SMALL = CORPUS / "0xf1e__health-analyzer-poc.md"  # 47k chars
LARGE = CORPUS / "0202alcc__luvatrix.md"  # 153k chars: over the default budget

FACTS = SessionFacts(
    project_id="github.com/0xf1e/health-analyzer-poc",
    project_name="health-analyzer-poc",
    commits=[("3f2a9c1d0e5b", "feat: add metrics_check.py for repository health")],
    files_edited=["metrics_check.py"],
    files_added=["metrics_check.sh"],
    remember_lines=["remember: the GitHub token comes from GITHUB_TOKEN, never a flag"],
    started=datetime(2025, 9, 22, 12, 4, tzinfo=UTC),
    transcript_path="/repo/.aider.chat.history.md",
    session_id="01JSESSION0000000000000000",
    user_turns=12,
)

GOOD = {
    "title": "Repository health checker script for OSI criteria",
    "summary": "Wrote metrics_check.py to score a repo against OSI criteria. Stopped before "
    "running it with a real token.",
    "decisions": [
        {
            "title": "Use the GitHub REST API",
            "decision": "Query the REST API with requests",
            "rationale": "No extra dependency beyond requests",
            "rejected_alternatives": ["GraphQL API", "shell script with curl"],
        }
    ],
    "bugs": [
        {
            "title": "Lint error in metrics_check.py",
            "symptom": "flake8 reported an undefined name",
            "root_cause": "missing import of os",
            "fix": "import os at the top",
        }
    ],
    "conventions": [{"title": "Token from env", "rule": "Read GITHUB_TOKEN from the environment"}],
    "open_threads": ["Run metrics_check.py against a real repository"],
    "topics": ["GitHub API", "repo_health"],
    "files": ["metrics_check.py", "README.md"],
}


@pytest.fixture
def server() -> Iterator[FakeLLM]:
    fake = FakeLLM().start()
    try:
        yield fake
    finally:
        fake.stop()


def config_for(fake: FakeLLM, timeout: float = 30.0) -> LLMConfig:
    return LLMConfig(model="openai/fake-weak", api_base=fake.base_url, api_key="k", timeout=timeout)


def refused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed on exit: nothing listens there now


# -- the whole path through litellm ------------------------------------------


def test_happy_path_sends_transcript_and_facts_and_links_memories(server: FakeLLM) -> None:
    transcript = SMALL.read_text(encoding="utf-8")
    server.enqueue(json.dumps(GOOD))

    summary = summarize_session(config_for(server), transcript=transcript, facts=FACTS)
    memories = summary_to_memories(summary, FACTS)

    (request,) = server.chat_requests()
    assert request.body["model"] == "fake-weak"
    assert not request.streaming
    assert "response_format" not in request.body  # unknown openai-compatible model: plain request
    assert request.headers.get("Authorization") == "Bearer k"
    sent = request.text
    assert "The number of active contribu" in sent  # from the transcript itself
    assert "You can use /undo to undo and discard each aider commit." in sent
    assert "health-analyzer-poc" in sent
    assert "3f2a9c1 feat: add metrics_check.py for repository health" in sent
    assert "metrics_check.sh" in sent
    assert "the GitHub token comes from GITHUB_TOKEN" in sent
    assert "2025-09-22T12:04:00+00:00" in sent
    assert "$" + "transcript" not in sent  # every placeholder was filled

    session, decision, bug, convention = memories
    assert [m.kind for m in memories] == [Kind.SESSION, Kind.DECISION, Kind.BUG, Kind.CONVENTION]
    assert session.title == GOOD["title"]
    assert session.related == [decision.id, bug.id, convention.id]
    assert all(m.related == [session.id] for m in memories[1:])
    for memory in memories:
        assert memory.project == FACTS.project_id
        assert memory.project_name == "health-analyzer-poc"
        assert memory.topics == ["github-api", "repo-health"]
        assert memory.source.method is Method.LLM
        assert memory.source.tool is Tool.AIDER
        assert memory.source.session_id == FACTS.session_id
        assert memory.source.transcript == FACTS.transcript_path
        assert memory.source.session_start == FACTS.started
        assert memory.commits == ["3f2a9c1 feat: add metrics_check.py for repository health"]
        # each is a valid memory file
        assert memfile.parse(memfile.dump(memory), "x.md").id == memory.id
    assert session.files == ["metrics_check.py", "metrics_check.sh", "README.md"]
    for heading in (
        "## Summary",
        "## Decisions",
        "## Bugs",
        "## Conventions",
        "## Open threads / next steps",
        "## Commits",
        "## Files",
    ):
        assert heading in session.body
    assert "Run metrics_check.py against a real repository" in session.body
    assert "remember: the GitHub token comes from GITHUB_TOKEN" in session.body
    assert "**Why:** No extra dependency beyond requests" in decision.body
    assert "- GraphQL API" in decision.body
    assert "**Root cause:** missing import of os" in bug.body
    assert "**Fix:** import os at the top" in bug.body
    assert convention.body.strip() == "Read GITHUB_TOKEN from the environment"


def test_session_without_findings_is_one_memory(server: FakeLLM) -> None:
    server.enqueue(json.dumps({"title": "Looked around", "summary": "Read the code."}))
    summary = summarize_session(config_for(server), transcript="#### hi\n", facts=FACTS)
    (memory,) = summary_to_memories(summary, FACTS, tool=Tool.IMPORT)
    assert memory.related == []
    assert memory.source.tool is Tool.IMPORT
    assert "## Decisions" not in memory.body


def test_naive_start_time_is_read_as_local_time() -> None:
    naive = datetime(2025, 9, 22, 12, 4)  # as aider's "# aider chat started at" header gives it
    facts = SessionFacts("p", "p", started=naive)
    summary = parse_summary(json.dumps(GOOD))
    for memory in summary_to_memories(summary, facts):
        assert memory.source.session_start == naive.astimezone()


def test_known_openai_model_gets_json_mode(server: FakeLLM) -> None:
    server.enqueue(json.dumps(GOOD))
    config = LLMConfig("gpt-4o-mini", server.base_url, "k", 30)
    assert complete_json(config, [{"role": "user", "content": "hi"}]) == json.dumps(GOOD)
    assert server.chat_requests()[0].body["response_format"] == {"type": "json_object"}


def test_huge_transcript_is_cut_from_the_middle(server: FakeLLM) -> None:
    transcript = LARGE.read_text(encoding="utf-8")
    assert len(transcript) > 2 * DEFAULT_MAX_CHARS
    server.enqueue(json.dumps(GOOD))

    summarize_session(config_for(server), transcript=transcript, facts=FACTS)

    (request,) = server.chat_requests()
    sent = request.text
    overhead = len(build_messages("", FACTS)[0]["content"])
    assert len(sent) <= DEFAULT_MAX_CHARS + overhead + 200  # the note names the cut size
    assert transcript[:2000] in sent  # the ask survives
    assert transcript[-2000:] in sent  # where it stopped survives
    middle = transcript[len(transcript) // 2 : len(transcript) // 2 + 300]
    assert middle not in sent
    assert "characters omitted from the middle" in sent


def test_invalid_json_then_valid_json_succeeds_with_two_requests(server: FakeLLM) -> None:
    server.enqueue("Sure! Here is your summary: title = stuff", json.dumps(GOOD))
    summary = summarize_session(config_for(server), transcript="#### go\n", facts=FACTS)
    assert summary.title == GOOD["title"]
    first, second = server.chat_requests()
    assert [m["role"] for m in second.messages] == ["user", "assistant", "user"]
    assert second.messages[1]["content"].startswith("Sure! Here is your summary")
    assert "ONLY the JSON object" in second.last_user_text
    assert first.messages == second.messages[:1]


def test_invalid_twice_raises_after_exactly_two_requests(server: FakeLLM) -> None:
    server.enqueue("not json", "[1, 2, 3]")
    with pytest.raises(SummarizeError, match="unusable summary twice"):
        summarize_session(config_for(server), transcript="#### go\n", facts=FACTS)
    assert len(server.chat_requests()) == 2


def test_missing_title_is_retried(server: FakeLLM) -> None:
    server.enqueue(json.dumps({"summary": "did things"}), json.dumps(GOOD))
    summary = summarize_session(config_for(server), transcript="#### go\n", facts=FACTS)
    assert summary.title == GOOD["title"]
    _, second = server.chat_requests()
    assert "'title'" in second.last_user_text


def test_code_fenced_json_is_accepted(server: FakeLLM) -> None:
    server.enqueue("```json\n" + json.dumps(GOOD, indent=2) + "\n```")
    summary = summarize_session(config_for(server), transcript="#### go\n", facts=FACTS)
    assert summary.decisions[0].rejected_alternatives == ["GraphQL API", "shell script with curl"]
    assert len(server.chat_requests()) == 1


def test_http_500_raises_without_retrying(server: FakeLLM) -> None:
    server.enqueue_failure(Failure.http_500())
    with pytest.raises(SummarizeError, match="fake server error") as info:
        summarize_session(config_for(server), transcript="#### go\n", facts=FACTS)
    assert len(server.chat_requests()) == 1
    assert "\n" not in info.value.reason


def test_garbage_body_raises(server: FakeLLM) -> None:
    server.enqueue_failure(Failure.garbage())
    with pytest.raises(SummarizeError):
        complete_json(config_for(server), [{"role": "user", "content": "hi"}])


def test_slow_server_times_out(server: FakeLLM) -> None:
    server.enqueue_failure(Failure.delay(20, then=json.dumps(GOOD)))
    with pytest.raises(SummarizeError, match="timed out"):
        summarize_session(config_for(server, timeout=1), transcript="#### go\n", facts=FACTS)


def test_connection_refused_raises() -> None:
    config = LLMConfig("openai/fake-weak", f"http://127.0.0.1:{refused_port()}/v1", "k", 5)
    with pytest.raises(SummarizeError, match="openai/fake-weak"):
        summarize_session(config, transcript="#### go\n", facts=FACTS)


def test_empty_reply_raises(server: FakeLLM) -> None:
    server.enqueue("")
    with pytest.raises(SummarizeError, match="empty"):
        complete_json(config_for(server), [{"role": "user", "content": "hi"}])


def test_extra_env_reaches_litellm_for_one_call_only(server: FakeLLM) -> None:
    config = LLMConfig("openai/fake-weak", server.base_url, None, 30, {"OPENAI_API_KEY": "envkey"})
    server.enqueue("{}")
    assert complete_json(config, [{"role": "user", "content": "hi"}]) == "{}"
    assert server.chat_requests()[0].headers.get("Authorization") == "Bearer envkey"
    assert "OPENAI_API_KEY" not in os.environ  # conftest removed it; we put nothing back


def test_resolved_config_reaches_the_fake_server(server: FakeLLM, tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("OPENAI_API_KEY=from-dotenv\n")
    config = resolve_config(
        Models("openai/fake-weak"), env={},
        credentials=Credentials(api_base=server.base_url, dotenv_files=[dotenv]),
    )
    assert config is not None
    server.enqueue(json.dumps(GOOD))
    summarize_session(config, transcript="#### go\n", facts=FACTS)
    assert server.chat_requests()[0].headers.get("Authorization") == "Bearer from-dotenv"
    assert "OPENAI_API_KEY" not in os.environ


# -- which model, which credentials ------------------------------------------


@pytest.mark.parametrize(
    ("main", "weak"),
    [
        ("claude-sonnet-4-5", "claude-haiku-4-5"),
        ("sonnet", "claude-haiku-4-5"),  # aider's alias first
        ("anthropic/claude-3-7-sonnet-20250219", "anthropic/claude-3-5-haiku-20241022"),
        ("openrouter/anthropic/claude-sonnet-4", "openrouter/anthropic/claude-3-5-haiku"),
        ("gpt-4o", "gpt-4o-mini"),
        ("openai/gpt-4o", "gpt-4o-mini"),
        ("openai/gpt-5", "openai/gpt-5-nano"),
        ("gemini/gemini-2.5-pro-exp-03-25", "gemini/gemini-2.5-flash-preview-04-17"),
        ("deepseek", "deepseek/deepseek-chat"),  # an entry without a weak model: itself
        ("openai/fake-weak", "openai/fake-weak"),  # unknown: itself
        ("ollama/qwen2.5-coder:32b", "ollama/qwen2.5-coder:32b"),
    ],
)
def test_weak_model_for_real_settings(main: str, weak: str) -> None:
    assert llm.weak_model_for(main) == weak


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # aider's own open_text call
def test_weak_model_for_agrees_with_aider_on_every_packaged_entry() -> None:
    from aider.models import MODEL_ALIASES, MODEL_SETTINGS  # tests may read aider's internals

    assert llm.MODEL_ALIASES == MODEL_ALIASES
    first: dict[str, str | None] = {}
    for settings in MODEL_SETTINGS:
        first.setdefault(settings.name, settings.weak_model_name)
    for name, weak in first.items():
        assert llm.weak_model_for(name) == (weak or name), name


@pytest.mark.parametrize(
    ("env", "weak"),
    [
        ({"ANTHROPIC_API_KEY": "a", "OPENAI_API_KEY": "o"}, "claude-haiku-4-5"),
        ({"OPENAI_API_KEY": "o"}, "gpt-4o-mini"),
        ({"DEEPSEEK_API_KEY": "d"}, "deepseek/deepseek-chat"),
        ({"OPENROUTER_API_KEY": "r"}, "openrouter/deepseek/deepseek-r1:free"),
        ({"OPENAI_API_KEY": ""}, None),
        ({}, None),
    ],
)
def test_default_model_follows_aiders_key_order(env: dict[str, str], weak: str | None) -> None:
    assert llm.weak_model_for(None, env=env) == weak


def test_default_model_matches_aider_onboarding(monkeypatch: pytest.MonkeyPatch) -> None:
    from aider.onboarding import try_to_select_default_model

    for key in ("ANTHROPIC_API_KEY", "DEEPSEEK_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.setenv(key, "x")
    for key in ("ANTHROPIC_API_KEY", "DEEPSEEK_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY"):
        assert llm.default_model(os.environ) == try_to_select_default_model()
        monkeypatch.delenv(key)


def test_user_model_settings_file_overrides_packaged(tmp_path: Path) -> None:
    user = tmp_path / ".aider.model.settings.yml"
    user.write_text(
        "- name: gpt-4o\n  weak_model_name: openai/fake-weak\n"
        "- name: openai/fake-main\n  weak_model_name: openai/fake-weak\n"
    )
    assert llm.weak_model_for("gpt-4o", settings_files=[user]) == "openai/fake-weak"
    assert llm.weak_model_for("openai/fake-main", settings_files=[user]) == "openai/fake-weak"
    assert llm.weak_model_for("openai/fake-main", settings_files=[tmp_path / "no.yml"]) == (
        "openai/fake-main"
    )


def test_model_precedence() -> None:
    env = {"OPENAI_API_KEY": "o"}
    pick = lambda **kw: resolve_config(Models("gpt-4o", **kw), env=env).model  # noqa: E731
    assert pick() == "gpt-4o-mini"
    assert pick(weak="openai/w") == "openai/w"
    assert pick(weak="openai/w", summary="haiku") == "claude-haiku-4-5"
    assert resolve_config(Models(None), env={}) is None


def test_credentials_follow_aiders_environment(tmp_path: Path) -> None:
    first, second = tmp_path / "home.env", tmp_path / "repo.env"
    first.write_text("ANTHROPIC_API_KEY=home\nAWS_REGION_NAME=eu-west-1\n")
    second.write_text("ANTHROPIC_API_KEY=repo\n")
    env = {"ANTHROPIC_API_KEY": "shell", "OPENAI_API_BASE": "http://proxy/v1"}
    before = dict(os.environ)

    config = resolve_config(Models("sonnet"), env=env,
                            credentials=Credentials(dotenv_files=[first, second]))

    assert os.environ == before  # .env files were read, not loaded
    assert config == LLMConfig(
        model="claude-haiku-4-5",
        api_base=None,  # the OpenAI base is not for an Anthropic model
        api_key="repo",  # .env overrides the shell, later files win, as in aider
        timeout=llm.DEFAULT_TIMEOUT,
        extra_env={"ANTHROPIC_API_KEY": "repo", "AWS_REGION_NAME": "eu-west-1"},
    )
    keyed = resolve_config(
        Models("sonnet"),
        env=env,
        credentials=Credentials(api_keys=["anthropic=cli", "junk"],
                                set_env=["ANTHROPIC_API_KEY=s"]),
    )
    assert keyed is not None
    assert keyed.api_key == "cli"  # aider applies --api-key after --set-env
    assert keyed.extra_env == {"ANTHROPIC_API_KEY": "cli"}
    region = resolve_config(
        Models("sonnet"), env=env, credentials=Credentials(set_env=["AWS_REGION_NAME = us-east-1"])
    )
    assert region is not None
    assert region.extra_env == {"AWS_REGION_NAME": "us-east-1"}
    openai = resolve_config(Models("openai/o3-mini"), env=env,
                            credentials=Credentials(api_key="sk"), timeout=5)
    assert openai == LLMConfig("gpt-4o-mini", "http://proxy/v1", "sk", 5, {"OPENAI_API_KEY": "sk"})
    base_url = resolve_config(Models("gpt-4o"), env={"OPENAI_BASE_URL": "http://b/v1"})
    assert base_url is not None
    assert base_url.api_base == "http://b/v1"



def test_each_credential_lands_where_aider_puts_it(tmp_path: Path) -> None:
    # session.py hands aider's resolved values to resolve_config: every one of them must
    # land where aider itself would put it.
    dotenv = tmp_path / ".env"
    dotenv.write_text("AWS_REGION_NAME=eu-west-1\n")
    settings = tmp_path / "models.yml"
    settings.write_text("- name: openai/fake-main\n  weak_model_name: openai/fake-weak\n")
    env = {"OPENAI_API_KEY": "shell"}
    got = resolve_config(
        Models("openai/fake-main"), env=env, timeout=7, settings_files=[settings],
        credentials=Credentials(dotenv_files=[dotenv], set_env=["X_MODE=on"],
                                api_keys=["anthropic=a"], api_key="sk", api_base="http://p/v1"),
    )
    assert got == LLMConfig(
        "openai/fake-weak", "http://p/v1", "sk", 7,
        {"AWS_REGION_NAME": "eu-west-1", "X_MODE": "on", "ANTHROPIC_API_KEY": "a",
         "OPENAI_API_KEY": "sk", "OPENAI_API_BASE": "http://p/v1"},
    )
    named = resolve_config(Models("gpt-4o", "openai/w", "haiku"), env=env)
    assert named is not None and named.model == "claude-haiku-4-5"


# -- the prompt and the reply, without a server ------------------------------


def test_prompt_template_refuses_a_missing_variable() -> None:
    with pytest.raises(AidermemError, match="transcript"):
        templates.render(
            "summarize.md",
            project_name="p",
            started="s",
            user_turns="1",
            commits="",
            files_edited="",
            files_added="",
            remember_lines="",
            transcript_note="",
        )


def test_facts_are_bounded_in_the_prompt() -> None:
    many = SessionFacts("p", "p", files_edited=[f"src/f{i}.py" for i in range(5000)])
    prompt = build_messages("#### hi\n", many)[0]["content"]
    assert "src/f49.py" in prompt
    assert "src/f50.py" not in prompt
    assert "(and 4950 more)" in prompt


def test_truncate_middle_never_exceeds_a_tiny_budget() -> None:
    cut, omitted = truncate_middle("z" * 500, 10)
    assert (cut, omitted) == ("z" * 10, 490)


@pytest.mark.parametrize("size", [0, 10, 999, 1000, 1001, 5000, 123_457])
@pytest.mark.parametrize("newlines", [True, False])
def test_truncate_middle_bounds(size: int, newlines: bool) -> None:
    text = "".join(("x\n" if newlines and i % 40 == 39 else "y") for i in range(size))
    text = "START" + text + "END"
    cut, omitted = truncate_middle(text, 1000)
    assert len(cut) <= 1000
    assert cut.startswith("START") and cut.endswith("END")
    assert (omitted == 0) == (len(text) <= 1000)
    if omitted:
        assert f"{omitted} characters omitted" in cut


def test_parse_is_lenient_where_harmless() -> None:
    reply = (
        "<think>let me see</think>Here you go:\n"
        + json.dumps(
            {
                "title": "  " + "word " * 40,
                "summary": ["did a", "did b"],
                "decisions": "use sqlite",
                "bugs": [{"symptom": "crash on empty input"}, {}, None],
                "conventions": None,
                "open_threads": "write tests",
                "topics": "storage",
                "extra_key": 1,
            }
        )
        + "\nThanks!"
    )
    summary = parse_summary(reply)
    assert len(summary.title) <= 80
    assert summary.title.endswith("…")
    assert summary.summary == "did a; did b"
    assert summary.decisions[0].decision == "use sqlite"
    assert summary.decisions[0].title == "use sqlite"
    assert [b.symptom for b in summary.bugs] == ["crash on empty input"]
    assert summary.conventions == []
    assert summary.open_threads == ["write tests"]
    assert summary.topics == ["storage"]
    assert summary.files == []


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "no json here",
        '{"title": "x"',
        "[1, 2]",
        '{"title": "", "summary": "s"}',
        '{"title": "t", "summary": "   "}',
        '{"title": "t"}',
    ],
)
def test_parse_is_strict_where_it_matters(reply: str) -> None:
    with pytest.raises(ValueError):
        parse_summary(reply)


def test_unfenced_json_with_code_inside_is_read_as_sent() -> None:
    reply = json.dumps({"title": "t", "summary": "added:\n```python\nx = 1\n```\n"})
    assert "x = 1" in parse_summary(reply).summary


def test_overlong_fields_are_truncated() -> None:
    summary = parse_summary(
        json.dumps(
            {
                "title": "t",
                "summary": "s" * 50_000,
                "decisions": [{"title": "d", "decision": "x" * 50_000}],
                "files": [f"f{i}" for i in range(1000)],
            }
        )
    )
    assert len(summary.summary) <= 4000
    assert len(summary.decisions[0].decision) <= 1500
    assert len(summary.files) == 100


def test_our_context_file_is_never_a_session_file() -> None:
    # The model reads aider's start-up lines too, and may list the context file it saw there.
    summary = parse_summary(json.dumps({
        "title": "Cart totals", "summary": "Made the cart total exact.",
        "files": ["../../aidermem-28484-3b9ff57969/aidermem-context.md", "cart.py",
                  "/tmp/aidermem-7-0a1b2c3d4e/aidermem-context.md"]}))
    facts = SessionFacts(project_id="p", project_name="shop", files_edited=["app.py"],
                         files_added=["/tmp/aidermem-7-0a1b2c3d4e/aidermem-context.md"])
    session, = summary_to_memories(summary, facts)
    assert session.files == ["app.py", "cart.py"]
    assert "aidermem-context" not in session.body


def test_the_session_memory_keeps_the_request_count_and_the_others_do_not() -> None:
    facts = SessionFacts("p", "p", requests=1)
    session, *derived = summary_to_memories(parse_summary(json.dumps(GOOD)), facts)
    assert session.source.requests == 1
    assert derived and all(m.source.requests is None for m in derived)

"""Live retrieval: a message's own words bring memories into the context file mid-session.

The real aider on a pty, started by the real `aidermem`, talks to the fake LLM; the
fake's recorded requests prove what the request answering each message carried. The
store is the issue's case: 300 recent memories about the repo's payment code and older
ones about its CSV exporter (and a German one), none of which the launch context shows.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aider_harness import aider_flags, discard_pending, wait_prompt
from e2e_support import Run, Sessions, aider_requests, read_flags, user_config
from e2e_support import sessions as sessions
from fakellm import FakeLLM

from aidermem import paths
from aidermem.models import Kind, Memory
from aidermem.project import identify
from aidermem.retrieve.live_context import SECTION
from aidermem.store.store import Store

EXPORTER = "EXP-5521"
MIGRATIONS = "MIG-2718"
GERMAN = "DE-3141"
QUESTION = "how does the exporter format its CSV?"
JOINED = SECTION.strip().splitlines()[0]  # "## Joined during this session"
RUNS = 20


def seed_store(repo: Path) -> None:
    """300 recent payment memories, then older exporter, migration and German notes."""
    project = identify(repo)
    now = datetime.now(UTC)

    def note(title: str, body: str, age: timedelta, kind: Kind = Kind.NOTE) -> Memory:
        return Memory(title=title, body=body, kind=kind, project=project.id,
                      project_name=project.name, created=now - age, updated=now - age)

    areas = ["card tokens", "refund flow", "ledger entries", "payout batches", "chargebacks",
             "payment retries", "invoice totals", "currency rounding", "webhook signatures"]
    memories = [note(f"Payments: {areas[i % len(areas)]} #{i}",
                     f"The payment service handles {areas[i % len(areas)]} through the "
                     f"gateway client; case {i} settled how the charge is captured and logged.",
                     timedelta(minutes=i), Kind.DECISION if i % 3 == 0 else Kind.NOTE)
                for i in range(300)]
    memories += [
        note("CSV exporter output format",
             f"The exporter writes CSV with semicolons between fields, every field quoted, a "
             f"UTF-8 BOM and ISO 8601 dates (rule {EXPORTER}).", timedelta(days=200)),
        note("Database migrations roll back one step at a time",
             f"Alembic migrations are applied per release and rolled back with downgrade -1, "
             f"never by hand (rule {MIGRATIONS}).", timedelta(days=210), Kind.DECISION),
        note("Datumswerte im Exporter",
             f"Der Exporter schreibt Datumswerte immer im Format TT.MM.JJJJ, auch in "
             f"englischen Berichten (Regel {GERMAN}).", timedelta(days=220)),
    ]
    Store.open(paths.default_store_dir()).add_many(memories, "test: the issue's store")


@pytest.fixture
def store_for(sessions: Sessions) -> Sessions:
    user_config('summarize = "foreground"\n')
    seed_store(sessions.repo)
    return sessions


def context_text(run: Run) -> str:
    (path,) = [p for p in read_flags(run.aider_argv) if p.endswith("aidermem-context.md")]
    return Path(path).read_text(encoding="utf-8")


def last_request(fake: FakeLLM) -> str:
    return aider_requests(fake)[-1].text


@pytest.mark.e2e
def test_the_memory_a_message_asks_for_is_in_the_request_answering_it(
        store_for: Sessions, fake_llm: FakeLLM, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's case, 20 real sessions: small talk, then the exporter question."""
    carried, started = 0, time.monotonic()
    for attempt in range(RUNS):
        run = store_for.start("--mem-no-capture")
        launch = context_text(run)
        assert EXPORTER not in launch and "Payments:" in launch  # the launch could not guess it
        run.say("hi there, nice to meet you")
        first = last_request(fake_llm)
        run.say(QUESTION)
        second = last_request(fake_llm)
        assert EXPORTER not in first
        carried += EXPORTER in second
        after = context_text(run)
        assert after.startswith(launch.rstrip("\n"))  # the launch part was never rewritten
        assert run.exit() == 0
        if attempt == 0:
            assert ("aidermem: live retrieval: 2 messages searched, 2 memories joined the "
                    "context (") in run.screen()  # the exporter's, and the German one on it
            assert "its launch part never changed" in run.screen()
        run.child.close()
    took = time.monotonic() - started
    with capsys.disabled():
        print(f"\nlive retrieval: {carried}/{RUNS} requests carried the memory; {took:.0f} s")
    assert carried >= RUNS - 1


@pytest.mark.e2e
def test_a_follow_up_on_another_topic_brings_its_own_memory(store_for: Sessions,
                                                            fake_llm: FakeLLM) -> None:
    run = store_for.start()
    launch = context_text(run)
    run.say(QUESTION)
    assert EXPORTER in last_request(fake_llm) and MIGRATIONS not in last_request(fake_llm)
    with_exporter = context_text(run)
    run.say("and how do we roll back a database migration?")
    sent = last_request(fake_llm)
    assert MIGRATIONS in sent and EXPORTER in sent  # appended: the first one stays
    final = context_text(run)
    assert final.startswith(with_exporter.rstrip("\n"))
    assert final.startswith(launch.rstrip("\n")) and final.count(JOINED) == 1
    assert run.exit() == 0
    # The exporter note, the migration note, and the German note on the exporter's dates.
    assert re.search(r"2 messages searched, [23] memories joined the context \(", run.screen())


@pytest.mark.e2e
def test_a_message_in_german_finds_the_german_memory(store_for: Sessions,
                                                     fake_llm: FakeLLM) -> None:
    run = store_for.start("--mem-no-capture")
    run.say("Wie formatiert der Exporter die Datumswerte?")
    assert GERMAN in last_request(fake_llm)
    assert run.exit() == 0


@pytest.mark.e2e
def test_commands_and_answers_are_not_queries(store_for: Sessions, fake_llm: FakeLLM) -> None:
    run = store_for.start("--mem-no-capture")
    launch = context_text(run)
    for line in ("/tokens", "/ls exporter format csv", "/run echo exporter format csv",
                 "y", "/clear"):
        run.say(line)
    time.sleep(0.3)  # the history fallback polls every 50 ms: give it time to misfire
    assert context_text(run) == launch
    run.say("/ask " + QUESTION)  # /ask's rest is a message
    assert EXPORTER in last_request(fake_llm)
    assert JOINED in context_text(run)
    assert run.exit() == 0
    # The exporter's note and the German note on the exporter's dates (both say "exporter").
    assert "1 message searched, 2 memories joined" in run.screen()


@pytest.mark.e2e
def test_a_memory_added_in_another_terminal_is_seen_at_the_next_message(
        store_for: Sessions, fake_llm: FakeLLM) -> None:
    run = store_for.start("--mem-no-capture")
    run.say("hello")
    added = store_for.cli("add", "--title", "Invoice numbers",
                          "Invoice numbers are assigned per tenant from a gapless sequence "
                          "(rule INV-9090).")
    assert added.returncode == 0, added.stderr
    run.say("how are invoice numbers assigned?")
    assert "INV-9090" in last_request(fake_llm)
    assert run.exit() == 0


@pytest.mark.e2e
def test_lines_the_keys_cannot_tell_are_read_from_the_history(store_for: Sessions,
                                                              fake_llm: FakeLLM) -> None:
    run = store_for.start("--mem-no-capture")
    # Left and right arrows: the line can no longer be followed from the keys.
    run.child.send("how does the exporter format its CSV\x1b[D\x1b[C?\r")
    wait_prompt(run.child)
    run.say("thanks, anything else about it?")
    assert EXPORTER in last_request(fake_llm)  # by the next request at the latest
    run.paste("one more thing:\nhow do we roll back a database migration?")
    assert MIGRATIONS in last_request(fake_llm)  # a paste is followed from the keys
    assert run.exit() == 0


@pytest.mark.e2e
def test_live_off_in_a_profile_adds_nothing(store_for: Sessions, fake_llm: FakeLLM) -> None:
    user_config('summarize = "foreground"\n[profiles.quiet]\nlive = "off"\n')
    run = store_for.start("--mem-profile", "quiet", "--mem-no-capture",
                          flags=aider_flags(fake_llm))
    launch = context_text(run)
    run.say(QUESTION)
    assert EXPORTER not in last_request(fake_llm)
    assert context_text(run) == launch
    assert run.exit() == 0
    assert "live retrieval" not in run.screen()


def request_for(fake: FakeLLM, words: str) -> str:
    """The first request aider sent whose last user message holds `words`."""
    found = [r for r in aider_requests(fake) if words in r.last_user_text]
    assert found, f"no request answered {words!r}"
    return found[0].text


@pytest.mark.e2e
def test_code_and_architect_messages_are_searched(store_for: Sessions,
                                                  fake_llm: FakeLLM) -> None:
    run = store_for.start("--mem-no-capture")
    run.say("/code " + QUESTION)
    answering = request_for(fake_llm, "exporter format its CSV")
    assert EXPORTER in answering and MIGRATIONS not in answering
    run.say("/architect and how do we roll back a database migration?")
    # The architect's own request (its editor's follows it and carries the file too).
    assert MIGRATIONS in request_for(fake_llm, "roll back a database migration")
    assert run.exit() == 0
    assert "aidermem: live retrieval: 2 messages searched" in run.screen()


def editor_script(where: Path, message: str) -> str:
    """An $EDITOR that writes `message` into the file it is given, as a person would."""
    script = where / "fake-editor.sh"
    script.write_text(f"#!/bin/sh\nprintf '%s\\n' '{message}' > \"$1\"\n", encoding="utf-8")
    script.chmod(0o755)
    return str(script)


@pytest.mark.e2e
def test_editor_input_brings_its_memory_by_the_next_request(store_for: Sessions,
                                                            fake_llm: FakeLLM) -> None:
    """`/editor` and Ctrl-X Ctrl-E: aider gets the text from the editor, not from the keys."""
    editor = editor_script(store_for.repo.parent, QUESTION)
    run = store_for.start("--mem-no-capture", env={"EDITOR": editor, "VISUAL": editor})
    run.say("/editor")  # aider puts the editor's text at the next prompt, for Enter to send
    run.say("")
    assert aider_requests(fake_llm)[-1].last_user_text.startswith(QUESTION + "\n")
    run.say("thanks, anything else?")
    assert EXPORTER in last_request(fake_llm)  # by the next request at the latest
    migration = "how do we roll back a database migration?"
    editor_script(store_for.repo.parent, migration)
    discard_pending(run.child)
    run.child.send("draft\x18\x05")  # Ctrl-X Ctrl-E: the editor replaces the line
    run.child.send("\r")
    wait_prompt(run.child)
    assert aider_requests(fake_llm)[-1].last_user_text.startswith(migration + "\n")
    run.say("ok, and then?")
    assert MIGRATIONS in last_request(fake_llm)
    assert run.exit() == 0
    assert "aidermem: live retrieval: 4 messages searched" in run.screen()


@pytest.mark.e2e
def test_multi_line_input_brings_its_memory(store_for: Sessions, fake_llm: FakeLLM) -> None:
    """A `{ … }` block (read from the history), then Alt-Enter newlines (from the keys)."""
    run = store_for.start("--mem-no-capture")
    for line in ("{", "a question:", QUESTION, "}"):
        run.say(line)
    assert aider_requests(fake_llm)[-1].last_user_text.startswith(f"a question:\n{QUESTION}\n")
    discard_pending(run.child)
    run.child.send("and one more:\x1b\rhow do we roll back a database migration?\r")
    wait_prompt(run.child)
    sent = aider_requests(fake_llm)[-1]
    assert sent.last_user_text.startswith(
        "and one more:\nhow do we roll back a database migration?\n")
    assert MIGRATIONS in sent.text  # Alt-Enter is followed from the keys: before the request
    assert EXPORTER in sent.text  # the block's memory, by the next request at the latest
    assert run.exit() == 0
    assert "aidermem: live retrieval: 2 messages searched" in run.screen()

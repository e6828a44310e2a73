"""live_context: what joins the context file mid-session, with a real store and index."""

from __future__ import annotations

from pathlib import Path

from aidermem import config, paths
from aidermem.launch import context_file
from aidermem.models import Memory
from aidermem.project import Project
from aidermem.retrieve.live_context import SECTION, LiveContext
from aidermem.store.store import Store

PROJECT = Project(id="github.com/acme/shop", name="shop", root=None)
LAUNCH = "# Project memory (aidermem)\n\nLaunch text.\n\n---\nfooter\n"


def live(tmp_path: Path, *notes: tuple[str, str], budget: int = 1500,
         share: float = 0.5) -> LiveContext:
    store = Store.open(paths.default_store_dir())
    store.add_many([Memory(title=t, body=b, project=PROJECT.id, project_name="shop")
                    for t, b in notes], "test notes")
    path = tmp_path / context_file.NAME
    context_file.write(path, LAUNCH)
    settings = config.Settings(store=store.root, budget_tokens=budget, live_budget=share)
    return LiveContext(path, PROJECT, settings, LAUNCH, ())


def test_a_matching_note_is_appended_after_the_launch_text(tmp_path: Path) -> None:
    ctx = live(tmp_path, ("CSV exporter format", "Semicolons and quoted fields (EXP-1)."),
               ("Ledger rounding", "Banker's rounding on totals (LED-2)."))
    outcome = ctx.add("how does the exporter format its CSV?")
    text = ctx.path.read_text()
    assert len(outcome.joined) == 1 and "EXP-1" in text and "LED-2" not in text
    assert text.startswith(LAUNCH.rstrip("\n") + SECTION)
    assert ctx.add("and the exporter's CSV quoting again?").joined == []  # in the file already
    assert ctx.prefix_changes == 0 and ctx.path.read_text() == text


def test_earlier_context_alone_brings_nothing_in(tmp_path: Path) -> None:
    ctx = live(tmp_path, ("Ledger rounding", "Banker's rounding on totals (LED-2)."))
    assert ctx.add("thanks, sounds good", earlier=["ledger rounding totals"]).joined == []
    assert ctx.path.read_text() == LAUNCH


def test_the_live_budget_is_never_exceeded(tmp_path: Path) -> None:
    long = " ".join(["the exporter writes quoted CSV fields"] * 40)
    ctx = live(tmp_path, ("Exporter one", long), ("Exporter two", long), budget=300, share=0.5)
    outcome = ctx.add("what does the exporter write?")
    assert ctx.used <= ctx.budget == 150
    assert len(outcome.joined) + outcome.over_budget == 2 and outcome.joined


def test_a_prefix_rewritten_behind_its_back_is_counted(tmp_path: Path) -> None:
    ctx = live(tmp_path, ("CSV exporter format", "Semicolons (EXP-1)."),
               ("Ledger rounding", "Banker's rounding (LED-2)."))
    context_file.write(ctx.path, "something else entirely\n")
    ctx.add("how does the exporter format CSV?")
    assert ctx.prefix_changes == 1


def test_a_line_of_chat_sharing_one_word_with_a_note_brings_nothing_in(tmp_path: Path) -> None:
    ctx = live(tmp_path, ("Exporter error codes", "The CSV exporter exits with error 3 when a "
                                                  "column is missing (EXP-3)."))
    # One word in common ("error") is what any note has with a line of chat.
    assert ctx.add("make the error message friendlier").joined == []
    assert ctx.path.read_text() == LAUNCH
    # Two of the message's words, one as an inflection (exits for exit), and it joins.
    assert len(ctx.add("why does the exporter exit early?").joined) == 1
    assert "EXP-3" in ctx.path.read_text()


def test_a_message_of_one_content_word_joins_on_it(tmp_path: Path) -> None:
    ctx = live(tmp_path, ("Ledger rounding", "Banker's rounding on totals (LED-2)."))
    assert len(ctx.add("and the rounding?").joined) == 1


def test_a_path_in_the_message_finds_the_note_that_lists_the_file(tmp_path: Path) -> None:
    store = Store.open(paths.default_store_dir())
    store.add(Memory(title="Quoting rule", body="Every field is quoted, always (EXP-4).",
                     project=PROJECT.id, project_name="shop", files=["src/export/csv_writer.py"]),
              "test note")
    ctx = live(tmp_path)
    assert len(ctx.add("src/export/csv_writer.py is failing, have a look").joined) == 1
    assert "EXP-4" in ctx.path.read_text()

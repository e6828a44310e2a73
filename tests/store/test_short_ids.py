"""Short ids: memories made together (one import, one capture) differ in their first 8 chars."""

from __future__ import annotations

import json

import pytest
from corpus import CORPUS
from test_cli_support import make_repo, memory, put, run

from aidermem.commands.output import SHORT_ID_MIN
from aidermem.models import new_id


@pytest.fixture
def shop(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "shop")
    monkeypatch.chdir(repo)
    return repo


def test_ids_made_in_one_burst_differ_in_their_first_8_chars():
    ids = [new_id() for _ in range(2000)]
    assert len({i[:SHORT_ID_MIN] for i in ids}) == len(ids)
    assert all(len(i) == 26 and i.isalnum() and i.upper() == i for i in ids)


def test_memories_of_one_import_list_and_show_by_8_characters(shop, capsys):
    imported = run(capsys, "import", str(CORPUS / "Wathrak__E-commerce.md"), "--json")
    assert imported.code == 0, imported.err
    assert json.loads(imported.out)["files"][0]["memories"] >= 3

    listed = run(capsys, "list", "--json")
    memories = json.loads(listed.out)["memories"]
    assert len(memories) >= 3
    assert [len(m["short_id"]) for m in memories] == [SHORT_ID_MIN] * len(memories)
    for m in memories:
        shown = run(capsys, "show", m["short_id"], "--json")
        assert shown.code == 0, shown.err
        assert json.loads(shown.out)["memory"]["id"] == m["id"]


def test_stored_ulids_still_resolve_by_prefix(shop, capsys):
    # Ids made before: monotonic ULIDs of one millisecond, 25 characters in common.
    old = [memory("AAAA", "first"), memory("AAAA", "second")]
    old[0].id, old[1].id = "01JQAAAAAAAAAAAAAAAAAAAAA0", "01JQAAAAAAAAAAAAAAAAAAAAA1"
    put(*old)
    listed = run(capsys, "list", "--json")
    assert sorted(m["short_id"] for m in json.loads(listed.out)["memories"]) == [
        old[0].id, old[1].id]
    shown = run(capsys, "show", old[1].id.lower(), "--json")
    assert json.loads(shown.out)["memory"]["title"] == "second"

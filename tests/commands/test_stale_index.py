"""`aidermem stale` answered from the index (linkscan), on a real repo, store and index (#13).

The index is a cache of the store: stale must still see what a hand edit did to a memory
file since the last sync, never list an archived memory or another project's, and read
only the documents whose links name a blob HEAD does not have.
"""

from __future__ import annotations

import json

from test_cli_links import SERVICE, commit, only_memory, shop  # noqa: F401  (a fixture)
from test_cli_support import run, store

from aidermem.index import linkscan
from aidermem.index.memory_index import MemoryIndex
from aidermem.links.check import Repo


def test_stale_sees_a_hand_edit_made_since_the_last_sync(shop, capsys):  # noqa: F811
    run(capsys, "add", "Auth docs say nothing of tokens", "--files", "docs/auth.md")
    m = only_memory()
    assert run(capsys, "stale").out == "every linked memory is fresh\n"  # index synced
    path = store().root / store().relpath_for(m)
    raw = path.read_text()
    blob = m.links[0].blob
    # By hand, not committed to the store: another title, and the link's blob an old one.
    path.write_text(raw.replace(f"blob: {blob}", "blob: " + "1" * 40)
                    .replace("title: Auth docs say nothing of tokens", "title: Edited by hand"))
    out = run(capsys, "stale").out
    assert out == (f"{m.id[:8]}  Edited by hand\n"
                   f"    docs/auth.md: changed — docs/auth.md changed since "
                   f"{m.links[0].commit[:7]}\n"
                   "after checking one: aidermem verify ID (or aidermem forget ID)\n")
    path.write_text(raw)  # and back: fresh again, seen at once
    assert run(capsys, "stale").out == "every linked memory is fresh\n"


def test_a_link_written_by_hand_without_a_blob_is_listed_unchecked(shop, capsys):  # noqa: F811
    run(capsys, "add", "Auth docs", "--files", "docs/auth.md")
    m = only_memory()
    path = store().root / store().relpath_for(m)
    raw = path.read_text()
    assert "links:\n- path: docs/auth.md\n" in raw
    path.write_text(raw.replace("links:\n- path: docs/auth.md\n",
                                "links:\n- path: auth/service.py\n  symbol: Auth\n"
                                "- path: docs/auth.md\n"))
    data = json.loads(run(capsys, "stale", "--json").out)
    assert [(x["id"], [(link["path"], link["state"]) for link in x["links"]])
            for x in data["memories"]] == [(m.id, [("auth/service.py", "unchecked")])]


def test_stale_leaves_out_archived_memories(shop, capsys):  # noqa: F811
    run(capsys, "add", "Login checks the name only", "--symbols",
        "auth/service.py::Auth.authenticate_user")
    m = only_memory()
    commit(shop, {"auth/service.py": SERVICE.replace("check(name)", "check(name, otp)")})
    assert run(capsys, "stale").out.startswith(f"{m.id[:8]}  Login checks the name only\n")
    assert run(capsys, "forget", m.id).code == 0
    assert run(capsys, "stale").out == "every linked memory is fresh\n"


def test_only_documents_with_a_changed_blob_are_suspects(shop, capsys):  # noqa: F811
    commit(shop, {"billing/cart.py": "def total(items):\n    return sum(items)\n"})
    run(capsys, "add", "Login", "--symbols", "auth/service.py::Auth.authenticate_user")
    run(capsys, "add", "Cart totals", "--symbols", "billing/cart.py::total")
    run(capsys, "add", "Docs", "--files", "docs/auth.md")
    commit(shop, {"billing/cart.py": "def total(items):\n    return sum(items) * 2\n"})
    index = MemoryIndex.open(store())
    index.refresh()
    repo = Repo(shop)
    project = only_project(index)
    assert linkscan.changed_keys(index.searcher(), [project], repo.tree) == [
        f"{project}\0billing/cart.py\0{old_blob('Cart totals')}"]
    found = linkscan.suspects(index.searcher(), index.schema, [project], repo.tree)
    assert [s.title for s in found] == ["Cart totals"]
    assert linkscan.suspects(index.searcher(), index.schema, ["another/project"],
                              repo.tree) == []
    # No HEAD to compare with (outside a checkout): every linked memory is a suspect.
    everything = linkscan.suspects(index.searcher(), index.schema, [project], {})
    assert sorted(s.title for s in everything) == ["Cart totals", "Docs", "Login"]


def only_project(index: MemoryIndex) -> str:
    projects = {m.project for _, m in store().iter_memories()}
    assert len(projects) == 1
    return projects.pop()


def old_blob(title: str) -> str:
    memory = next(m for _, m in store().iter_memories() if m.title == title)
    return memory.links[0].blob

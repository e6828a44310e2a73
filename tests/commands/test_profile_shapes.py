"""The data of `profiles --json` and `profiles show --json`, built from fixed settings.

Moved from tests/base/test_profiles.py with the shapes (commands/payloads.py); the
whole payload through the CLI is pinned in test_cli_json.py.
"""

from __future__ import annotations

import json

from profile_samples import INFOS, PROJECT, USER, backend_resolved

from aidermem.commands.payloads import ProfileListOut, ProfileShowOut
from aidermem.config import Settings


def test_list_json_contract():
    data = json.loads(ProfileListOut.of(INFOS, active="review").model_dump_json())
    assert json.loads(json.dumps(data)) == data
    assert list(data) == ["profiles"]
    assert data["profiles"][0] == {
        "name": "default",
        "description": None,
        "sources": [str(PROJECT), str(USER)],
        "active": False,
    }
    assert [p["name"] for p in data["profiles"] if p["active"]] == ["review"]
    for entry in data["profiles"]:
        assert set(entry) == {"name", "description", "sources", "active"}


def test_show_json_contract():
    data = json.loads(ProfileShowOut.of(backend_resolved()).model_dump_json())
    assert json.loads(json.dumps(data)) == data
    assert list(data) == ["profile", "selected_by", "description", "files", "settings"]
    assert data["profile"] == "backend"
    assert data["selected_by"] == "env AIDERMEM_PROFILE"
    assert data["files"] == [str(PROJECT), str(USER)]
    assert list(data["settings"]) == list(Settings.model_fields)
    assert data["settings"]["read"] == {
        "value": ["/srv/shop/CONVENTIONS.md", "/srv/shop/services/api/API.md"],
        "source": "/srv/shop/.aidermem.toml: profiles.backend.read",
        "layer": "project",
    }
    assert data["settings"]["budget_tokens"] == {
        "value": 2000,
        "source": "command line --mem-budget",
        "layer": "cli",
    }
    assert data["settings"]["summary_model"] == {
        "value": None,
        "source": "default",
        "layer": "default",
    }
    assert data["settings"]["llm_timeout"]["value"] == 90.0
    assert data["settings"]["capture"]["layer"] == "user"

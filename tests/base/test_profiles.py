"""What `aidermem profiles` and `aidermem profiles show` print, as text and as JSON.

Exact text for fixed data (fixed paths keep the columns stable), then the
same rendering over settings resolved from real files in a temporary repo.
"""

from __future__ import annotations

import json
import re
import textwrap

from profile_samples import INFOS, backend_resolved

from aidermem import config, paths, profiles
from aidermem.config import Settings


def test_render_list_exact():
    assert profiles.render_list(INFOS, active="backend") == textwrap.dedent(
        """\
          PROFILE  DESCRIPTION                        DEFINED IN
          default  -                                  /srv/shop/.aidermem.toml, /home/ana/.config/aidermem/config.toml
        * backend  API service: Python 3.12, FastAPI  /srv/shop/.aidermem.toml
          docs     Docs site (mkdocs)                 /srv/shop/.aidermem.toml
          review   Read more, write less              /srv/shop/.aidermem.toml, /home/ana/.config/aidermem/config.toml
          scratch  -                                  (built in)
        """  # noqa: E501 - the exact line is the point
    )


def test_render_list_without_an_active_profile_marks_nothing():
    assert "*" not in profiles.render_list(INFOS)


def test_render_show_exact():
    assert profiles.render_show(backend_resolved()) == textwrap.dedent(
        """\
        profile: backend (selected by env AIDERMEM_PROFILE)
        description: API service: Python 3.12, FastAPI
        files: /srv/shop/.aidermem.toml, /home/ana/.config/aidermem/config.toml

        KEY             VALUE                                                          SOURCE
        enabled         true                                                           default
        aider_args      ["--model", "openai/gpt-4o", "--edit-format", "diff"]          /srv/shop/.aidermem.toml: profiles.backend.aider_args
        read            ["/srv/shop/CONVENTIONS.md", "/srv/shop/services/api/API.md"]  /srv/shop/.aidermem.toml: profiles.backend.read
        scope           ["github.com/acme/shop", "billing-lib"]                        /srv/shop/.aidermem.toml: profiles.backend.scope
        topics_prefer   ["api", "db"]                                                  /srv/shop/.aidermem.toml: profiles.backend.topics_prefer
        topics_require  []                                                             default
        query_words     ["fastapi"]                                                    /srv/shop/.aidermem.toml: profiles.backend.query_words
        budget_tokens   2000                                                           command line --mem-budget
        summary_model   none (aider's weak model)                                      default
        capture         ask                                                            /home/ana/.config/aidermem/config.toml: capture
        store           /srv/team-memories                                             env AIDERMEM_STORE
        summarize       background                                                     default
        llm_timeout     90                                                             /srv/shop/.aidermem.toml: llm_timeout
        semantic        auto                                                           default
        live            on                                                             default
        live_budget     0.5                                                            default
        """  # noqa: E501 - the exact line is the point
    )


def test_value_text():
    assert profiles.value_text("enabled", False) == "false"
    assert profiles.value_text("llm_timeout", 2.5) == "2.5"
    assert profiles.value_text("summary_model", "openai/gpt-4o-mini") == "openai/gpt-4o-mini"
    assert profiles.value_text("summary_model", None) == "none (aider's weak model)"
    assert profiles.value_text("query_words", ["été", 'say "hi"']) == '["été", "say \\"hi\\""]'


REPO_TOML = """\
read = ["CONVENTIONS.md"]
capture = "ask"

[profiles.backend]
description = "API service"
aider_args = ["--model", "openai/gpt-4o"]
budget_tokens = 2000

[profiles.review]
description = "Read more, write less"
budget_tokens = 4000
"""


def test_rendering_settings_resolved_from_real_files(tmp_path):
    repo = tmp_path / "shop"
    repo.mkdir()
    pf = repo / ".aidermem.toml"
    pf.write_text(REPO_TOML)
    uf = paths.user_config_file()
    uf.parent.mkdir(parents=True, exist_ok=True)
    uf.write_text('summarize = "foreground"\n[profiles.review]\ncapture = "off"\n')

    resolved = config.resolve(
        cwd=repo, project_root=repo, profile="review", env={}, cli={"budget_tokens": 300}
    )
    lines = profiles.render_show(resolved).splitlines()
    assert lines[:4] == [
        "profile: review (selected by command line)",
        "description: Read more, write less",
        f"files: {pf}, {uf}",
        "",
    ]
    rows = {row[0]: row[1:] for row in (re.split(r"\s{2,}", line) for line in lines[5:])}
    assert rows["read"] == [json.dumps([str(repo.resolve() / "CONVENTIONS.md")]), f"{pf}: read"]
    assert rows["capture"] == ["off", f"{uf}: profiles.review.capture"]
    assert rows["summarize"] == ["foreground", f"{uf}: summarize"]
    assert rows["budget_tokens"] == ["300", "command line --mem-budget"]
    assert rows["aider_args"] == ["[]", "default"]  # backend's args do not leak into review
    assert len(rows) == len(Settings.model_fields)

    listing = profiles.render_list(config.list_profiles(project_root=repo), active="review")
    assert listing.splitlines()[1:] == [
        f"  default  -                      {pf}, {uf}",
        f"  backend  API service            {pf}",
        f"* review   Read more, write less  {pf}, {uf}",
    ]

"""The two commands the README starts with: what they install where, and what CI runs.

The install command needs PyPI, so the suite cannot run it (it was run by hand in
a throwaway HOME); what it relies on is checked here offline: it installs this
checkout into a venv of the user's own, not the current directory's, and a link
to that venv's `aidermem` finds the aider installed beside it.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FIRST_BLOCKS = re.findall(r"```sh\n(.*?)```", README.split("\n---\n", 1)[0], re.S)


def _steps(line: str) -> list[list[str]]:
    return [shlex.split(step) for step in line.split("&&")]


def test_the_first_command_installs_this_checkout_once_for_the_user_then_runs_anywhere():
    install, launch = FIRST_BLOCKS[0].strip().splitlines()
    venv, pip, mkdir, link = _steps(install)
    assert venv[:3] == ["python3", "-m", "venv"]
    home_venv = venv[3]
    assert home_venv.startswith("~/")  # the user's, not `.venv` in whatever directory this is
    assert pip[0] == f"{home_venv}/bin/pip" and pip[1] == "install" and pip[-1] == "."
    assert mkdir == ["mkdir", "-p", "~/.local/bin"]
    assert link == ["ln", "-sf", f"{home_venv}/bin/aidermem", "~/.local/bin/"]
    cd, run = _steps(launch)
    assert cd[0] == "cd" and run[0] == "aidermem"  # in the project, the linked command


def test_the_second_command_is_what_ci_runs_verbatim():
    (tests,) = FIRST_BLOCKS[1].strip().splitlines()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f'"$PY"{tests.removeprefix("python3")}\n' in ci


def test_a_link_to_the_venvs_aidermem_finds_the_aider_beside_it(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aidermem").symlink_to(Path(sys.executable).parent / "aidermem")
    env = {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin"}  # no venv on PATH, no aider
    done = subprocess.run(["aidermem", "--", "--version"], cwd=tmp_path, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"aider \d+\.\d+\.\d+\S*\n", done.stdout.splitlines(keepends=True)[-1])


def test_the_module_tour_names_every_module_and_package():
    # The tour is how a newcomer finds a module: each one in the tree is named there (command
    # modules are named by the commands they implement, listed in "The memory CLI").
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tour = readme[readme.index("### Module tour"):readme.index("## Limits and known issues")]
    package = ROOT / "aidermem"
    missing = []
    for path in sorted(package.rglob("*.py")):
        if path.stem == "__main__" or (path.parent.name == "commands" and path.stem not in {
                "app", "output", "payloads", "fastpath", "_filters", "_editor"}):
            continue
        name = path.parent.name if path.stem == "__init__" else path.stem
        if path.parent != package and path.parent.name not in tour:
            missing.append(f"{path.parent.name}/")
        if name != "aidermem" and name not in tour:
            missing.append(str(path.relative_to(package)))
    assert missing == []

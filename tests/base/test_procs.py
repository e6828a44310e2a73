"""procs.pid_alive: the one "is this pid alive" check (stale context dirs, journal owners)."""

from __future__ import annotations

import os
import subprocess
import sys

from aidermem.procs import pid_alive


def test_this_process_and_a_running_child_are_alive() -> None:
    assert pid_alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert pid_alive(child.pid)
    finally:
        child.kill()
        child.wait()
    assert not pid_alive(child.pid)


def test_a_finished_and_reaped_process_is_not_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not pid_alive(child.pid)

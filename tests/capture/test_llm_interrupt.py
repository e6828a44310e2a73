"""Ctrl-C while waiting for a model reply ends the wait at once.

A model call can sit in C for the whole timeout (a DNS lookup, a TLS read);
Python raises KeyboardInterrupt in the thread running it only when that C call
returns. A locked SQLite database stands in for such a call: its busy wait is
C code that a KeyboardInterrupt in the same thread waits for, and it is local.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
from pathlib import Path

import pytest

from aidermem.capture import llm


def test_ctrl_c_ends_the_wait_while_the_call_is_still_stuck_in_c(tmp_path: Path) -> None:
    db = tmp_path / "held.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    entered, finished = threading.Event(), threading.Event()

    def stuck_in_c() -> str:
        entered.set()
        try:  # waits in SQLite's C busy loop until the holder lets go
            sqlite3.connect(db, timeout=600, isolation_level=None).execute("BEGIN EXCLUSIVE")
        finally:
            finished.set()
        return "reply"

    def ctrl_c() -> None:
        entered.wait()
        os.kill(os.getpid(), signal.SIGINT)

    # Python's own Ctrl-C handler, as aidermem's main thread has it when it waits for a
    # summary; a test run in this process before (or a parallel worker's setup) may have
    # left SIGINT ignored, and then the wait would never end.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        threading.Thread(target=ctrl_c, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            llm._interruptibly(stuck_in_c)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert not finished.is_set()  # the interrupt did not wait for the call
    holder.execute("ROLLBACK")
    assert finished.wait(30)


def test_the_reply_and_the_errors_of_the_call_come_through() -> None:
    assert llm._interruptibly(lambda: "reply") == "reply"

    def fails() -> str:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        llm._interruptibly(fails)

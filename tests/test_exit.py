"""`ipdigitise` leaves without the interpreter's slow teardown, but only once nothing is left
to do: atexit handlers have run, the exit status is kept, and a running non-daemon thread is
waited for."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _leave(body: str) -> subprocess.CompletedProcess[str]:
    head = "import atexit, sys, threading, time\nfrom flows.cli import leave\n"
    code = head + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)  # fmt: skip


def test_atexit_handlers_run_and_the_status_is_kept() -> None:
    done = _leave("""
        atexit.register(lambda: print("drained"))  # not flushed by itself
        print("unflushed output is written", end="")
        leave(8)
    """)
    assert done.returncode == 8
    assert done.stdout == "unflushed output is writtendrained\n"


def test_none_is_success_and_a_message_is_failure() -> None:
    assert _leave("leave(None)").returncode == 0
    done = _leave("leave('no documents')")
    assert (done.returncode, done.stderr.strip()) == (1, "no documents")


def test_a_running_non_daemon_thread_is_waited_for() -> None:
    done = _leave("""
        def work():
            time.sleep(0.5)
            print("thread finished", flush=True)
        threading.Thread(target=work).start()
        leave(3)
    """)
    assert done.returncode == 3
    assert "thread finished" in done.stdout

"""bench/throughput.py's per-process memory trace: a child that has forked but not yet run its
program holds the command's own pages, so it is counted apart from real memory."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil
import pytest

from bench.throughput import Trace, _kind

# A parent with a plain fork (same command line, like a child before exec), a `sleep`, and a
# stand-in for an OCR worker process (`python -m ocr.tessworker ...`).
_TREE = """
import os, subprocess, sys, time
sub = subprocess.Popen(["sleep", "30"])
worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "-m", "ocr.tessworker"])
if os.fork() == 0:
    time.sleep(30)
    os._exit(0)
print("ready", flush=True)
time.sleep(30)
"""


def test_kinds_of_processes() -> None:
    proc = subprocess.Popen([sys.executable, "-c", _TREE], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        root = psutil.Process(proc.pid)
        deadline = time.monotonic() + 10
        while len(root.children()) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        kinds = sorted(_kind(p, root, root.cmdline()) for p in [root, *root.children()])
        assert kinds == ["flow", "fork", "other", "tesseract"]
    finally:
        for child in psutil.Process(proc.pid).children(recursive=True):
            child.kill()
        proc.kill()
        proc.wait()


def test_peak_without_forks() -> None:
    trace = Trace([(0.0, {"flow": 300.0, "server": 220.0}),
                   (0.1, {"flow": 310.0, "server": 220.0, "fork": 310.0}),
                   (0.2, {"flow": 350.0, "server": 221.0, "tesseract": 70.0})])  # fmt: skip
    assert trace.peak("fork") == 310.0
    assert trace.peak_without_forks() == pytest.approx(641.0)
    assert trace.level("flow", 0.0, 0.4) == 300.0
    assert "total peak without forks 641" in trace.summary()

"""flows.memory: fewer malloc arenas and trimming after each document (glibc only)."""

from __future__ import annotations

import ctypes.util
import os
import platform
import subprocess
import sys

import pytest

from flows import memory

glibc = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)


@glibc
def test_trim_returns_freed_heap_to_the_system() -> None:
    code = """
import ctypes, os, resource
from flows.memory import release_free_memory
def rss():
    with open(f"/proc/{os.getpid()}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
blocks = [bytearray(100_000) for _ in range(3000)]  # below the mmap threshold: heap
keep = blocks[-1]
del blocks
before = rss()
assert release_free_memory()
print(before - rss())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) > 100 * 2**20  # most of the 300 MB freed went back


@glibc
def test_arena_limit_is_set_for_children_and_keeps_the_operators_value(monkeypatch) -> None:
    assert ctypes.util.find_library("c")
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert memory.limit_arenas()
    assert os.environ["MALLOC_ARENA_MAX"] == str(memory.ARENAS)
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert memory.limit_arenas()
    assert os.environ["MALLOC_ARENA_MAX"] == "4"

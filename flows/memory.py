"""Keep a long batch's resident memory flat on glibc systems.

A batch allocates and frees large image buffers from several threads. glibc gives each thread
its own malloc arena and keeps freed pages mapped, so resident memory creeps up with the number
of pages even though nothing is kept. Fewer arenas and trimming after each document return that
memory to the system; elsewhere (musl, macOS) both are no-ops.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

_M_ARENA_MAX = -8  # from <malloc.h>
ARENAS = 2


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim, libc.mallopt  # noqa: B018 - both exist on glibc only
    except (OSError, AttributeError):
        return None
    return libc


def limit_arenas() -> bool:
    """At most ARENAS malloc arenas in this process (and, through MALLOC_ARENA_MAX, in the
    processes it starts: Prefect's temporary server, Tesseract). The operator's own
    MALLOC_ARENA_MAX wins."""
    os.environ.setdefault("MALLOC_ARENA_MAX", str(ARENAS))
    libc = _libc()
    return bool(libc and libc.mallopt(_M_ARENA_MAX, int(os.environ["MALLOC_ARENA_MAX"])))


def release_free_memory() -> bool:
    """Hand freed heap pages back to the system (after a document is done)."""
    libc = _libc()
    return bool(libc and libc.malloc_trim(0))

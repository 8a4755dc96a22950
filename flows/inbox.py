"""The inbox folder: when a scan counts as arrived, who may process it, and where it goes after.

A file counts once its size and mtime have not changed for `settle` seconds, so a scan that is
still being copied is never read; a folder document counts once no file in it has changed for
that long. Each document is claimed with an exclusive lock (released by the kernel if the
process dies), so two overlapping runs never process the same document. An input leaves the
inbox for `processed/` only after its outputs (or its quarantine record) are durable.

No Prefect here: the watcher reports ready entries to a callback; `flows.serve` decides what to
start.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flows.discover import DocumentSource, safe_id

log = logging.getLogger("ipdigitise.inbox")

Signature = tuple[tuple[str, int, int, int, int], ...]


def _file_signature(name: str, st: os.stat_result) -> tuple[str, int, int, int, int]:
    # Inode and ctime tell a new copy from the file that was there before: `cp -p` of the same
    # scan, dropped again after the first was moved out, keeps size and mtime.
    return (name, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def signature(entry: Path) -> Signature | None:
    """(relative name, size, mtime, inode, ctime) of the entry's files; None if it vanished."""
    try:
        if entry.is_dir():
            files = sorted(p for p in entry.rglob("*") if p.is_file())
            stats = [(p.relative_to(entry).as_posix(), p.stat()) for p in files]
            return tuple(_file_signature(name, st) for name, st in stats)
        st = entry.stat()
    except OSError:  # removed or renamed while we looked
        return None
    return (_file_signature("", st),)


def entries(inbox: Path) -> list[Path]:
    """Top-level inbox entries that may be documents (hidden names are temporary copies)."""
    try:
        return sorted(p for p in inbox.iterdir() if not p.name.startswith("."))
    except FileNotFoundError:
        return []


@dataclass
class StabilityTracker:
    """Remembers when each entry last changed and hands over each stable version once."""

    settle: float
    clock: Callable[[], float] = time.monotonic
    _seen: dict[str, tuple[Signature, float]] = field(default_factory=dict)
    _handed: dict[str, Signature] = field(default_factory=dict)

    def observe(self, current: dict[str, Signature | None]) -> list[str]:
        """Record the inbox as it is now; return the names that became ready to process."""
        now = self.clock()
        for gone in set(self._seen) - set(current):
            self._seen.pop(gone, None)
            self._handed.pop(gone, None)
        ready = []
        for name, sig in sorted(current.items()):
            if sig is None or not sig:  # vanished mid-scan, or an empty folder: not a document yet
                self._seen.pop(name, None)
                continue
            previous = self._seen.get(name)
            if previous is None or previous[0] != sig:
                self._seen[name] = (sig, now)
                continue
            if now - previous[1] >= self.settle and self._handed.get(name) != sig:
                ready.append(name)
        return ready

    def handed(self, names: Iterable[str]) -> None:
        for name in names:
            if name in self._seen:
                self._handed[name] = self._seen[name][0]

    def release(self, names: Iterable[str]) -> None:
        """Make names eligible again (the run that should have taken them could not start)."""
        for name in names:
            self._handed.pop(name, None)


def settled(
    paths: list[Path], settle: float, sleep: Callable[[float], None] = time.sleep
) -> tuple[list[Path], list[Path]]:
    """Split paths into (settled, still changing), for a run that has no watcher history.

    Entries whose newest file is older than `settle` count at once; the others are looked at
    again after `settle` seconds and count only if nothing changed meanwhile.
    """
    now = time.time()
    first = {p: signature(p) for p in paths}
    young = [p for p, sig in first.items() if sig and max(f[2] for f in sig) / 1e9 > now - settle]
    if young:
        sleep(settle)
    ok, waiting = [], []
    for p, sig in first.items():
        if not sig or (p in young and signature(p) != sig):
            waiting.append(p)
        else:
            ok.append(p)
    return ok, waiting


class DocumentLocks:
    """Exclusive, non-blocking per-document locks under `out/.locks` (flock: freed on crash)."""

    def __init__(self, out: Path) -> None:
        self.folder = out / ".locks"
        self._held: dict[str, int] = {}

    def claim(self, doc_id: str) -> bool:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / f"{safe_id(doc_id)}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._held[doc_id] = fd
        return True

    def release_all(self) -> None:
        for fd in self._held.values():
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
        self._held.clear()

    def __enter__(self) -> DocumentLocks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release_all()


def claim(docs: list[DocumentSource], locks: DocumentLocks) -> tuple[list[DocumentSource], list[DocumentSource]]:  # fmt: skip
    """(claimed, busy): busy documents are being processed by another run right now."""
    mine: list[DocumentSource] = []
    busy: list[DocumentSource] = []
    for doc in docs:
        (mine if locks.claim(doc.doc_id) else busy).append(doc)
    return mine, busy


def move_to_processed(source: Path, processed: Path) -> Path:
    """Move an input out of the inbox; an earlier input of the same name is never overwritten."""
    processed.mkdir(parents=True, exist_ok=True)
    target = processed / source.name
    if target.exists() or target.is_symlink():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        stem, suffix = (source.name, "") if source.is_dir() else (source.stem, source.suffix)
        target = processed / f"{stem}.{stamp}{suffix}"
    try:
        os.replace(source, target)
    except OSError:  # another file system: copy, then remove the original
        shutil.move(str(source), str(target))
    return target


@dataclass
class InboxWatcher:
    """Watches the inbox (watchfiles) and calls `on_ready(paths)` with entries that settled.

    `on_ready` returns False when it could not hand the entries over (say, the API is down):
    they are offered again on a later tick.
    """

    inbox: Path
    settle: float
    on_ready: Callable[[list[Path]], bool]
    tick: float = 1.0
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.tracker = StabilityTracker(self.settle)

    def scan(self) -> list[Path]:
        current = {p.name: signature(p) for p in entries(self.inbox)}
        names = self.tracker.observe(current)
        if not names:
            return []
        paths = [self.inbox / n for n in names]
        if self.on_ready(paths):
            self.tracker.handed(names)
        return paths

    def run(self) -> None:
        from watchfiles import watch

        self.inbox.mkdir(parents=True, exist_ok=True)
        self.scan()
        for _changes in watch(
            self.inbox,
            stop_event=self.stop,
            debounce=int(self.tick * 1000),
            step=100,
            rust_timeout=int(self.tick * 1000),
            yield_on_timeout=True,
            raise_interrupt=False,
            watch_filter=None,
        ):
            try:
                self.scan()
            except Exception:  # a watcher that dies silently is worse than a logged error
                log.exception("inbox scan failed")
            if self.stop.is_set():
                break

    @contextlib.contextmanager
    def running(self) -> Iterator[threading.Thread]:
        thread = threading.Thread(target=self.run, name="ipdigitise-inbox-watcher", daemon=True)
        thread.start()
        try:
            yield thread
        finally:
            self.stop.set()
            thread.join(timeout=10)

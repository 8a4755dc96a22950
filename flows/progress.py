"""Progress reporting from the flow to whoever started it (the CLI's progress bar, or nothing)."""

from __future__ import annotations

import threading
from typing import Protocol


class ProgressSink(Protocol):
    def start(self, documents: int, pages: int) -> None: ...
    def page_done(self, doc_id: str, page: int) -> None: ...
    def document_done(self, doc_id: str, status: str) -> None: ...


class _Null:
    def start(self, documents: int, pages: int) -> None:
        pass

    def page_done(self, doc_id: str, page: int) -> None:
        pass

    def document_done(self, doc_id: str, status: str) -> None:
        pass


_lock = threading.Lock()
_sink: ProgressSink = _Null()


def set_sink(sink: ProgressSink | None) -> None:
    global _sink
    with _lock:
        _sink = sink or _Null()


def sink() -> ProgressSink:
    return _sink

"""Tesseract worker processes: the system's libtesseract loaded once per process, fed page after
page through a pipe, so no page pays for a process start and a model load, while a crash or a
hung page still costs one page only, as with the `tesseract` program.

Protocol (both ways a JSON line, then as many raw bytes as the line says):
- the worker starts with `--datapath D --lang L` and answers {"ok": true, "version": V}, or
  {"ok": false, "kind": "init" | "library", "error": ...} and exits;
- a request {"op": "page", "path": P, "psm": N, "dpi": D} or {"op": "crop", "width": W,
  "height": H, "psm": N, "dpi": D, "whitelist": S} followed by W*H grey bytes;
- the answer {"ok": true, "size": n} followed by n bytes of TSV, or {"ok": false, "kind":
  "image" | "recognise", "error": ...}.
The worker exits when its input closes, so it never outlives the process that started it.

`Worker` is the caller's side: one request at a time, with a deadline. On a deadline the worker is
killed (`WorkerTimeout`); when it dies mid-request, `WorkerCrashed` says how. `WorkerPool`
lends idle workers to threads, so each concurrent caller has one and none is started per page;
a worker is replaced after `MAX_REQUESTS` readings, so that whatever a long-lived library might
keep from page to page cannot build up over a night's batch or a service's weeks.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import IO, Any

MAX_REQUESTS = 500

# --- the worker process -------------------------------------------------------------------------


def _send(out: IO[bytes], header: dict[str, Any], payload: bytes = b"") -> None:
    out.write(json.dumps(header).encode() + b"\n" + payload)
    out.flush()


def serve(datapath: str, lang: str, inp: IO[bytes], out: IO[bytes]) -> int:
    from ocr import libtesseract as lt

    try:
        api = lt.Api(datapath, lang)
    except lt.LibraryMissing as exc:
        _send(out, {"ok": False, "kind": "library", "error": str(exc)})
        return 1
    except lt.InitFailed as exc:
        _send(out, {"ok": False, "kind": "init", "error": str(exc)})
        return 1
    _send(out, {"ok": True, "version": api.libs.version})
    while line := inp.readline():
        req = json.loads(line)
        try:
            if req["op"] == "page":
                tsv = api.read_file(req["path"], psm=req["psm"], dpi=req["dpi"])
            else:
                pixels = inp.read(req["width"] * req["height"])
                tsv = api.read_pixels(pixels, req["width"], req["height"], psm=req["psm"],
                                      dpi=req["dpi"], whitelist=req.get("whitelist"))  # fmt: skip
        except lt.ImageUnreadable as exc:
            _send(out, {"ok": False, "kind": "image", "error": str(exc)})
            continue
        except RuntimeError as exc:
            _send(out, {"ok": False, "kind": "recognise", "error": str(exc)})
            continue
        data = tsv.encode("utf-8")
        _send(out, {"ok": True, "size": len(data)}, data)
    api.close()
    return 0


def main() -> None:
    ap = argparse.ArgumentParser(description="A Tesseract worker process (see ocr/tessworker.py).")
    ap.add_argument("--datapath", required=True)
    ap.add_argument("--lang", required=True)
    args = ap.parse_args()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    sys.exit(serve(args.datapath, args.lang, sys.stdin.buffer, sys.stdout.buffer))


# --- the caller's side --------------------------------------------------------------------------


class WorkerError(RuntimeError):
    def __init__(self, message: str, kind: str = "recognise") -> None:
        super().__init__(message)
        self.kind = kind


class WorkerTimeout(WorkerError):
    pass


class WorkerCrashed(WorkerError):
    pass


def worker_command(datapath: str, lang: str) -> list[str]:
    return [sys.executable, "-m", "ocr.tessworker", "--datapath", datapath, "--lang", lang]


class Worker:
    """One worker process and the pipe to it. Not thread-safe: one caller at a time."""

    def __init__(self, datapath: str, lang: str, start_timeout: float = 60.0) -> None:
        self.lang = lang
        self.requests = 0
        # read back only to explain a crash; closed with the worker
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        self.proc = subprocess.Popen(
            worker_command(datapath, lang),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            env={**os.environ, "OMP_THREAD_LIMIT": os.environ.get("OMP_THREAD_LIMIT", "1")},
        )  # fmt: skip
        header, _ = self._answer(start_timeout, "starting")
        if not header.get("ok"):
            self.close()
            raise WorkerError(str(header.get("error")), kind=str(header.get("kind")))
        self.version = str(header.get("version", "unknown"))

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def page(self, path: str, *, psm: int, dpi: float, timeout: float) -> str:
        return self._ask({"op": "page", "path": path, "psm": psm, "dpi": dpi}, b"", timeout)

    def crop(
        self, pixels: bytes, width: int, height: int, *, psm: int, dpi: float,
        whitelist: str | None, timeout: float,
    ) -> str:  # fmt: skip
        request = {"op": "crop", "width": width, "height": height, "psm": psm, "dpi": dpi,
                   "whitelist": whitelist}  # fmt: skip
        return self._ask(request, pixels, timeout)

    def _ask(self, request: dict[str, Any], payload: bytes, timeout: float) -> str:
        assert self.proc.stdin is not None
        self.requests += 1
        try:
            self.proc.stdin.write(json.dumps(request).encode() + b"\n" + payload)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise self._died("before the request") from None
        header, data = self._answer(timeout, "reading")
        if not header.get("ok"):
            raise WorkerError(str(header.get("error")), kind=str(header.get("kind")))
        return data.decode("utf-8", errors="replace")

    def _answer(self, timeout: float, what: str) -> tuple[dict[str, Any], bytes]:
        """The next answer, or WorkerTimeout (the worker is killed) / WorkerCrashed."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        buf = bytearray()
        header: dict[str, Any] | None = None
        need = -1
        while header is None or len(buf) < need:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                self.close()
                raise WorkerTimeout(f"no answer within {timeout:.0f} s ({what}); worker stopped")
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise self._died(what)
            buf += chunk
            if header is None and b"\n" in buf:
                line, _, rest = bytes(buf).partition(b"\n")
                try:
                    header, buf = dict(json.loads(line)), bytearray(rest)
                    need = int(header.get("size", 0)) if header.get("ok") else 0
                except (ValueError, TypeError):  # not our protocol: something wrote to stdout
                    self.close()
                    raise WorkerCrashed(f"garbled answer while {what}: {line[:80]!r}") from None
        return header, bytes(buf)

    def _died(self, what: str) -> WorkerCrashed:
        code = self.proc.wait()
        name = f"exit {code}"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
        self._stderr.seek(0)
        detail = self._stderr.read()[-300:].decode("utf-8", "replace").strip()
        self.close()
        return WorkerCrashed(f"Tesseract worker died ({name}) while {what}" +
                             (f": {detail}" if detail else ""), kind="crashed")  # fmt: skip

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        self._stderr.close()


class WorkerPool:
    """Idle workers per language, lent to one caller at a time; as many exist as callers ran
    at once. A worker that failed is closed rather than given back."""

    def __init__(self, datapath: str, max_requests: int = MAX_REQUESTS) -> None:
        self.datapath = datapath
        self.max_requests = max_requests
        self._idle: dict[str, list[Worker]] = {}
        self._lock = threading.Lock()

    def take(self, lang: str) -> Worker:
        with self._lock:
            idle = self._idle.setdefault(lang, [])
            while idle:
                worker = idle.pop()
                if worker.alive:
                    return worker
                worker.close()
        return Worker(self.datapath, lang)

    def give_back(self, worker: Worker) -> None:
        if not worker.alive or worker.requests >= self.max_requests:
            worker.close()
            return
        with self._lock:
            self._idle.setdefault(worker.lang, []).append(worker)

    def close(self) -> None:
        with self._lock:
            workers = [w for ws in self._idle.values() for w in ws]
            self._idle.clear()
        for worker in workers:
            worker.close()


if __name__ == "__main__":
    main()

"""Making an output folder consistent again after a run was killed, and keeping runs apart.

A run holds an exclusive lock on `<out>/.lock` for its whole length (a second run on the same
folder is refused with OutputBusyError), so whatever it finds in `.staging/` and `.work/` when it
starts was left by a dead run and is cleaned up:

- `.staging/<id>.<token>/`: a document's outputs being written; never visible, deleted.
- `.staging/<id>.<token>.old/`: previous outputs moved aside just before the new ones were renamed
  into place; put back if the document has no output folder any more, else deleted.
- `.work/<id>/`: page images for OCR and each page's OCR result handed to the finish task
  (`page-NNNN.ocr.json`, see flows.pagefiles); deleted. A page cached by a server run does not
  depend on them: the cache holds the page's OCR itself.
- `.manifest.jsonl.*.tmp`: a manifest rewrite that never finished; deleted.

Then the manifest is reconciled with the output folders, which are the truth (each was renamed
into place complete, with its report.json): a folder without a manifest line gets one rebuilt from
its report.json, a line whose folder is gone is dropped, and torn lines disappear.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.publish import (
    MANIFEST,
    STATUSES,
    _status_of,
    outputs_with_hashes,
    printable,
    read_manifest,
    write_atomic,
)
from ocr.errors import OutputBusyError, OutputError

LOCK = ".lock"


_held: dict[Path, int] = {}
_held_lock = threading.Lock()


@contextlib.contextmanager
def output_lock(out: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold `<out>/.lock` exclusively, or raise OutputBusyError if another process still has it
    after `wait` seconds (at once by default: the CLI refuses a busy folder; the inbox service,
    whose runs may overlap, waits its turn).

    Re-entrant within a process (the CLI takes it before the flow starts, so a busy folder is
    refused before Prefect is involved; the flow body takes it again for other callers)."""
    key = out.resolve()
    with _held_lock:
        if key in _held:
            _held[key] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield
        finally:
            with _held_lock:
                _held[key] -= 1
        return
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OutputError(f"cannot use the output folder {out}: {exc.strerror or exc}") from exc
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as exc:
                if time.monotonic() >= deadline:
                    raise OutputBusyError(
                        f"another ipdigitise run is writing to {out}; wait for it to finish or "
                        "use another --out folder"
                    ) from exc
                time.sleep(0.5)
        with _held_lock:
            _held[key] = 1
        try:
            yield
        finally:
            with _held_lock:
                del _held[key]
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@dataclass
class RecoveryReport:
    removed: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    manifest_added: list[str] = field(default_factory=list)
    manifest_dropped: list[str] = field(default_factory=list)
    manifest_rewritten: bool = False

    def __bool__(self) -> bool:
        return bool(self.removed or self.restored or self.manifest_added or self.manifest_dropped)

    def summary(self) -> str:
        parts = [
            f"{len(self.removed)} unfinished item(s) removed" if self.removed else "",
            f"{len(self.restored)} previous output(s) restored" if self.restored else "",
            f"{len(self.manifest_added)} manifest line(s) rebuilt" if self.manifest_added else "",
            f"{len(self.manifest_dropped)} stale manifest line(s) dropped"
            if self.manifest_dropped
            else "",
        ]
        return "; ".join(p for p in parts if p)


def recover(out: Path) -> RecoveryReport:
    """Clean up after a killed run. Call only while holding `output_lock(out)`."""
    report = RecoveryReport()
    staging = out / ".staging"
    if staging.is_dir():
        for entry in sorted(staging.iterdir()):
            if entry.name.endswith(".old") and entry.is_dir():
                doc_id = entry.name.rsplit(".", 2)[0]
                if not any((out / s / doc_id).exists() for s in STATUSES):
                    status = _status_of(entry)
                    (out / status).mkdir(exist_ok=True)
                    os.replace(entry, out / status / doc_id)
                    report.restored.append(f"{status}/{doc_id}")
                    continue
            _remove(entry)
            report.removed.append(f".staging/{entry.name}")
    work = out / ".work"
    if work.is_dir():
        for entry in sorted(work.iterdir()):
            _remove(entry)
            report.removed.append(f".work/{entry.name}")
    for tmp in sorted(out.glob(f".{MANIFEST}.*.tmp")):
        _remove(tmp)
        report.removed.append(tmp.name)
    reconcile_manifest(out, report)
    return report


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def reconcile_manifest(out: Path, report: RecoveryReport | None = None) -> RecoveryReport:
    """Make the manifest say exactly what the status folders hold: one line per document."""
    report = report if report is not None else RecoveryReport()
    path = out / MANIFEST
    raw = path.read_bytes() if path.exists() else b""
    entries = read_manifest(out)
    on_disk = {
        doc.name: status
        for status in STATUSES
        if (out / status).is_dir()
        for doc in (out / status).iterdir()
        if doc.is_dir()
    }
    fixed: dict[str, dict[str, Any]] = {}
    for doc_id, status in on_disk.items():
        entry = entries.get(doc_id)
        folder = out / status / doc_id
        if entry is None or entry.get("status") != status or not _outputs_match(out, entry):
            rebuilt = _entry_from_report(out, folder, status)
            if rebuilt is None:
                continue
            fixed[doc_id] = rebuilt
            report.manifest_added.append(doc_id)
        else:
            fixed[doc_id] = entry
    report.manifest_dropped.extend(sorted(set(entries) - set(on_disk)))
    data = "".join(
        json.dumps(printable(fixed[k]), sort_keys=True, ensure_ascii=False) + "\n"
        for k in sorted(fixed)
    ).encode("utf-8")
    if data != raw:
        write_atomic(path, data)
        report.manifest_rewritten = True
    return report


def _outputs_match(out: Path, entry: dict[str, Any]) -> bool:
    outputs = entry.get("outputs") or {}
    return bool(outputs) and all((out / rel).is_file() for rel in outputs)


def _entry_from_report(out: Path, folder: Path, status: str) -> dict[str, Any] | None:
    """The manifest line of a document folder, from its report.json (None if it has none)."""
    try:
        body = json.loads((folder / "report.json").read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(body, dict):
        return None
    entry: dict[str, Any] = {
        "doc_id": folder.name,
        "source": body.get("source", {}),
        "settings": body.get("settings"),
        "status": status,
        "outputs": outputs_with_hashes(folder, out),
    }
    if status == "quarantine":
        entry["reason"] = (body.get("error") or {}).get("reason")
    entry["recovered"] = True
    return entry

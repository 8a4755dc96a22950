"""Durable, atomic, idempotent placement of outputs: published/, review/, quarantine/, manifest.

A document's files are written into a staging folder and the folder is renamed into place, so no
half-written output is ever visible under its final name. Re-running replaces a document's
previous outputs (in whichever status folder they were) and its manifest line.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ocr.errors import OutputError

STATUSES = ("published", "review", "quarantine")
MANIFEST = "manifest.jsonl"


def sha256_path(path: Path) -> str:
    """sha256 of a file, or of a folder document (names and contents of its files, in order)."""
    h = hashlib.sha256()
    if path.is_dir():
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            h.update(file.relative_to(path).as_posix().encode() + b"\0")
            h.update(bytes.fromhex(sha256_path(file)))
        return h.hexdigest()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _inside(out: Path, target: Path) -> Path:
    """Refuse any path that would land outside the output folder."""
    resolved = target.resolve()
    if not resolved.is_relative_to(out.resolve()):
        raise OutputError(f"refusing to write outside the output folder: {target}")
    return target


@contextlib.contextmanager
def staged_document(out: Path, status: str, doc_id: str) -> Iterator[Path]:
    """Yield a staging folder; on success it replaces out/<status>/<doc_id> in one rename."""
    assert status in STATUSES
    staging_root = out / ".staging"
    staging = _inside(out, staging_root / f"{doc_id}.{uuid.uuid4().hex[:8]}")
    final = _inside(out, out / status / doc_id)
    try:
        staging.mkdir(parents=True)
        yield staging
        for file in staging.rglob("*"):
            if file.is_file() and not file.is_symlink():
                with file.open("rb") as fh:
                    os.fsync(fh.fileno())
        final.parent.mkdir(parents=True, exist_ok=True)
        for other in STATUSES:
            old = out / other / doc_id
            if old.exists():
                trash = staging_root / f"{doc_id}.{uuid.uuid4().hex[:8]}.old"
                os.replace(old, trash)
                shutil.rmtree(trash, ignore_errors=True)
        os.replace(staging, final)
        _fsync_dir(final.parent)
    except OSError as exc:
        raise OutputError(f"cannot place outputs of {doc_id}: {exc.strerror or exc}") from exc
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def outputs_with_hashes(folder: Path, out: Path) -> dict[str, str]:
    return {
        p.relative_to(out).as_posix(): sha256_path(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@contextlib.contextmanager
def _manifest_lock(out: Path) -> Iterator[None]:
    """One lock file for appends and compaction: overlapping runs (a nightly batch and an inbox
    arrival) share an output folder, and a line appended while another run rewrites the
    manifest must not be lost. (Locking the manifest itself would not do: compaction replaces it.)"""
    with (out / ".manifest.lock").open("ab") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def append_manifest(out: Path, entry: dict[str, Any]) -> None:
    """One JSON line per document; a later line for the same doc_id supersedes earlier ones."""
    line = (json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        with _manifest_lock(out), (out / MANIFEST).open("ab") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise OutputError(f"cannot append to the manifest: {exc.strerror or exc}") from exc


def read_manifest(out: Path) -> dict[str, dict[str, Any]]:
    """Latest entry per doc_id (a torn last line, from a crash mid-write, is ignored)."""
    entries: dict[str, dict[str, Any]] = {}
    path = out / MANIFEST
    if not path.exists():
        return entries
    for raw in path.read_bytes().splitlines():
        try:
            entry = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        if isinstance(entry, dict) and "doc_id" in entry:
            entries[entry["doc_id"]] = entry
    return entries


def compact_manifest(out: Path) -> None:
    """Rewrite the manifest with one line per document, sorted by doc_id (atomic)."""
    try:
        with _manifest_lock(out):
            entries = read_manifest(out)
            data = "".join(
                json.dumps(entries[k], sort_keys=True, ensure_ascii=False) + "\n"
                for k in sorted(entries)
            )
            write_atomic(out / MANIFEST, data.encode("utf-8"))
    except OSError as exc:
        raise OutputError(f"cannot rewrite the manifest: {exc.strerror or exc}") from exc


def copy_input(source: Path, dest_folder: Path) -> Path:
    """Copy an original input (file or folder document) into a quarantine folder, never a link."""
    target = dest_folder / source.name
    if source.is_dir():
        shutil.copytree(source, target, symlinks=False)
    else:
        shutil.copy2(source, target, follow_symlinks=True)
    return target

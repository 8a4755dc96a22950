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
    """Yield a staging folder; on success it replaces out/<status>/<doc_id> in one rename.

    A previous output of the document (in any status folder) is first moved aside to
    `.staging/<doc_id>.<token>.old` and deleted only once the new folder is in place: a crash in
    between leaves it there for `flows.recovery` to put back.
    """
    assert status in STATUSES
    if not doc_id or "/" in doc_id or doc_id in (".", ".."):
        raise OutputError(f"refusing to write a document with id {doc_id!r}")
    staging_root = out / ".staging"
    staging = _inside(out, staging_root / f"{doc_id}.{uuid.uuid4().hex[:8]}")
    final = _inside(out, out / status / doc_id)
    trash: list[Path] = []
    try:
        staging.mkdir(parents=True)
        yield staging
        for file in staging.rglob("*"):
            if file.is_file() and not file.is_symlink():
                with file.open("rb") as fh:
                    os.fsync(fh.fileno())
        _fsync_dir(staging)
        final.parent.mkdir(parents=True, exist_ok=True)
        for other in STATUSES:
            old = _inside(out, out / other / doc_id)
            if old.exists():
                aside = staging_root / f"{doc_id}.{uuid.uuid4().hex[:8]}.old"
                os.replace(old, aside)
                trash.append(aside)
        os.replace(staging, final)
        _fsync_dir(final.parent)
    except OSError as exc:
        for aside in trash:  # put the previous outputs back where they were
            with contextlib.suppress(OSError):
                if not final.exists():
                    os.replace(aside, out / _status_of(aside) / doc_id)
        raise OutputError(f"cannot place outputs of {doc_id}: {exc.strerror or exc}") from exc
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    for aside in trash:
        shutil.rmtree(aside, ignore_errors=True)


def _status_of(folder: Path) -> str:
    """The status a document output folder was published under (from its report.json)."""
    try:
        status = json.loads((folder / "report.json").read_bytes()).get("status")
    except (OSError, ValueError, AttributeError):
        return "review"
    return status if status in STATUSES else "review"


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
    line = (json.dumps(printable(entry), sort_keys=True, ensure_ascii=False) + "\n").encode()
    try:
        with _manifest_lock(out), (out / MANIFEST).open("ab") as fh:
            if fh.tell() > 0 and _last_byte(out / MANIFEST) != b"\n":
                line = b"\n" + line  # a line torn by a crash must not swallow this one
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise OutputError(f"cannot append to the manifest: {exc.strerror or exc}") from exc


def _last_byte(path: Path) -> bytes:
    with path.open("rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1)


def printable(value: Any) -> Any:
    """The same data with every string encodable as UTF-8: a file name that is not valid UTF-8
    (held by Python as lone surrogates) shows its odd bytes as \\xNN instead of breaking JSON."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            try:
                raw = value.encode("utf-8", "surrogateescape")
            except UnicodeEncodeError:
                return value.encode("utf-8", "backslashreplace").decode("utf-8")
            return raw.decode("utf-8", "backslashreplace")
        return value
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [printable(v) for v in value]
    return value


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


def copy_input(source: Path, dest_folder: Path, root: Path | None = None) -> list[str]:
    """Copy an original input (file or folder document) into a quarantine folder, never a link.

    Inside a folder, a link leading out of `root` (default: the folder) and anything that is not
    a regular file or folder (a FIFO would block the copy) are skipped; their names are returned.
    A name that is not valid UTF-8 is stored with its odd bytes written as \\xNN."""
    target = dest_folder / printable(source.name)
    if not source.is_dir():
        shutil.copy2(source, target, follow_symlinks=True)
        return []
    fence = (root or source).resolve()
    skipped: list[str] = []

    def ignore(folder: str, names: list[str]) -> set[str]:
        out = set()
        for name in names:
            path = Path(folder) / name
            if (path.is_symlink() and not path.resolve().is_relative_to(fence)) or not (
                path.is_file() or path.is_dir()
            ):
                out.add(name)
                skipped.append(printable(path.relative_to(source).as_posix()))
        return out

    shutil.copytree(source, target, symlinks=False, ignore=ignore)
    return skipped

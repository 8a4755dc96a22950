"""Checks of an output folder's promises, shared by the fault and bad-input tests.

`visible_problems(out)` holds at *any* moment, even right after a SIGKILL: whatever is under a
final name (published/, review/, quarantine/) is complete and parses, and no document is in two
places. `settled_problems(out, doc_ids)` holds after a run that finished: in addition every
document is in exactly one place, the manifest has exactly one line per document and its hashes
are those of the files, and nothing unfinished is left behind.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from output_schemas.xmltext import parse_untrusted

STATUSES = ("published", "review", "quarantine")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def outcome_folders(out: Path) -> dict[str, list[str]]:
    """doc_id -> the status folders it appears in."""
    where: dict[str, list[str]] = {}
    for status in STATUSES:
        folder = out / status
        if folder.is_dir():
            for doc in folder.iterdir():
                where.setdefault(doc.name, []).append(status)
    return where


def manifest_lines(out: Path) -> tuple[list[dict[str, Any]], list[bytes]]:
    """Parsed manifest lines, and the lines that do not parse."""
    path = out / "manifest.jsonl"
    good, bad = [], []
    if path.exists():
        for raw in path.read_bytes().splitlines():
            try:
                good.append(json.loads(raw))
            except ValueError:
                bad.append(raw)
    return good, bad


def visible_problems(out: Path) -> list[str]:
    problems = []
    for doc_id, statuses in outcome_folders(out).items():
        if len(statuses) > 1:
            problems.append(f"{doc_id} is in {statuses}")
        for status in statuses:
            folder = out / status / doc_id
            names = {p.name for p in folder.iterdir()}
            if any(n.startswith(".") or n.endswith(".tmp") for n in names):
                problems.append(f"{status}/{doc_id} holds temporary files: {sorted(names)}")
            try:
                report = json.loads((folder / "report.json").read_bytes())
            except (OSError, ValueError) as exc:
                problems.append(f"{status}/{doc_id}/report.json unreadable: {exc}")
                continue
            if report.get("status") != status:
                problems.append(f"{status}/{doc_id} report says {report.get('status')}")
            if status == "quarantine":
                if "REASON.txt" not in names:
                    problems.append(f"quarantine/{doc_id} has no REASON.txt")
                continue
            for name in (f"{doc_id}.st96.xml", f"{doc_id}.json"):
                try:
                    data = (folder / name).read_bytes()
                    parse_untrusted(data) if name.endswith(".xml") else json.loads(data)
                except Exception as exc:  # noqa: BLE001 - any failure is the finding
                    problems.append(f"{status}/{doc_id}/{name} incomplete: {exc}")
    return problems


def settled_problems(out: Path, doc_ids: set[str]) -> list[str]:
    problems = visible_problems(out)
    where = outcome_folders(out)
    for doc_id in sorted(doc_ids):
        if len(where.get(doc_id, [])) != 1:
            problems.append(f"{doc_id} ended in {where.get(doc_id, [])}, not exactly once")
    extra = set(where) - doc_ids
    if extra:
        problems.append(f"outputs for unknown documents: {sorted(extra)}")
    lines, torn = manifest_lines(out)
    if torn:
        problems.append(f"manifest has {len(torn)} unreadable line(s)")
    counts = Counter(line.get("doc_id") for line in lines)
    dups = [d for d, n in counts.items() if n > 1]
    if dups:
        problems.append(f"manifest has duplicate lines for {dups}")
    if set(counts) != doc_ids:
        problems.append(
            f"manifest gaps: missing {sorted(doc_ids - set(counts))}, "
            f"unknown {sorted(set(counts) - doc_ids)}"
        )
    for line in lines:
        doc_id, status = line.get("doc_id"), line.get("status")
        if doc_id in where and where[doc_id] != [status]:
            problems.append(f"manifest says {doc_id} is {status}, disk says {where[doc_id]}")
        outputs: dict[str, str] = line.get("outputs") or {}
        folder = out / str(status) / str(doc_id)
        on_disk = {p.relative_to(out).as_posix() for p in folder.rglob("*") if p.is_file()}
        if set(outputs) != on_disk:
            problems.append(f"manifest outputs of {doc_id} {sorted(outputs)} != disk {sorted(on_disk)}")  # fmt: skip
        for rel, digest in outputs.items():
            if (out / rel).is_file() and _sha(out / rel) != digest:
                problems.append(f"manifest hash of {rel} does not match the file")
    for leftover in (".staging", ".work"):
        folder = out / leftover
        if folder.exists() and any(folder.iterdir()):
            problems.append(f"{leftover}/ not empty: {sorted(p.name for p in folder.iterdir())}")
    tmp = [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    if tmp:
        problems.append(f"temporary files left in {out}: {tmp}")
    return problems

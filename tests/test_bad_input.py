"""The bad-input corpus through the real CLI and the real Tesseract: every input ends in exactly
one clear, typed outcome, the batch never stops, and memory stays bounded.

The corpus (tests/badinput.py) is generated at test time. Limits come from a settings file:
max_file_bytes = 5 MB (so a sparse 6 MB file trips it), the default 120-megapixel page limit and
500-page document limit, and a 60 s per-page OCR timeout.
"""

from __future__ import annotations

import json
import os
import resource
from pathlib import Path
from typing import Any

import pytest
from badinput import build_corpus
from invariants import settled_problems
from runcli import RunCli, requires_tesseract

from flows.discover import discover
from flows.publish import printable, read_manifest

pytestmark = [pytest.mark.slow, pytest.mark.tesseract, requires_tesseract]

CONFIG = """
[limits]
max_file_bytes = 5000000
[ocr]
timeout = 60
workers = 2
"""
MAX_RSS_BYTES = 1_500_000_000
"""A 60,000 x 60,000 bomb decoded would need 3.6 GB even in 8-bit grey."""


def _report(out: Path, entry: dict[str, Any]) -> dict[str, Any]:
    folder = out / entry["status"] / entry["doc_id"]
    return json.loads((folder / "report.json").read_bytes())


def test_every_bad_input_ends_in_one_typed_outcome(run_cli: RunCli, tmp_path: Path) -> None:
    inbox, outside, out = tmp_path / "inbox", tmp_path / "outside", tmp_path / "out"
    expected = build_corpus(inbox, outside)
    config = tmp_path / "settings.toml"
    config.write_text(CONFIG)

    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = run_cli(str(inbox), "--out", str(out), "--config", str(config), timeout=600)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    assert result.returncode == 0, result.output
    assert max(before * 1024, peak) < MAX_RSS_BYTES

    docs = {d.path.name: d.doc_id for d in discover([inbox])}
    assert set(docs) == set(expected), "every entry of the inbox is a document"
    manifest = read_manifest(out)
    assert settled_problems(out, set(docs.values())) == []

    outcomes: dict[str, str] = {}
    wrong: list[str] = []
    for name, exp in expected.items():
        doc_id = docs[name]
        if exp.doc_id is not None and doc_id != exp.doc_id:
            wrong.append(f"{name!r}: id {doc_id}, expected {exp.doc_id}")
        entry = manifest[doc_id]
        assert entry["source"]["path"] == printable(str(inbox / name))
        report = _report(out, entry)
        if entry["status"] == "quarantine":
            reason_txt = (out / "quarantine" / doc_id / "REASON.txt").read_text()
            assert reason_txt.startswith(f"{entry['reason']}: ") and len(reason_txt) > 30
            outcomes[name] = f"quarantine: {reason_txt.strip()[:90]}"
            got = (entry["status"], entry["reason"])
        else:
            reasons = report["validation"]["reasons"]
            assert reasons, f"{name!r} went to {entry['status']} without a reason"
            outcomes[name] = f"{entry['status']}: {reasons[0][:90]}"
            got = (entry["status"], exp.reason if exp.reason and exp.reason in reasons[0] else None)
        if got != (exp.status, exp.reason):
            wrong.append(f"{name!r}: got {outcomes[name]}, expected {exp}")
    print(f"\n{len(expected)} bad inputs:")
    for name in sorted(outcomes):
        print(f"  {printable(name)[:40]!r:44} -> {outcomes[name]}")
    assert wrong == []

    # odd encodings were read as pages of the right shape and resolution
    for name in ("dpi-1.png", "dpi-100000.png"):
        pre = _report(out, manifest[docs[name]])["preprocess"][0]
        assert pre["dpi_source"] == "assumed" and pre["input_dpi"] == 300.0
    assert _report(out, manifest[docs["exif-rotated.jpg"]])["preprocess"][0]["input_size"] == [640, 720]  # fmt: skip
    assert len(_report(out, manifest[docs["folder-good"]])["pages"]) == 3

    # duplicate content under two names: two documents, same sha256 on record
    assert manifest["dup-a"]["source"]["sha256"] == manifest["dup-b"]["source"]["sha256"]

    # nothing from outside the inbox was read into the outputs
    secret = (outside / "secret.png").read_bytes()
    for file in out.rglob("*"):
        if file.is_file() and not file.is_symlink():
            assert file.read_bytes() != secret, f"{file} is a copy of a file outside the inbox"
    link_report = _report(out, manifest["link-outside"])
    assert link_report["source"]["sha256"] is None
    assert link_report["source"]["link_target"] == str(outside / "secret.png")
    assert sorted(p.name for p in outside.iterdir()) == ["secret.png"]
    folder_report = _report(out, manifest["folder-link-out"])
    assert folder_report["copy_skipped"] == ["page-2.png"]
    assert sorted(p.name for p in (out / "quarantine/folder-link-out/folder-link-out").iterdir()) == ["page-1.png"]  # fmt: skip

    # the same files dropped again: nothing is redone, still exactly one outcome each
    os.replace(inbox / "dup-a.png", tmp_path / "dup-a.png")
    (inbox / "dup-a.png").write_bytes((tmp_path / "dup-a.png").read_bytes())
    again = run_cli(str(inbox), "--out", str(out), "--config", str(config), timeout=600)
    assert again.returncode == 0, again.output
    assert settled_problems(out, set(docs.values())) == []
    unchanged = again.output.count("unchanged since the last run")
    unsafe = {
        "unsafe-link",
        "not-a-regular-file",
        "broken-link",
    }  # never read, so never "unchanged"
    refused_again = sum(1 for e in expected.values() if e.reason in unsafe)
    assert unchanged == len(expected) - refused_again, again.output

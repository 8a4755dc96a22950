"""Atomic placement, manifest semantics, document discovery and settings precedence."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from flows.discover import discover, safe_id
from flows.publish import (
    append_manifest,
    compact_manifest,
    read_manifest,
    sha256_path,
    staged_document,
    write_atomic,
)
from flows.settings import load_settings
from ocr.errors import OutputError


def test_staged_document_appears_whole_or_not_at_all(tmp_path: Path) -> None:
    with staged_document(tmp_path, "published", "doc1") as staging:
        write_atomic(staging / "a.xml", b"<a/>")
        assert not (tmp_path / "published" / "doc1").exists()
    assert (tmp_path / "published" / "doc1" / "a.xml").read_bytes() == b"<a/>"

    with pytest.raises(RuntimeError), staged_document(tmp_path, "review", "doc2") as staging:
        write_atomic(staging / "a.xml", b"<half")
        raise RuntimeError("crash while writing")
    assert not (tmp_path / "review" / "doc2").exists()
    assert list((tmp_path / ".staging").iterdir()) == []


def test_rerun_moves_a_document_between_statuses(tmp_path: Path) -> None:
    with staged_document(tmp_path, "review", "doc") as s:
        write_atomic(s / "r.json", b"{}")
    with staged_document(tmp_path, "published", "doc") as s:
        write_atomic(s / "r.json", b"{}")
    assert not (tmp_path / "review" / "doc").exists()
    assert (tmp_path / "published" / "doc" / "r.json").exists()


def test_refuses_to_write_outside_out(tmp_path: Path) -> None:
    with (
        pytest.raises(OutputError, match="refusing to write"),
        staged_document(tmp_path / "out", "published", "../../etc"),
    ):
        pass


def test_manifest_latest_line_wins_and_torn_line_is_ignored(tmp_path: Path) -> None:
    append_manifest(tmp_path, {"doc_id": "a", "status": "review"})
    append_manifest(tmp_path, {"doc_id": "b", "status": "published"})
    append_manifest(tmp_path, {"doc_id": "a", "status": "published"})
    with (tmp_path / "manifest.jsonl").open("ab") as fh:
        fh.write(b'{"doc_id": "c", "sta')  # a crash mid-write
    entries = read_manifest(tmp_path)
    assert entries["a"]["status"] == "published" and set(entries) == {"a", "b"}
    compact_manifest(tmp_path)
    lines = (tmp_path / "manifest.jsonl").read_text().splitlines()
    assert [json.loads(x)["doc_id"] for x in lines] == ["a", "b"]


def test_write_atomic_reports_a_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user that can write to read-only folders (root)")
        with pytest.raises(OutputError):
            write_atomic(folder / "x", b"1")
    finally:
        folder.chmod(0o700)


def test_sha256_of_folder_document_depends_on_names_and_content(tmp_path: Path) -> None:
    d = tmp_path / "doc"
    d.mkdir()
    (d / "page-1.png").write_bytes(b"1")
    first = sha256_path(d)
    (d / "page-1.png").rename(d / "page-2.png")
    assert sha256_path(d) != first


def test_discover_files_and_folder_documents(tmp_path: Path) -> None:
    (tmp_path / "b.png").write_bytes(b"x")
    (tmp_path / "a 10.pdf").write_bytes(b"x")
    (tmp_path / "a 2.pdf").write_bytes(b"x")
    (tmp_path / ".hidden.png").write_bytes(b"x")
    sub = tmp_path / "folderdoc"
    sub.mkdir()
    (sub / "page-1.png").write_bytes(b"x")
    docs = discover([tmp_path])
    assert [d.doc_id for d in docs] == ["a_2", "a_10", "b", "folderdoc"]
    assert docs[-1].path == sub


def test_doc_ids_are_safe_and_unique(tmp_path: Path) -> None:
    assert safe_id("../../etc/passwd") == "etc_passwd"
    assert safe_id("-rf Brevet n°1 é.tif") == "rf_Brevet_n1_e.tif"
    assert safe_id("....") == "document"
    assert len(safe_id("x" * 500)) <= 80
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "scan.png").write_bytes(b"x")
    (tmp_path / "two" / "scan.png").write_bytes(b"x")
    docs = discover([tmp_path / "one" / "scan.png", tmp_path / "two" / "scan.png"])
    assert [d.doc_id for d in docs] == ["scan", "scan-2"]


def test_settings_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "ipd.toml"
    cfg.write_text('[ocr]\nlang = "deu"\npsm = 4\n[gate]\nmin_field_confidence = 0.5\n')
    monkeypatch.setenv("IPDIGITISE_OCR__PSM", "6")
    s = load_settings(cfg, {"ocr": {"lang": "fra", "workers": None}})
    assert s.ocr.lang == "fra"  # CLI beats file
    assert s.ocr.psm == 6  # env beats file
    assert s.gate.min_field_confidence == 0.5  # file beats default
    with pytest.raises(ValueError):
        load_settings(None, {"ocr": {"psm": 99}})
    assert (
        load_settings().fingerprint() == load_settings(None, {"ocr": {"workers": 7}}).fingerprint()
    )
    assert (
        load_settings().fingerprint() != load_settings(None, {"ocr": {"lang": "deu"}}).fingerprint()
    )

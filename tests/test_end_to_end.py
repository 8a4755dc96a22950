"""The real CLI on the bundled sample scans, with real Tesseract and Prefect's embedded API."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from flows.publish import sha256_path
from output_schemas.validate import check_json, check_st96
from tests.conftest import ROOT, SAMPLES

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("tesseract_available")]

KEY_FIELDS = {"11": "publication_number", "13": "kind", "21": "application_number",
              "22": "filing_date", "45": "publication_date"}  # fmt: skip


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "flows", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=900, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture(scope="module")
def batch(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    inbox = tmp_path_factory.mktemp("inbox")
    for item in (SAMPLES / "documents").iterdir():
        if item.is_dir():
            shutil.copytree(item, inbox / item.name)
        else:
            shutil.copy2(item, inbox / item.name)
    good = (SAMPLES / "documents" / "us_10142403.png").read_bytes()
    (inbox / "broken_scan.png").write_bytes(good[: len(good) // 4])
    out = tmp_path_factory.mktemp("out")
    proc = _cli("run", str(inbox), "--out", str(out), "--workers", "2")
    return inbox, out, proc


def _reports(out: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/*/report.json")}


def test_run_completes_with_exit_code_0_and_a_summary(batch) -> None:
    _, _, proc = batch
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "documents" in proc.stdout and "published" in proc.stdout


def test_every_input_ends_exactly_once(batch) -> None:
    inbox, out, _ = batch
    reports = _reports(out)
    assert sorted(reports) == sorted(p.stem if p.is_file() else p.name for p in inbox.iterdir())
    manifest = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    assert sorted(m["doc_id"] for m in manifest) == sorted(reports)
    for entry in manifest:
        for rel, digest in entry["outputs"].items():
            assert (out / rel).is_file(), rel
            assert sha256_path(out / rel) == digest, rel
            assert rel.startswith(entry["status"] + "/")
    assert not list((out / ".staging").glob("*")) and not list((out / ".work").glob("*"))


def test_corrupt_file_is_quarantined_with_a_reason_and_a_copy(batch) -> None:
    inbox, out, _ = batch
    q = out / "quarantine" / "broken_scan"
    report = json.loads((q / "report.json").read_text())
    assert report["error"]["stage"] == "ingest"
    assert report["error"]["reason"] == "corrupt-image"
    assert (q / "broken_scan.png").read_bytes() == (inbox / "broken_scan.png").read_bytes()
    assert (inbox / "broken_scan.png").exists()  # the input is kept where it was


def test_outputs_are_schema_valid_and_published_ones_clean(batch) -> None:
    _, out, _ = batch
    for status in ("published", "review"):
        for folder in (out / status).iterdir():
            xml = etree.parse(str(folder / f"{folder.name}.st96.xml"))
            data = json.loads((folder / f"{folder.name}.json").read_text())
            schema_findings = check_st96(xml) + check_json(data)
            report = json.loads((folder / "report.json").read_text())
            if status == "published":
                assert schema_findings == [], folder.name
                assert report["validation"]["findings"] == []
            else:
                assert report["validation"]["reasons"], "a document in review says why"
            assert report["source"]["sha256"] and report["timings"]["validate"] >= 0


def test_the_engine_that_ran_is_recorded(batch) -> None:
    from flows.settings import load_settings

    _, out, _ = batch
    engine = load_settings().engine()  # "libtesseract" where the library loads, else "cli"
    name = {"cli": "tesseract", "tesserocr": "tesserocr", "libtesseract": "libtesseract"}[engine]
    for folder in out.glob("published/*"):
        report = json.loads((folder / "report.json").read_text())
        assert report["engine"]["name"] == name and report["engine"]["version"].startswith("5.")
        pis = etree.parse(str(folder / f"{folder.name}.st96.xml")).xpath(
            "/*/processing-instruction('ipdigitise-ocr')"
        )
        assert len(pis) == 1 and f'engine="{name}"' in pis[0].text


def test_expected_fields_of_the_sample_documents(batch) -> None:
    """Compare with the values a person read off the page images (sample_scans/expected)."""
    _, out, _ = batch
    reports = _reports(out)
    right = total = 0
    misses = []
    for path in sorted((SAMPLES / "expected").glob("*.fields.json")):
        expected = json.loads(path.read_text())
        report = reports[expected["document"]]
        for inid, name in KEY_FIELDS.items():
            if inid not in expected["fields"]:
                continue
            total += 1
            got = report["fields"].get(name, {}).get("value")
            want = expected["fields"][inid]
            if name == "application_number":
                got, want = (
                    (None if got is None else "".join(filter(str.isdigit, got))),
                    "".join(filter(str.isdigit, want)),
                )
            if got == want:
                right += 1
            else:
                misses.append((expected["document"], name, want, got))
    assert total >= 30
    assert right / total >= 0.9, misses


def test_rerun_is_idempotent(batch) -> None:
    inbox, out, _ = batch
    before = (out / "manifest.jsonl").read_bytes()
    proc = _cli("run", str(inbox), "--out", str(out), "--workers", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (out / "manifest.jsonl").read_bytes() == before


def test_missing_tesseract_is_a_documented_exit_code(tmp_path: Path) -> None:
    env = {**os.environ, "IPDIGITISE_OCR__TESSERACT_CMD": str(tmp_path / "nope")}
    proc = subprocess.run(
        [sys.executable, "-m", "flows", "run", str(SAMPLES / "documents"), "--out", str(tmp_path / "o")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.returncode == 3
    assert "apt-get install tesseract-ocr" in proc.stderr

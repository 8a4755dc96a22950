"""finish_document on a whole recorded document: every output written, byte-identical twice,
and accepted by `validate`. Page images are synthetic (white pages, boxes on drawing sheets)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from flows.cli import EXIT_OK, app
from flows.settings import Settings
from flows.stages import PreparedDocument, PreparedPage, finish_document
from tests.conftest import fixture_pages, load_fixture


def prepare(tmp: Path, name: str) -> tuple[PreparedDocument, list]:
    data = load_fixture(name)
    pages = fixture_pages(data)
    work = tmp / "work"
    work.mkdir()
    prepared = []
    for page, kind in zip(pages, data["kinds"], strict=True):
        pixels = np.full((page.height, page.width), 255, np.uint8)
        if kind == "drawing":
            for i in range(6):
                cv2.rectangle(pixels, (300 + 200 * i, 400 + 300 * i), (900 + 200 * i, 800 + 300 * i),
                              0, 6)  # fmt: skip
        path = work / f"page-{page.index + 1:04d}.pgm"
        cv2.imwrite(str(path), pixels)
        prepared.append(PreparedPage(index=page.index, path=path, dpi=page.dpi))
    doc = PreparedDocument(doc_id=data["doc_id"], source=Path(f"/scans/{data['doc_id']}.pdf"),
                           sha256="0" * 64, pages=tuple(prepared), preprocess=(), seconds=0.0)  # fmt: skip
    return doc, pages


def tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.jsonl" and not p.name.startswith(".")
    }


@pytest.mark.slow
def test_outputs_complete_deterministic_and_valid(tmp_path: Path) -> None:
    prepared, pages = prepare(tmp_path, "EP1000000A1.clean")
    settings = Settings()
    a = finish_document(prepared, pages, tmp_path / "a", settings, {"ocr_wall": 1.0})
    b = finish_document(prepared, pages, tmp_path / "b", settings, {"ocr_wall": 2.0})
    assert a.status == b.status == "published"
    files_a, files_b = tree(tmp_path / "a"), tree(tmp_path / "b")
    folder = "published/EP1000000A1/"
    report = folder + "report.json"
    # byte-identical outputs; the run record (report.json) differs only in its timings
    assert {k: v for k, v in files_a.items() if k != report} == {
        k: v for k, v in files_b.items() if k != report
    }
    records = [json.loads((tmp_path / run / report).read_text()) for run in ("a", "b")]
    assert records[0].pop("timings") != records[1].pop("timings")
    assert records[0] == records[1]
    expected = {"EP1000000A1.st96.xml", "EP1000000A1.st36.xml", "EP1000000A1.json",
                "report.json", "pages/page-0007.tif", "pages/page-0008.tif"}  # fmt: skip
    expected |= {f"alto/page-{i:04d}.xml" for i in range(1, 10)}
    assert {k.removeprefix(folder) for k in files_a} == expected
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "a" / folder)])
    assert result.exit_code == EXIT_OK, result.output


@pytest.mark.slow
def test_review_page_written_when_not_published(tmp_path: Path) -> None:
    prepared, pages = prepare(tmp_path, "US8930553B2.degraded")
    result = finish_document(prepared, pages, tmp_path / "out", Settings(), {})
    assert result.status == "review"
    page = (tmp_path / "out" / "review" / "US8930553B2" / "review.html").read_text()
    assert "claim-number-inferred" in page and "data:image/png;base64," in page

"""The degraded test-page set (bench/degrade_test_pages.py) and run.py's text-only scoring.

Uses the four pages of ../shared/data/tesseract-test-pages (Apache-2.0, tesseract-ocr/test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from bench.degrade_test_pages import DEFAULT_SOURCE, PAGES, generate, page_id
from bench.run import score

pytestmark = pytest.mark.skipif(
    not (Path(__file__).resolve().parents[1].parent / "shared").is_dir(),
    reason="../shared (beside the repository) is absent: no test pages",
)


def test_variants_are_seeded_per_page_and_stable(tmp_path: Path) -> None:
    two = generate(DEFAULT_SOURCE, tmp_path / "two", 2, ("rotated", "dpi150"), seed=7)
    one = generate(DEFAULT_SOURCE, tmp_path / "one", 1, ("dpi150",), seed=7)
    assert len(two) == 4 + 2 * 4 * 2
    assert len({e["id"] for e in two}) == len(two)
    # Variant 0 is the same file whatever the number of variants or types.
    by_id = {e["id"]: e["sha256"] for e in two}
    assert all(by_id[e["id"]] == e["sha256"] for e in one)
    # Variants differ from each other; the quarter turns cycle over pages, then variants.
    rotated = [e for e in two if e["kind"] == "rotated"]
    assert [e["rotation"] for e in rotated] == [90, 180, 270, 90, 180, 270, 90, 180]
    assert len({e["sha256"] for e in rotated}) == 8
    # Resampling starts from the page's own resolution (phototest.tif is 200 dpi, 640 px wide).
    manifest = json.loads((tmp_path / "two" / "manifest.json").read_text())
    assert manifest["ground_truth"] == "text"
    photo = next(e for e in manifest["pages"] if e["id"] == "dpi150/phototest")
    assert Image.open(tmp_path / "two" / photo["file"]).size[0] == 480
    for image, truth in PAGES.items():
        written = (tmp_path / "two" / "gt" / f"{page_id(image)}.txt").read_text()
        assert written == (DEFAULT_SOURCE / truth).read_text(errors="replace")
        assert "." not in page_id(image)


def test_text_only_score_has_no_read_lines_or_fields(tmp_path: Path) -> None:
    (tmp_path / "p.txt").write_text("The quick brown fox")
    row = {"source": "p", "text": "the quick brown box", "fields": None}
    out = score(row, tmp_path, None)
    assert (out["wer"], out["errors"], out["ref_words"]) == (0.25, 1, 4)
    assert out["read_wer"] is None and out["read_ref_words"] == 0
    assert "field_hits" not in out and "eval_hits" not in out

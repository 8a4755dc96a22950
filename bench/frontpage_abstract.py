"""How often the abstract (57) is read from the 135 real US front pages in ../shared.

    .venv/bin/python -m bench.frontpage_abstract [--ocr-dir /tmp/ocrj]

Counts front pages whose abstract the INID segmenter (mapping.frontpage) finds on its own and
after build_document's fallback (mapping.abstract), and checks each abstract against the page's
reference transcription (gt/<id>.txt, another engine's OCR in its own reading order): an
abstract counts as matching when rapidfuzz's partial_ratio of its first 300 characters against
the transcription is >= 90. Recorded OCR (PageOcr JSON per page id) is used when --ocr-dir has
it; other pages are OCR'd (cached) through the pipeline.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from rapidfuzz import fuzz

from bench.fulltext_gt import SAMPLES
from bench.ocr_cache import ocr_image
from mapping.document import build_document
from mapping.frontpage import extract_front_page
from mapping.layout import page_lines
from ocr.models import PageOcr
from ocr.tesseract import TesseractEngine

FRONT = SAMPLES.parent / "us-frontpages"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ocr-dir", type=Path, default=Path("/tmp/ocrj"))
    args = ap.parse_args()
    engine = TesseractEngine()
    images = sorted((FRONT / "images").glob("*.png"))
    segmenter = pipeline = matching = 0
    for image in images:
        recorded = args.ocr_dir / f"{image.stem}.json"
        if recorded.exists():
            page = PageOcr.model_validate_json(recorded.read_bytes())
        else:
            page = ocr_image(image, 0, engine)
        segmenter += bool(extract_front_page(page_lines(page)).abstract)
        doc = build_document(image.stem, [page])
        if doc.abstract:
            pipeline += 1
            truth = re.sub(r"\s+", " ", (FRONT / "gt" / f"{image.stem}.txt").read_text())
            matching += fuzz.partial_ratio(doc.abstract[0].text[:300], truth) >= 90
    n = len(images)
    print(
        f"front pages: {n}; abstract found by the INID segmenter alone: {segmenter}; "
        f"by the pipeline: {pipeline}; matching the transcription: {matching}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

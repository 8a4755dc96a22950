"""Maintainer tool: write the full-text test fixtures (tests/resources/fulltext/).

For a few benchmark documents it stores, gzip-compressed and deterministic: the recorded OCR of
every page (PageOcr as Tesseract 5.3.0 read the rendered pages), the ink outside word boxes per
page, the true page kinds, and the ground truth (abstract, description items with their numbers,
claims) read from the real XML in ../shared. Tests then exercise the full-text mapping on real
OCR output without running Tesseract or needing ../shared.

    .venv/bin/python -m bench.make_fulltext_fixtures
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from bench.fulltext_bench import VARIANTS
from bench.fulltext_gt import SOURCES, load
from bench.fulltext_ocr_cache import ocr_pages, page_ink
from bench.render_fulltext import degrade, render_document
from ocr.tesseract import TesseractEngine

OUT = Path(__file__).resolve().parents[1] / "tests" / "resources" / "fulltext"
FIXTURES = (("EP1000000A1", "clean"), ("US8930553B2", "degraded"), ("US20050004437A1", "clean"))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    root = Path("/tmp/fulltext-bench")
    engine = TesseractEngine(lang="eng", psm=3)
    for key, variant in FIXTURES:
        font, seed, degraded = VARIANTS[variant]
        source = next(s for s in SOURCES if s.key == key)
        gt = load(source)
        folder = root / f"{font}-{seed}" / key
        rendered = render_document(gt, folder, seed=seed, font=font,
                                   abstract_page=source.abstract_page)  # fmt: skip
        images = [folder / n for n in rendered.pages]
        if degraded:
            dfolder = root / f"{font}-{seed}-{degraded}" / key
            dfolder.mkdir(parents=True, exist_ok=True)
            for i, img in enumerate(images):
                if not (dfolder / img.name).exists():
                    degrade(img, dfolder / img.name, seed=seed * 1000 + i,
                            heavy=degraded == "heavy")  # fmt: skip
            images = [dfolder / img.name for img in images]
        pages = ocr_pages(images, engine)
        data = {
            "doc_id": key,
            "variant": variant,
            "source": source.path,
            "pages": [p.model_dump(mode="json") for p in pages],
            "ink": [page_ink(img, p) for img, p in zip(images, pages, strict=True)],
            "kinds": rendered.kinds,
            "truth": {
                "abstract": gt.abstract,
                "description": [
                    {"text": p.text, "number": p.number, "heading": p.heading}
                    for p in gt.description
                ],
                "numbered_paragraphs": gt.numbered_paragraphs,
                "claims": gt.claim_texts(),
            },
        }
        raw = json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")
        target = OUT / f"{key}.{variant}.json.gz"
        target.write_bytes(gzip.compress(raw, mtime=0))
        print(f"wrote {target} ({target.stat().st_size} bytes)")


if __name__ == "__main__":
    main()

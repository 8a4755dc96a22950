"""Record the pipeline's own OCR of a folder of page images, for fast mapping work.

For each image: ingest -> preprocess -> Tesseract exactly as `ipdigitise run` does with default
settings; writes `<out>/<id>.json` (PageOcr) and `<out>/<id>.pgm` (the page image the OCR saw,
which `fields_bench.py --reread` crops). Pages already recorded are skipped.

    python bench/ocr_cache.py ../shared/data/us-frontpages/images --out /tmp/fields-ocr --workers 2
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("OMP_THREAD_LIMIT", "1")


def record(image: Path, out: Path) -> str:
    import cv2

    from flows.settings import Settings
    from ocr.ingest import IngestLimits, iter_pages
    from ocr.preprocess import PreprocessOptions, preprocess
    from ocr.tesseract import TesseractEngine

    settings = Settings()
    target = out / f"{image.stem}.json"
    if target.exists():
        return f"{image.stem}: kept"
    limits = IngestLimits(pdf_dpi=settings.preprocess.pdf_dpi,
                          assumed_dpi=settings.preprocess.assumed_dpi)  # fmt: skip
    opts = PreprocessOptions(target_dpi=settings.preprocess.target_dpi,
                             upsample_below=settings.preprocess.upsample_below)  # fmt: skip
    page = next(iter_pages(image, limits))
    ready, _ = preprocess(page, opts)
    pgm = out / f"{image.stem}.pgm"
    cv2.imwrite(str(pgm), ready.pixels)
    engine = TesseractEngine(lang=settings.ocr.lang, psm=settings.ocr.psm)
    ocr = engine.recognise(pgm, index=0, dpi=ready.dpi)
    target.write_text(ocr.model_dump_json())
    return f"{image.stem}: {len(ocr.words)} words, {ocr.seconds:.1f} s"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("images", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    images = sorted(
        p for p in args.images.iterdir() if p.suffix.lower() in {".png", ".tif", ".jpg"}
    )
    with ProcessPoolExecutor(args.workers) as pool:
        for line in pool.map(record, images, [args.out] * len(images)):
            print(line, flush=True)


if __name__ == "__main__":
    main()

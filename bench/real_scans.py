"""Raw Tesseract vs ipdigitise on the real scans of ../shared/data/tesseract-test-pages.

    flock /tmp/ipd-bench.lock python bench/real_scans.py --out bench/results/real_scans.json

Two UNLV-ISRI 300 dpi paper scans plus eurotext.tif and phototest.tif, each as it is, turned
upside down, and skewed by 3 degrees (seeded, same code as bench/degrade.py); bag-of-words WER
against the plain-text ground truth (bench/metrics.py). OCR is cached as in bench/run.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.degrade import SHARED, rotate  # noqa: E402
from bench.degrade_test_pages import PAGES  # noqa: E402
from bench.metrics import bag_wer  # noqa: E402
from bench.run import ocr_image  # noqa: E402
from ocr.ingest import iter_pages  # noqa: E402
from ocr.models import PageImage  # noqa: E402
from ocr.preprocess import preprocess  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=SHARED / "data" / "tesseract-test-pages")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/ipd-bench-cache"))
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    rows = []
    for image, truth in PAGES.items():
        page = next(iter_pages(args.data / image))
        reference = (args.data / truth).read_text(errors="replace")
        variants = {
            "as-is": page.pixels,
            "upside-down": np.ascontiguousarray(np.rot90(page.pixels, 2)),
            "skew3": rotate(page.pixels, 3.0),
        }
        for name, pixels in variants.items():
            with tempfile.TemporaryDirectory() as tmp:
                raw_path = Path(tmp) / "raw.png"
                cv2.imwrite(str(raw_path), pixels)
                raw = ocr_image(raw_path, page.dpi, args.cache)
                ready, report = preprocess(PageImage(0, pixels, page.dpi, page.dpi_source))
                ipd_path = Path(tmp) / "ipd.pgm"
                cv2.imwrite(str(ipd_path), ready.pixels)
                ipd = ocr_image(ipd_path, ready.dpi, args.cache)
            row = {
                "page": image, "variant": name, "dpi": page.dpi,
                "raw_wer": round(bag_wer(reference, raw.text())[0], 4),
                "ipd_wer": round(bag_wer(reference, ipd.text())[0], 4),
                "steps": list(report.steps), "skew": report.skew_angle, "rotation": report.rotation,
            }  # fmt: skip
            rows.append(row)
            print(json.dumps(row), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()

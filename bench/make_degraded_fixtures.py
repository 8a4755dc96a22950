"""Maintainer tool: write the degraded-page test fixtures (tests/resources/degraded/).

Crops of one real front page of sample_scans/ (US 10,142,403 B1, 207 dpi, CC BY 4.0; see
sample_scans/README.md), clean and put through the benchmark's seeded generator
(bench/degrade.py `degrade`, seed 20240611 as in bench/README.md): bleed-through with
US 10,143,085 B2 (also in sample_scans/) showing through, and salt-and-pepper. The degradation is
made on the whole page and then cropped, so the crops are pixel-aligned with the clean one.

    .venv/bin/python -m bench.make_degraded_fixtures
"""

from __future__ import annotations

from pathlib import Path

import cv2

from bench.degrade import degrade, rng_for

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "resources" / "degraded"
PAGE = ROOT / "sample_scans" / "documents" / "us_10142403.png"
OTHER = ROOT / "sample_scans" / "documents" / "us_10143085.png"
SEED = 20240611
CROP = (slice(560, 960), slice(100, 760))  # rows, columns: the (22)-(58) fields, left column


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page = cv2.imread(str(PAGE), cv2.IMREAD_GRAYSCALE)
    other = cv2.imread(str(OTHER), cv2.IMREAD_GRAYSCALE)
    assert page is not None and other is not None, "sample_scans/documents is incomplete"
    for kind in ("clean", "bleed", "saltpepper"):
        variant = degrade(kind, page, other, rng_for(PAGE.stem, kind, SEED), 0)
        cv2.imwrite(
            str(OUT / f"{kind}.png"), variant.pixels[CROP], [cv2.IMWRITE_PNG_COMPRESSION, 9]
        )


if __name__ == "__main__":
    main()

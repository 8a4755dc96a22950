"""Orientation and skew on many pages, without OCR: the fast detector against Tesseract's OSD.

    flock /tmp/ipd-bench.lock python bench/geometry.py --out bench/results/geometry.json \
        [--osd-every 3]

Every usable US front page (131) is turned by 0, 90, 180 and 270 degrees after a random skew of
+-0.3..6 degrees (seeded), with a degradation drawn in turn from: none, grain (sigma 20), 3 %
salt-and-pepper, blur (sigma 1.5), JPEG quality 30, 150 dpi. For each page the preprocessing's
analysis runs as in ocr/preprocess.py (denoise, borders, orientation, skew), timed; Tesseract OSD
(--psm 0) runs on every `--osd-every`-th page, timed, for comparison.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.degrade import DEFAULT_SOURCE, SOURCE_DPI, add_grain, resample, rotate  # noqa: E402
from ocr.analysis import analyse  # noqa: E402
from ocr.borders import remove_borders  # noqa: E402
from ocr.denoise import denoise, measure_noise  # noqa: E402
from ocr.deskew import estimate_skew_from  # noqa: E402
from ocr.imageops import rotate_quarter  # noqa: E402
from ocr.orientation import detect_orientation  # noqa: E402
from ocr.tesseract import detect_orientation_osd  # noqa: E402

NOISES = ("none", "grain", "saltpepper", "blur", "jpeg", "dpi150")


def degrade(page: np.ndarray, noise: str, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    if noise == "grain":
        return add_grain(page, rng, 20), SOURCE_DPI
    if noise == "saltpepper":
        out = page.copy()
        u = rng.random(out.shape)
        out[u < 0.015] = 0
        out[(u >= 0.015) & (u < 0.03)] = 255
        return out, SOURCE_DPI
    if noise == "blur":
        return cv2.GaussianBlur(page, (0, 0), 1.5), SOURCE_DPI
    if noise == "jpeg":
        ok, buf = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, 30])
        return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE), SOURCE_DPI
    if noise == "dpi150":
        return resample(page, 150.0), 150.0
    return page, SOURCE_DPI


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--osd-every", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    ids = sorted(p.stem for p in (args.source / "images").glob("*.png"))
    ids = [i for i in ids if i not in {"crypto_3", "crypto_9", "crypto_14", "us_023"}]
    rows = []
    n = 0
    for page_id in ids:
        clean = cv2.imread(str(args.source / "images" / f"{page_id}.png"), cv2.IMREAD_GRAYSCALE)
        for turn in (0, 90, 180, 270):
            digest = hashlib.sha256(f"{args.seed}:{page_id}:{turn}".encode()).digest()
            rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
            angle = float(rng.uniform(0.3, 6.0) * rng.choice([-1, 1]))
            noise = NOISES[n % len(NOISES)]
            img, dpi = degrade(rotate(clean, angle), noise, rng)
            img = rotate_quarter(img, (360 - turn) % 360)  # turned clockwise by `turn`
            started = time.perf_counter()
            gray, _ = denoise(img, measure_noise(img))
            gray, _ = remove_borders(gray, dpi)
            analysis = analyse(gray, dpi)
            found = detect_orientation(analysis)
            skew = estimate_skew_from(analysis.turned(found.rotation))
            seconds = time.perf_counter() - started
            row = {"id": page_id, "turn": turn, "angle": round(angle, 3), "noise": noise,
                   "fast_rotation": found.rotation, "fast_confidence": found.confidence,
                   "skew": skew.angle, "skew_confidence": skew.confidence, "seconds": round(seconds, 4)}  # fmt: skip
            if n % args.osd_every == 0:
                started = time.perf_counter()
                osd = detect_orientation_osd(img, dpi)
                row.update(osd_rotation=osd.rotation, osd_confidence=osd.confidence,
                           osd_seconds=round(time.perf_counter() - started, 3))  # fmt: skip
            rows.append(row)
            n += 1
    rotated = [r for r in rows if r["turn"]]
    right = [r for r in rows if r["fast_rotation"] == r["turn"]]
    osd_rows = [r for r in rows if "osd_rotation" in r]
    errors = [abs(r["skew"] - r["angle"]) for r in right]
    summary = {
        "pages": len(rows),
        "fast_orientation_accuracy_all": round(len(right) / len(rows), 4),
        "fast_orientation_accuracy_rotated": round(sum(r["fast_rotation"] == r["turn"] for r in rotated) / len(rotated), 4),
        "fast_seconds_median": round(statistics.median(r["seconds"] for r in rows), 4),
        "osd_pages": len(osd_rows),
        "osd_orientation_accuracy": round(sum(r["osd_rotation"] == r["turn"] for r in osd_rows) / len(osd_rows), 4) if osd_rows else None,
        "fast_accuracy_on_osd_pages": round(sum(r["fast_rotation"] == r["turn"] for r in osd_rows) / len(osd_rows), 4) if osd_rows else None,
        "osd_seconds_median": round(statistics.median(r["osd_seconds"] for r in osd_rows), 3) if osd_rows else None,
        "median_abs_skew_error": round(statistics.median(errors), 4),
        "p95_abs_skew_error": round(float(np.percentile(errors, 95)), 4),
        "max_abs_skew_error": round(max(errors), 4),
        "skew_error_by_noise": {k: round(statistics.median(abs(r["skew"] - r["angle"]) for r in right if r["noise"] == k), 4) for k in NOISES},
        "wrong": [r for r in rows if r["fast_rotation"] != r["turn"] or abs(r["skew"] - r["angle"]) > 0.5],
    }  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    print(json.dumps({k: v for k, v in summary.items() if k != "wrong"}, indent=1))
    print(f"{len(summary['wrong'])} pages wrong (orientation, or skew off by > 0.5 deg)")


if __name__ == "__main__":
    main()

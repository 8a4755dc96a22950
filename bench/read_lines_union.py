"""Sensitivity check of the read-lines WER (bench/metrics.py): the reference lines chosen by raw
Tesseract OR ipdigitise on the clean page, instead of raw Tesseract alone.

    python bench/read_lines_union.py --data /tmp/ipd-degraded --cache /tmp/ipd-bench-cache-final

The default rule lets raw Tesseract alone choose the lines, which favours it: a line it happens to
read half of is kept and must be read by ipdigitise too, while lines only ipdigitise reads are
dropped. Here a line is kept when either system reads half of its tokens on the clean page;
ipdigitise's word boxes are mapped back to the clean file's pixel grid through the inverse of its
deskew and resize. Prints micro-averaged WER per degradation type (OCR from the cache of
bench/run.py: run that first).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.metrics import scoped_wer, split_readable  # noqa: E402
from bench.run import ocr_image, run_ipd, run_raw  # noqa: E402
from ocr.ingest import iter_pages  # noqa: E402
from ocr.preprocess import preprocess  # noqa: E402

Box = tuple[float, float, float, float]


def clean_words(path: Path, cache: Path) -> list[tuple[str, Box]]:
    """Raw Tesseract's and ipdigitise's words on a clean page, in the file's pixel grid."""
    page = next(iter_pages(path))
    words: list[tuple[str, Box]] = [
        (w.text, w.bbox) for w in ocr_image(path, page.dpi, cache).words
    ]
    ready, rep = preprocess(page)
    with tempfile.TemporaryDirectory() as tmp:
        pgm = Path(tmp) / "page.pgm"
        cv2.imwrite(str(pgm), ready.pixels)
        ipd = ocr_image(pgm, ready.dpi, cache)
    if rep.rotation:
        raise ValueError(f"{path}: a clean page was turned; cannot map its words back")
    h, w = page.pixels.shape
    scale = ready.dpi / page.dpi
    deskewed = any(s.startswith("deskew") for s in rep.steps)
    angle = -(rep.skew_angle or 0.0) if deskewed else 0.0
    # The forward matrix of ocr.imageops.rotate_bound, inverted.
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    c, s = abs(math.cos(math.radians(angle))), abs(math.sin(math.radians(angle)))
    m[0, 2] += int(round((w * c + h * s) * scale)) / 2 - w / 2
    m[1, 2] += int(round((h * c + w * s) * scale)) / 2 - h / 2
    inv = cv2.invertAffineTransform(m)
    for wd in ipd.words:
        x0, y0, x1, y1 = wd.bbox
        pts = inv @ np.array([[x0, y0, 1.0], [x1, y1, 1.0]]).T
        words.append((wd.text, (pts[0, 0], pts[1, 0], pts[0, 1], pts[1, 1])))
    return words


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/ipd-bench-cache"))
    ap.add_argument("--pages", type=int, default=8)
    args = ap.parse_args()
    manifest = json.loads((args.data / "manifest.json").read_text())
    gt = Path(manifest["source"]) / "gt"
    clean = {e["source"]: e for e in manifest["pages"] if e["kind"] == "clean"}
    scopes = {}
    for source in list(clean)[: args.pages]:
        lines = json.loads((gt / f"{source}.lines.json").read_text())
        scopes[source] = split_readable(lines, clean_words(args.data / clean[source]["file"], args.cache))  # fmt: skip
    totals: dict[tuple[str, str], list[int]] = {}
    for e in manifest["pages"]:
        if e["source"] not in scopes:
            continue
        for system in ("raw", "ipd"):
            out = run_raw(e, args.data, args.cache) if system == "raw" else run_ipd(e, args.data, args.cache, {})  # fmt: skip
            _, errors, n = scoped_wer(*scopes[e["source"]], out["text"])
            for kind in (e["kind"], "ALL degraded") if e["kind"] != "clean" else ("clean",):
                t = totals.setdefault((system, kind), [0, 0])
                t[0] += errors
                t[1] += n
    print("| type | raw WER (union lines) | ipd WER (union lines) |\n|---|---|---|")
    for kind in sorted(
        {k for _, k in totals}, key=lambda k: (k == "ALL degraded", k != "clean", k)
    ):
        r, i = totals[("raw", kind)], totals[("ipd", kind)]
        print(f"| {kind} | {100 * r[0] / r[1]:.1f}% | {100 * i[0] / i[1]:.1f}% |")


if __name__ == "__main__":
    main()

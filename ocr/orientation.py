"""Page orientation (0, 90, 180 or 270 degrees) without Tesseract's OSD.

Two cheap tests on the low-resolution analysis of the page (ocr/analysis.py):
1. Lines horizontal or vertical: the projection-profile search of ocr/deskew.py is run on the ink
   points as they are and transposed; the direction whose profile peaks more sharply over the
   trial angles is the line direction.
2. Right way up or upside down: with the lines made horizontal, each word-sized fragment's row
   profile has a dense x-height band. Latin script has more ink above that band (ascenders,
   capitals' tops are in the band but b d f h k l t and digits rise above it) than below it
   (only g j p q y descend). The page is upright when ascender ink outweighs descender ink.

`rotation` is the counter-clockwise turn that makes the page upright (what to apply), so a page
that was scanned turned 90 degrees clockwise gets rotation 90.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ocr.analysis import PageAnalysis
from ocr.deskew import coarse_search
from ocr.imageops import rotate_bound, rotate_quarter


@dataclass(frozen=True)
class Orientation:
    rotation: int
    """Counter-clockwise turn (0, 90, 180, 270) that makes the page upright."""
    confidence: float
    """0..1, from the ascender/descender balance and the line-direction contrast."""
    line_contrast: float
    """Profile peakedness of the chosen line direction over the other one's (>= 1)."""
    ascender_ratio: float
    """(ascender - descender) / (ascender + descender) ink once the lines are horizontal."""


def ascender_balance(mask: np.ndarray, dpi: float) -> tuple[float, int]:
    """(ascender - descender) / (ascender + descender) over word fragments, and how many counted."""
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, int(0.04 * dpi)), 1))
    words = cv2.dilate(mask, kernel)
    n, _, stats, _ = cv2.connectedComponentsWithStats(words, connectivity=8)
    if n <= 1:
        return 0.0, 0
    x, y, w, h = (stats[1:, i] for i in range(4))
    ok = (h >= 0.05 * dpi) & (h <= 0.3 * dpi) & (w >= 2 * h)
    idx = np.flatnonzero(ok)
    if len(idx) > 600:  # the widest fragments carry the most evidence
        idx = idx[np.argsort(-w[idx])[:600]]
    asc, desc = _outside_band_ink(mask, x[idx], y[idx], w[idx], h[idx])
    total = asc + desc
    return ((asc - desc) / total if total > 0 else 0.0), len(idx)


def _outside_band_ink(
    mask: np.ndarray, x: np.ndarray, y: np.ndarray, w: np.ndarray, h: np.ndarray
) -> tuple[float, float]:
    """Ink above and below the x-height band of each box, summed over the boxes.

    A box's row profile is its ink per row; the band runs from the first to the last row with
    at least half the profile's peak. All boxes at once: row sums from the integral image,
    boxes laid end to end and reduced per box (integer sums, so exactly what summing box by
    box gives).
    """
    if len(h) == 0:
        return 0.0, 0.0
    ii = cv2.integral(mask, sdepth=cv2.CV_64F if mask.size >= 2**31 // 255 else cv2.CV_32S)
    h = h.astype(np.intp)
    starts = np.concatenate(([0], np.cumsum(h)[:-1]))
    box = np.repeat(np.arange(len(h)), h)
    local = np.arange(int(h.sum())) - starts[box]  # row within its box
    rows = y[box] + local
    left, right = x[box], (x + w)[box]
    profile = (ii[rows + 1, right] - ii[rows, right]) - (ii[rows + 1, left] - ii[rows, left])
    profile = profile.astype(np.int64)
    peak = np.maximum.reduceat(profile, starts)
    in_band = profile >= 0.5 * peak[box]
    top = np.minimum.reduceat(np.where(in_band, local, np.iinfo(np.intp).max), starts)
    bottom = np.maximum.reduceat(np.where(in_band, local, -1), starts)
    asc = int(profile[local < top[box]].sum())
    desc = int(profile[local > bottom[box]].sum())
    return float(asc), float(desc)


def detect_orientation(analysis: PageAnalysis, max_skew: float = 8.0) -> Orientation:
    """The turn that makes the page upright; 0 with confidence 0 when there is too little text."""
    points = analysis.points(step=4)
    if len(points) < 500:
        return Orientation(0, 0.0, 1.0, 0.0)
    # Compare how peaked each direction's profile is over the trial angles, not the raw peaks: a
    # column of left-aligned lines also gives a tall (but flat-over-angle) vertical profile.
    h_angle, h_sharp, _ = coarse_search(points, max_skew)
    v_angle, v_sharp, _ = coarse_search(points[:, ::-1].copy(), max_skew)
    vertical = v_sharp > h_sharp
    contrast = max(h_sharp, v_sharp) / max(1e-3, min(h_sharp, v_sharp))
    mask = analysis.mask
    if vertical:
        # Transposed points saw lines at v_angle; turn the page so they become horizontal
        # (reading either way up) and undo the residual skew.
        # (a quarter turn is a transpose plus a flip, and the flip negates the angle).
        mask = rotate_quarter(mask, 90)
        angle = -v_angle
    else:
        angle = h_angle
    level = rotate_bound(mask, -angle, fill=0, nearest=True) if abs(angle) > 0.2 else mask
    ratio, count = ascender_balance(level, analysis.dpi)
    upside_down = ratio < 0
    base = 90 if vertical else 0
    rotation = (base + (180 if upside_down else 0)) % 360
    evidence = min(1.0, abs(ratio) / 0.3) * min(1.0, count / 50)
    direction = min(1.0, (contrast - 1.0) / 2.0)
    return Orientation(
        rotation, round(evidence * direction, 3), round(contrast, 3), round(ratio, 3)
    )

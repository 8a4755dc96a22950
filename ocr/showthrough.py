"""Show-through (bleed-through) removal: a light grey layer of the other side's print.

Show-through is ink seen through the paper: glyph-sized blobs, lighter than this side's text and
never as dark, lying between the lines and in the word gaps. Sharpened and thresholded by
Tesseract, its edges become specks that read as punctuation joining words ("the.object,of").

Measured first: the paper is flattened (divided by its own closing, so uneven light does not
count), ink is the dark class of Otsu's threshold on the flattened page, and the page is judged to
show through when more than `min_fraction` of its pixels are grey yet not within a stroke's reach
of ink. Grey means (after smoothing) at least 15 levels below the paper and at least 6 times the
paper's own texture (robust sigma of the pixels away from ink): grain and JPEG blotches on a
textured page do not count, a grey layer on flat paper does. Only then are all pixels out of
ink's reach replaced by their local paper level; ink and the anti-aliased edges around it are kept
exactly. A page below the threshold is returned unchanged (the same array).

Where the local paper is under 60 % of the page's (scanner borders, dark photographs) nothing is
measured or changed. On the US pages of the degraded benchmark (12 per type) the grey fraction was
1.6-5.8 % on the bleed-through pages and at most 0.38 % on every other type (clean pages: at most
0.02 %) measured at full size; measured at half size (all pages above 200 dpi since the
measurement was made cheaper) 1.38-5.2 % and at most 0.41 %; the threshold, 1 %, lies between.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class ShowThrough:
    fraction: float
    """Share of the page's pixels that are grey but away from ink (0 on a clean page)."""
    paper_sigma: float
    """Texture of the paper away from ink (robust sigma, grey levels, after smoothing)."""
    depth: float
    """How far below the paper a pixel must be to count as grey: max(15, 6 * paper_sigma)."""


def _scale(dpi: float) -> float:
    return max(dpi, 50.0) / 300.0


def _flattened(gray: np.ndarray, dpi: float) -> tuple[np.ndarray, np.ndarray]:
    """(paper, flattened page): the paper level as a closing wider than a text line (smoothed;
    computed at half size, it is smooth anyway), and the page divided by it, so uneven light
    leaves the paper level."""
    h, w = gray.shape
    half = cv2.resize(gray, ((w + 1) // 2, (h + 1) // 2), interpolation=cv2.INTER_AREA)
    k = int(round(21 * _scale(dpi))) | 1
    paper = cv2.morphologyEx(
        half, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    )
    paper = cv2.resize(cv2.blur(paper, (k, k)), (w, h), interpolation=cv2.INTER_LINEAR)
    # Paper goes to ~224, not 255: the grain above it must not be clipped, or the paper's texture
    # would measure smaller than it is.
    flat = cv2.divide(gray, np.maximum(paper, 1), scale=224)
    return paper, flat


def _near_ink(flat: np.ndarray, dpi: float) -> np.ndarray:
    """Ink (Otsu's dark class) grown by 3 px at 300 dpi: strokes and their anti-aliased edges."""
    _, ink = cv2.threshold(flat, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    r = max(1, math.ceil(3 * _scale(dpi)))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    return cv2.dilate(ink, disc).astype(bool)


def _no_paper(paper: np.ndarray) -> np.ndarray:
    """Where the local paper level is under 60 % of the page's (scanner borders, dark
    photographs), there is no paper to lift to: flattening would only amplify the grain there."""
    return paper < 0.6 * float(np.median(paper[::4, ::4]))


HALF_SIZE_ABOVE = 200.0
"""Pages above this resolution are measured at half size (4 times cheaper; the layer is
glyph-sized). Above 200 dpi the reach around ink is still 2 px at half size (at 200 dpi it would
be 1 px, too little to keep anti-aliased edges out of the count). Was 240 dpi; lowered so that
207 dpi scans are measured at ~103 dpi too. On the 368 grey pages of both degraded sets every
decision is the same as at full size (see bench/README.md)."""


def measure_showthrough(gray: np.ndarray, dpi: float) -> ShowThrough:
    """Measured at half size on pages above HALF_SIZE_ABOVE dpi."""
    if dpi > HALF_SIZE_ABOVE:
        h, w = gray.shape
        gray = cv2.resize(gray, ((w + 1) // 2, (h + 1) // 2), interpolation=cv2.INTER_AREA)
        dpi /= 2
    paper, flat = _flattened(gray, dpi)
    near = _near_ink(flat, dpi) | _no_paper(paper)
    smooth = cv2.GaussianBlur(flat, (0, 0), _scale(dpi))
    del paper, flat
    counts = _histogram(smooth, near)
    if counts.sum() == 0:
        return ShowThrough(0.0, 0.0, 0.0)
    level = _median(counts)
    spread = np.bincount(np.abs(np.arange(256) - level), weights=counts, minlength=256)
    sigma = 1.4826 * _median(spread)
    depth = max(15.0, 6.0 * sigma)
    grey = int(counts[: max(0, math.ceil(level - depth))].sum())
    return ShowThrough(round(grey / smooth.size, 5), round(sigma, 2), round(depth, 1))


def _histogram(values: np.ndarray, masked: np.ndarray, rows: int = 256) -> np.ndarray:
    """Counts of the uint8 values 0..255 where `masked` is False, a band of rows at a time:
    np.bincount widens its input to int64, 8 bytes per pixel of the whole page at once."""
    counts = np.zeros(256, np.int64)
    for top in range(0, values.shape[0], rows):
        band = values[top : top + rows][~masked[top : top + rows]]
        counts += np.bincount(band, minlength=256)
    return counts


def _median(counts: np.ndarray) -> int:
    """Median of the values 0..255 counted by `counts`."""
    return int(np.searchsorted(np.cumsum(counts), counts.sum() / 2))


def remove_showthrough(
    gray: np.ndarray, dpi: float, measured: ShowThrough, min_fraction: float = 0.01
) -> tuple[np.ndarray, bool]:
    """Pixels out of a stroke's reach of ink become their paper level; returns (page, applied)."""
    if measured.fraction <= min_fraction:
        return gray, False
    paper, flat = _flattened(gray, dpi)
    near = _near_ink(flat, dpi) | _no_paper(paper)
    return np.where(near, gray, np.maximum(gray, paper)).astype(np.uint8), True

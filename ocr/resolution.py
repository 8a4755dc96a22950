"""Resolution: is the declared one plausible, an estimate from text height, and resizing.

Tesseract reads best with text near 300 dpi (capital letters ~30 px tall). A page whose file does
not say its resolution, or says one that makes the page an implausible size (a 1758 x 2275 scan
marked 72 dpi would be 24 x 32 inches), gets a resolution estimated from the median height of its
character-sized components: ~0.062 inch for 9-11 pt body text (0.060 on 34 US front pages at
207 and 150 dpi, 5-95 % range 0.058-0.073; 0.060 and 0.070 on the two UNLV 300 dpi scans of
../shared/data/tesseract-test-pages; 0.09 on the large print of phototest.tif). It is a rough
estimate: used only when the file's resolution is missing or implausible.
"""

from __future__ import annotations

import cv2
import numpy as np

MEDIAN_CHAR_HEIGHT_INCH = 0.062
PAGE_INCHES = ((2.5, 13.0), (3.0, 19.0))
"""Plausible (short side, long side) ranges of a scanned page, in inches (A6 to tabloid)."""


def plausible_dpi(dpi: float, width: int, height: int) -> bool:
    """Whether `dpi` gives the page a size between A6 and tabloid."""
    if dpi <= 0:
        return False
    short, long_ = sorted((width / dpi, height / dpi))
    (s_lo, s_hi), (l_lo, l_hi) = PAGE_INCHES
    return s_lo <= short <= s_hi and l_lo <= long_ <= l_hi


def text_height_px(gray: np.ndarray) -> float | None:
    """Median height in pixels of the character-sized ink components (None with too few).

    Measured at the page's own resolution on its central part (half the width and height), so
    small text at low resolution is not blurred away by shrinking first.
    """
    h, w = gray.shape
    centre = gray[h // 4 : h - h // 4, w // 4 : w - w // 4]
    _, mask = cv2.threshold(centre, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    hh = stats[1:, cv2.CC_STAT_HEIGHT]
    ww = stats[1:, cv2.CC_STAT_WIDTH]
    area = stats[1:, cv2.CC_STAT_AREA]
    # Glyph-like: 4..200 px tall, not much wider than 3 glyphs, more than a speck.
    keep = (hh >= 4) & (hh <= 200) & (ww <= 3 * hh) & (area >= 8)
    if keep.sum() < 50:
        return None
    return float(np.median(hh[keep]))


def dpi_from_text(gray: np.ndarray) -> float | None:
    """The page's resolution, judged from how tall its characters are; None with too little text."""
    height = text_height_px(gray)
    return None if height is None else round(height / MEDIAN_CHAR_HEIGHT_INCH, 1)


def resize_factor(
    dpi: float, target_dpi: float, upsample_below: float, downsample_above: float
) -> float:
    """Scale factor that brings the page to `target_dpi`, or 1 when it is close enough already."""
    if upsample_below <= dpi <= downsample_above:
        return 1.0
    return target_dpi / dpi

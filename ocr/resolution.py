"""Resolution: is the declared one plausible, an estimate from text height, and resizing.

Tesseract reads best with text near 300 dpi (capital letters ~30 px tall). A page whose file does
not say its resolution, or says one that makes the page an implausible size (a 1758 x 2275 scan
marked 72 dpi would be 24 x 32 inches), gets a resolution estimated from the height of its
character-sized components. The height is their interquartile mean (a median of whole pixels
moves in 7 % steps at 150 dpi: 9, 10 or 11 px), and it is modelled as
`CHAR_HEIGHT_INCH * dpi + EDGE_PX`: anti-aliasing and the Otsu threshold add about the same few
pixels to every glyph whatever the resolution, so a plain ratio over-estimated low resolutions
(150 dpi pages came out 145-177 dpi). The two constants are a least-squares fit on 41 US front
pages that are not in the degraded benchmark, at 207 dpi and area-averaged to 150 and 200 dpi
(estimates within 145-155 dpi and 192-211 dpi, 5-95 %). Body text of 9-11 pt is assumed, so large
print reads as a higher resolution (phototest.tif, 200 dpi, comes out ~320): the estimate is used
only when the file's resolution is missing or implausible.
"""

from __future__ import annotations

import cv2
import numpy as np

CHAR_HEIGHT_INCH = 0.0538
"""Interquartile-mean height of character components, per inch of resolution (9-11 pt text)."""
EDGE_PX = 2.75
"""Pixels that edge spread adds to each measured glyph height, at any resolution."""
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
    """Interquartile mean of the heights in pixels of the character-sized ink components (None
    with too few).

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
    heights = hh[keep].astype(np.float64)
    q1, q3 = np.percentile(heights, [25, 75])
    return float(heights[(heights >= q1) & (heights <= q3)].mean())


def dpi_from_text(gray: np.ndarray) -> float | None:
    """The page's resolution, judged from how tall its characters are; None with too little text."""
    height = text_height_px(gray)
    if height is None or height <= EDGE_PX:
        return None
    return round((height - EDGE_PX) / CHAR_HEIGHT_INCH, 1)


def resize_factor(
    dpi: float, target_dpi: float, upsample_below: float, downsample_above: float
) -> float:
    """Scale factor that brings the page to `target_dpi`, or 1 when it is close enough already."""
    if upsample_below <= dpi <= downsample_above:
        return 1.0
    return target_dpi / dpi

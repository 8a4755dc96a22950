"""Resolution: is the declared one plausible, an estimate from text height, and resizing.

Tesseract reads best with text near 300 dpi (capital letters ~30 px tall). A page whose file does
not say its resolution, or says one that makes the page an implausible size (a 1758 x 2275 scan
marked 72 dpi would be 24 x 32 inches), gets a resolution estimated from the median height of its
character-sized components: ~0.063 inch for 9-11 pt body text (measured on the US front pages
and the UNLV test pages; see tests/test_resolution.py).
"""

from __future__ import annotations

import numpy as np

from ocr.analysis import PageAnalysis

MEDIAN_CHAR_HEIGHT_INCH = 0.063
PAGE_INCHES = ((2.5, 13.0), (3.0, 19.0))
"""Plausible (short side, long side) ranges of a scanned page, in inches (A6 to tabloid)."""


def plausible_dpi(dpi: float, width: int, height: int) -> bool:
    """Whether `dpi` gives the page a size between A6 and tabloid."""
    if dpi <= 0:
        return False
    short, long_ = sorted((width / dpi, height / dpi))
    (s_lo, s_hi), (l_lo, l_hi) = PAGE_INCHES
    return s_lo <= short <= s_hi and l_lo <= long_ <= l_hi


def dpi_from_text(analysis: PageAnalysis, min_components: int = 50) -> float | None:
    """The page's resolution, judged from how tall its characters are; None with too little text."""
    heights = analysis.char_heights[analysis.char_heights >= 3]
    if len(heights) < min_components:
        return None
    # Pixels at the analysis resolution -> pixels on the page.
    page_px = float(np.median(heights)) / analysis.factor
    return round(page_px / MEDIAN_CHAR_HEIGHT_INCH, 1)


def resize_factor(
    dpi: float, target_dpi: float, upsample_below: float, downsample_above: float
) -> float:
    """Scale factor that brings the page to `target_dpi`, or 1 when it is close enough already."""
    if upsample_below <= dpi <= downsample_above:
        return 1.0
    return target_dpi / dpi

"""A low-resolution view of a page shared by the estimators (orientation, skew, text height).

Computed once per page at ~150 dpi: the Otsu ink mask and the mask of character-sized components,
so each estimator does not decode, shrink and label the page again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import cv2
import numpy as np

from ocr.imageops import at_dpi, ink_mask, rotate_quarter

ANALYSIS_DPI = 150.0


@dataclass(frozen=True)
class PageAnalysis:
    mask: np.ndarray = field(repr=False)
    """Ink (1) of the character-sized components only, at `dpi`."""
    dpi: float
    """Resolution of `mask` (the page's resolution times the shrink factor)."""
    factor: float
    """Shrink factor from the page to `mask`."""
    char_heights: np.ndarray = field(repr=False)
    """Heights in pixels (at `dpi`) of the character-sized components."""
    char_widths: np.ndarray = field(repr=False)

    def points(self, step: int = 1) -> np.ndarray:
        """(x, y) of the ink pixels in inches, dithered by up to half a pixel (deterministic).

        The dither matters for projection profiles: without it the pixel grid makes 0 degrees
        look sharpest (each pixel row falls into one bin), pulling small skews towards zero.
        """
        ys, xs = self._ink
        pts = np.stack([xs[::step], ys[::step]], axis=1).astype(np.float64)
        pts += np.random.default_rng(0).uniform(-0.5, 0.5, pts.shape)
        return pts / self.dpi

    @cached_property
    def _ink(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows and columns of the ink pixels (orientation and skew both ask)."""
        ys, xs = np.nonzero(self.mask)
        return ys, xs

    def turned(self, rotation: int) -> PageAnalysis:
        """The same analysis for the page turned counter-clockwise by a multiple of 90 degrees."""
        if rotation % 360 == 0:
            return self
        quarter = (rotation // 90) % 2 == 1
        return PageAnalysis(
            rotate_quarter(self.mask, rotation),
            self.dpi,
            self.factor,
            self.char_widths if quarter else self.char_heights,
            self.char_heights if quarter else self.char_widths,
        )


def analyse(gray: np.ndarray, dpi: float, analysis_dpi: float = ANALYSIS_DPI) -> PageAnalysis:
    """Shrink, threshold and label the page; keep components the size of characters or words."""
    small, factor = at_dpi(gray, dpi, analysis_dpi)
    px = dpi * factor
    mask = ink_mask(small)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    w = stats[:, cv2.CC_STAT_WIDTH]
    h = stats[:, cv2.CC_STAT_HEIGHT]
    area = stats[:, cv2.CC_STAT_AREA]
    # Up to half an inch tall and 2.5 inches wide: letters and merged words, not rules, frames,
    # scanner borders or punch holes; at least 3 pixels: not specks.
    keep = (h <= max(4, 0.5 * px)) & (w <= max(8, 2.5 * px)) & (area >= 3)
    keep[0] = False
    text = keep.astype(np.uint8)[labels] if n > 1 else mask
    return PageAnalysis(
        mask=text,
        dpi=px,
        factor=factor,
        char_heights=h[keep].astype(np.float64),
        char_widths=w[keep].astype(np.float64),
    )

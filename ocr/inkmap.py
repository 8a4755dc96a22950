"""How much ink a page has outside the words OCR found: line art (drawing sheets, flow charts,
tables' rules) has a lot, a page of text almost none. Used to tell drawing sheets from sparse
text pages."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

BBox = tuple[int, int, int, int]


def non_text_ink(pixels: np.ndarray, boxes: Iterable[BBox], *, threshold: int = 128,
                 pad: int = 4) -> float:  # fmt: skip
    """Share of the page's pixels that are dark (< threshold) and outside every word box."""
    if pixels.size == 0:
        return 0.0
    dark = pixels < threshold
    h, w = dark.shape[:2]
    for x0, y0, x1, y1 in boxes:
        dark[max(0, y0 - pad) : min(h, y1 + pad), max(0, x0 - pad) : min(w, x1 + pad)] = False
    return float(np.count_nonzero(dark)) / float(dark.size)

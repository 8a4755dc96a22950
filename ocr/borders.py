"""Dark scanner borders and punch holes, found at low resolution and painted white.

Border: a dark region (darker than half the paper's brightness) touching the image edge and
bigger than any glyph (its area over 0.5 % of the page or its extent along the edge over 1 inch).
Text never touches the edge of a scan with margins, so a big edge-touching blob is the scanner lid,
a fold or the next page's edge. Punch hole: a round, filled blob 4-10 mm across near an edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ocr.imageops import at_dpi

ANALYSIS_DPI = 50.0


@dataclass(frozen=True)
class BorderReport:
    border_fraction: float
    """Fraction of the page painted white as dark border."""
    holes: int
    """Punch holes painted white."""


def dark_mask(small: np.ndarray) -> np.ndarray:
    """Pixels darker than half the paper's brightness (paper = 90th percentile of the page)."""
    paper = float(np.percentile(small, 90))
    return (small < 0.5 * paper).astype(np.uint8)


def _is_disc(blob: np.ndarray) -> bool:
    """Round and solid: circularity 4 pi A / P^2 near 1 (a barcode chunk or a glyph is not)."""
    contours, _ = cv2.findContours(blob.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if len(contours) != 1:
        return False
    area = cv2.contourArea(contours[0])
    perimeter = cv2.arcLength(contours[0], True)
    return perimeter > 0 and 4 * np.pi * area / perimeter**2 > 0.75


def find_borders(gray: np.ndarray, dpi: float) -> tuple[np.ndarray, int]:
    """Mask (at the page's resolution) of dark borders and punch holes, and the number of holes."""
    small, factor = at_dpi(gray, dpi, ANALYSIS_DPI)
    px = dpi * factor
    h, w = small.shape
    dark = dark_mask(small)
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(dark, connectivity=8)
    x, y, bw, bh, area = (stats[:, i].astype(np.int64) for i in range(5))
    touches = (x == 0) | (y == 0) | (x + bw == w) | (y + bh == h)
    remove = touches & ((area > 0.005 * h * w) | (np.maximum(bw, bh) > px))
    # Punch hole: 4-10 mm round blob, filled like a disc, within 1 inch of an edge.
    size_mm = np.maximum(bw, bh) / px * 25.4
    cx, cy = centroids[:, 0], centroids[:, 1]
    edge = np.minimum.reduce([cx, cy, w - cx, h - cy]) / px
    fill = area / np.maximum(1, bw * bh)
    aspect = bw / np.maximum(1, bh)
    candidates = (
        (size_mm >= 4) & (size_mm <= 10) & (aspect >= 0.8) & (aspect <= 1.25)
        & (fill >= 0.68) & (fill <= 0.9) & (edge < 1.0) & ~remove
    )  # fmt: skip
    remove[0] = candidates[0] = False
    holes = 0
    for i in np.flatnonzero(candidates):
        if _is_disc(labels[y[i] : y[i] + bh[i], x[i] : x[i] + bw[i]] == i):
            remove[i] = True
            holes += 1
    if not remove.any():
        return np.zeros(gray.shape, dtype=np.uint8), 0
    small_mask = remove.astype(np.uint8)[labels]
    # Grow by a pixel at low resolution so the grey fringe of the border goes too.
    small_mask = cv2.dilate(small_mask, np.ones((3, 3), np.uint8))
    mask = cv2.resize(small_mask, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_NEAREST)
    return mask, holes


def remove_borders(gray: np.ndarray, dpi: float) -> tuple[np.ndarray, BorderReport]:
    mask, holes = find_borders(gray, dpi)
    count = int(np.count_nonzero(mask))
    if count == 0:
        return gray, BorderReport(0.0, 0)
    out = gray.copy()
    out[mask > 0] = 255
    return out, BorderReport(round(count / mask.size, 4), holes)

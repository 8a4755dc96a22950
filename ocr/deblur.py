"""Out-of-focus pages: the blur is measured from the glyph edges and, where it is clearly wider
than a sharp scan's, taken out by Richardson-Lucy deconvolution with a Gaussian point spread.

The width of an edge blurred by a Gaussian of sigma s is read from its contrast C and its steepest
slope g: g = C / (s * sqrt(2 pi)). The median over the strong edges of the central quarter of
the page (edges with 150 or more levels of contrast within 15 px) is the page's edge sigma, in
pixels of the scan. Sharp pages, whatever their resolution, measure 0.8-1.15 px; the benchmark's
blurred pages (Gaussian sigma 1.2-2 px at 207 dpi) 1.37-1.91 px.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

SHARP_SIGMA = 0.8
"""Edge sigma of a sharp scan (the clean benchmark pages at 207 dpi measure 0.80 px)."""


def edge_sigma(gray: np.ndarray) -> float:
    """Median edge width (Gaussian sigma, pixels) of the strong edges in the page's centre."""
    h, w = gray.shape
    centre = gray[h // 4 : h - h // 4, w // 4 : w - w // 4]
    f = centre.astype(np.float32)
    slope = cv2.magnitude(
        cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)
    )
    slope /= 8.0  # the 3x3 Sobel is 8 times the derivative
    box = np.ones((15, 15), np.uint8)
    contrast = cv2.dilate(centre, box).astype(np.float32) - cv2.erode(centre, box)
    ridge = (slope >= cv2.dilate(slope, np.ones((3, 3), np.uint8))) & (contrast > 150)
    ridge &= slope > 10
    if np.count_nonzero(ridge) < 50:
        return 0.0
    widths = contrast[ridge] / (slope[ridge] * math.sqrt(2 * math.pi))
    return round(float(np.median(widths)), 3)


def deblur(
    gray: np.ndarray, sigma: float, min_sigma: float = 1.25, iterations: int = 10
) -> tuple[np.ndarray, float]:
    """Deconvolve by the blur beyond a sharp scan's; returns (page, sigma removed or 0)."""
    if sigma <= min_sigma:
        return gray, 0.0
    extra = math.sqrt(sigma**2 - SHARP_SIGMA**2)
    observed = gray.astype(np.float32) + 1.0
    estimate = observed.copy()
    for _ in range(iterations):
        blurred = cv2.GaussianBlur(estimate, (0, 0), extra)
        estimate *= cv2.GaussianBlur(observed / blurred, (0, 0), extra)
    return np.clip(estimate - 1.0, 0, 255).astype(np.uint8), round(extra, 2)

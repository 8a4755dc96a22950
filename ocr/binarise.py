"""Binarisation: Otsu's global threshold or Sauvola's local one, or none, chosen per page.

Measured on the degraded benchmark (bench/README.md): Tesseract 5's LSTM reads the grey image, and
handing it an Otsu-binarised page raised the word error rate on every degradation type, clean pages
included, while Tesseract's own global threshold fails only where no single threshold separates ink
from paper everywhere (a dark shadow or fading lamp, faded low-contrast print). So `auto` decides
per page: the paper's brightness is estimated at low resolution (a grey-level closing erases the
text, a median smooths it); where the darkest paper (2nd percentile of that background) is more
than `min_gap` (10) grey levels darker than the page's Otsu threshold, Sauvola's local threshold
is used; otherwise the page stays grey. The gap was set on the benchmark's illumination, borders
and scan pages (bench/README.md): at +20 Sauvola also fired on pages whose gutter shadow stayed
above the threshold and lost words there. 'otsu' and 'sauvola' can be forced in the settings.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

from ocr.imageops import at_dpi


@dataclass(frozen=True)
class BinariseReport:
    method: str
    """'otsu' or 'sauvola'."""
    threshold: float | None
    """Otsu's global threshold (None for Sauvola)."""
    background_range: float
    """Spread of the paper brightness over the page, grey levels (5th to 95th percentile)."""
    darkest_paper: float = 0.0
    """2nd percentile of the paper brightness, grey levels."""
    otsu_threshold: float = 0.0
    """The page's global Otsu threshold (what a global binarisation would use)."""


def background(gray: np.ndarray, dpi: float) -> np.ndarray:
    """Paper brightness at ~25 dpi: text erased by a closing wider than a glyph, then smoothed."""
    small, factor = at_dpi(gray, dpi, 25.0)
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    return cv2.medianBlur(closed, 5)


def paper_levels(gray: np.ndarray, dpi: float) -> tuple[float, float, float]:
    """(spread p95-p5, darkest paper p2, Otsu threshold) of the page, from ~25 dpi."""
    bg = background(gray, dpi)
    h, w = bg.shape
    # Leave out a 5 % rim: what remains of scanner borders is not paper.
    inner = bg[h // 20 : h - h // 20, w // 20 : w - w // 20]
    p2, p5, p95 = np.percentile(inner, (2, 5, 95))
    small, _ = at_dpi(gray, dpi, 75.0)
    threshold, _ = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(p95 - p5), float(p2), float(threshold)


def otsu(gray: np.ndarray) -> tuple[np.ndarray, float]:
    threshold, out = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return out, float(threshold)


def sauvola(gray: np.ndarray, window: int, k: float = 0.2, r: float = 128.0) -> np.ndarray:
    """Sauvola's threshold T = m (1 + k (s / r - 1)) over a `window`-pixel box, via box filters.

    Computed in place over two float32 page-sized buffers (a 300 dpi page is 8 M pixels; fresh
    arrays for each term cost more than the arithmetic), in the formula's order of operations.
    """
    window |= 1
    img = gray.astype(np.float32)
    box = (window, window)
    mean = cv2.boxFilter(img, cv2.CV_32F, box, borderType=cv2.BORDER_REFLECT)
    t = cv2.boxFilter(np.multiply(img, img), cv2.CV_32F, box, borderType=cv2.BORDER_REFLECT)
    np.subtract(t, np.multiply(mean, mean), out=t)
    np.maximum(t, np.float32(0.0), out=t)
    np.sqrt(t, out=t)  # s
    np.divide(t, np.float32(r), out=t)
    np.subtract(t, np.float32(1.0), out=t)
    np.multiply(t, np.float32(k), out=t)
    np.add(t, np.float32(1.0), out=t)
    np.multiply(mean, t, out=t)  # T
    out = np.greater(img, t).view(np.uint8)
    out *= 255
    return out


def flatten(gray: np.ndarray, dpi: float) -> np.ndarray:
    """Divide by the estimated paper brightness: even background, ink kept grey (not binarised)."""
    bg = cv2.resize(
        background(gray, dpi), (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR
    )
    out = cv2.divide(gray, np.maximum(bg, 1), scale=255)
    return out


def choose(
    gray: np.ndarray, dpi: float, method: str = "auto", min_gap: float = 10.0
) -> BinariseReport:
    """Measure the paper and settle the method: 'auto' becomes 'sauvola' when the darkest paper
    is more than `min_gap` grey levels darker than the page's Otsu threshold (so a global
    threshold would turn that paper into ink), else 'none' (the page stays grey)."""
    spread, darkest, threshold = paper_levels(gray, dpi)
    if method == "auto":
        method = "sauvola" if darkest < threshold - min_gap else "none"
    return BinariseReport(method, None, round(spread, 1), round(darkest, 1), round(threshold, 1))


def apply(
    gray: np.ndarray, dpi: float, choice: BinariseReport
) -> tuple[np.ndarray, BinariseReport]:
    """Carry out a choice made by `choose`; Otsu's report gets the threshold it used."""
    if choice.method == "flatten":
        return flatten(gray, dpi), choice
    if choice.method == "sauvola":
        # A window of ~1/6 inch: a few text lines tall, so each holds ink and paper.
        return sauvola(gray, window=int(dpi / 6)), choice
    if choice.method == "otsu":
        out, used = otsu(gray)
        return out, dataclasses.replace(choice, threshold=used)
    return gray, choice


def binarise(
    gray: np.ndarray, dpi: float, method: str = "auto", min_gap: float = 10.0
) -> tuple[np.ndarray, BinariseReport]:
    """Black text on white; `method` is 'auto', 'otsu', 'sauvola' or 'flatten'.

    'auto' returns the page unchanged (method 'none') unless its paper is too uneven for a
    global threshold, when it uses Sauvola.
    """
    return apply(gray, dpi, choose(gray, dpi, method, min_gap))

"""Small image helpers shared by the preprocessing steps (8-bit grayscale, white paper, dark ink).

Angles follow OpenCV's `getRotationMatrix2D`: positive is counter-clockwise as the image is
displayed (y pointing down). tests/test_opencv_conventions.py pins that convention.
"""

from __future__ import annotations

import math

import cv2
import numpy as np


def scaled(pixels: np.ndarray, factor: float) -> np.ndarray:
    """Resize by `factor` (area averaging when shrinking, cubic when enlarging)."""
    if abs(factor - 1.0) < 1e-6:
        return pixels
    interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    return cv2.resize(pixels, None, fx=factor, fy=factor, interpolation=interp)


def at_dpi(pixels: np.ndarray, dpi: float, target_dpi: float) -> tuple[np.ndarray, float]:
    """A copy at (at most) `target_dpi`, for cheap analysis; returns it and the scale factor used."""
    factor = min(1.0, target_dpi / dpi) if dpi > 0 else 1.0
    return scaled(pixels, factor), factor


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Dark pixels (ink) as 1, paper as 0, with Otsu's global threshold."""
    _, mask = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return mask


def text_components(
    mask: np.ndarray, max_height: int, max_width: int, min_area: int = 2
) -> np.ndarray:
    """The ink mask keeping only character- or word-sized components (no rules, borders, specks)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return mask
    w = stats[:, cv2.CC_STAT_WIDTH]
    h = stats[:, cv2.CC_STAT_HEIGHT]
    area = stats[:, cv2.CC_STAT_AREA]
    keep = (h <= max_height) & (w <= max_width) & (area >= min_area)
    keep[0] = False
    return keep.astype(np.uint8)[labels]


def rotate_bound(
    pixels: np.ndarray, angle: float, scale: float = 1.0, fill: int = 255, *, nearest: bool = False
) -> np.ndarray:
    """Rotate counter-clockwise by `angle` degrees and scale, growing the canvas so no corner is
    cut; uncovered pixels get `fill` (white paper). Rotation and resizing share one resampling."""
    h, w = pixels.shape[:2]
    rad = math.radians(angle)
    cos, sin = abs(math.cos(rad)), abs(math.sin(rad))
    new_w = int(round((w * cos + h * sin) * scale))
    new_h = int(round((h * cos + w * sin) * scale))
    matrix = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, scale)
    matrix[0, 2] += new_w / 2.0 - w / 2.0
    matrix[1, 2] += new_h / 2.0 - h / 2.0
    interp = cv2.INTER_NEAREST if nearest else cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.warpAffine(
        pixels,
        matrix,
        (new_w, new_h),
        flags=interp,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=fill,
    )


def rotate_quarter(pixels: np.ndarray, rotation: int) -> np.ndarray:
    """Rotate counter-clockwise by 0, 90, 180 or 270 degrees, losslessly."""
    k = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(pixels, k)) if k else pixels

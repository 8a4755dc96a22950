"""Unsharp masking at the final resolution.

Pages resized up to 300 dpi, JPEG-softened or slightly out of focus have soft glyph edges; an
unsharp mask (sigma 2 px at 300 dpi, amount 1.5) restores their contrast. Measured on the degraded
benchmark it lowered the word error rate on clean, blurred, JPEG and low-resolution pages (see
bench/README.md). On speckled (salt-and-pepper) pages it made things worse, sharpening the specks
the median filter left, so preprocess() skips it there.
"""

from __future__ import annotations

import cv2
import numpy as np


def sharpen(
    gray: np.ndarray, dpi: float, amount: float = 1.5, sigma_at_300: float = 2.0
) -> np.ndarray:
    blurred = cv2.GaussianBlur(gray, (0, 0), sigma_at_300 * dpi / 300.0)
    return cv2.addWeighted(gray, 1.0 + amount, blurred, -amount, 0)


def is_bitonal(gray: np.ndarray) -> bool:
    """Only two grey levels (a 1-bit scan such as a CCITT G4 TIFF or a fax)."""
    sample = gray[::7, ::7]
    return len(np.unique(sample)) <= 2


def smooth_bitonal(gray: np.ndarray, dpi: float, sigma_at_300: float = 1.0) -> np.ndarray:
    """Anti-alias a 1-bit page: Tesseract's LSTM reads grey edges better than staircase ones.

    On the 200 dpi G4 pages of the degraded benchmark, read at their own resolution (not
    enlarged, see PreprocessOptions.bitonal_upsample_below), sigma 1.0 px at 300 dpi (0.67 px at
    200) beat 0.7, 1.5 and no smoothing; when they were enlarged to 300 dpi, 1.5 had been best."""
    return cv2.GaussianBlur(gray, (0, 0), sigma_at_300 * dpi / 300.0)

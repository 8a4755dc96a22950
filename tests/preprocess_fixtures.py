"""Images shared by the preprocessing tests.

`sample_page()` is sample_scans/documents/us_10142403.png: a real US patent front page (US
10,142,403 B1), 1758 x 2275 px at 207 dpi, CC BY 4.0; source and licence in sample_scans/README.md.
The synthetic pages are drawn with OpenCV's Hershey font (no font files needed).
"""

from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_PAGE = ROOT / "sample_scans" / "documents" / "us_10142403.png"
SAMPLE_DPI = 207.0


@functools.lru_cache(maxsize=1)
def _sample() -> np.ndarray:
    pixels = cv2.imread(str(SAMPLE_PAGE), cv2.IMREAD_GRAYSCALE)
    assert pixels is not None, f"missing fixture {SAMPLE_PAGE}"
    return pixels


def sample_page() -> np.ndarray:
    return _sample().copy()


def text_page(width: int = 1275, height: int = 1650, lines: int = 40) -> np.ndarray:
    """A 150 dpi letter page of synthetic text lines (mixed case, ascenders and descenders)."""
    img = np.full((height, width), 255, np.uint8)
    words = [
        "The",
        "quick",
        "brown",
        "fox",
        "jumps",
        "over",
        "a",
        "lazy",
        "dog;",
        "patents",
        "typify",
        "bright",
        "ideals.",
    ]
    rng = np.random.default_rng(7)
    for i in range(lines):
        y = 120 + i * 36
        text = " ".join(rng.choice(words, size=9))
        cv2.putText(img, text, (100, y), cv2.FONT_HERSHEY_SIMPLEX, 0.7, 0, 2, cv2.LINE_AA)
    return img

"""White-on-black pages (negatives, microfilm prints) are turned into black on white."""

from __future__ import annotations

import numpy as np


def is_inverted(gray: np.ndarray) -> bool:
    """True when the middle of the page is mostly dark: paper is the majority of any page.

    Only the central 60 % is looked at so that dark scanner borders do not count.
    """
    h, w = gray.shape
    centre = gray[h // 5 : h - h // 5 : 2, w // 5 : w - w // 5 : 2]
    return float(np.median(centre)) < 128.0


def invert(gray: np.ndarray) -> np.ndarray:
    return 255 - gray

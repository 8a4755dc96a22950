"""Pins the OpenCV conventions the preprocessing relies on (OpenCV 5 changed some of 4.x's).

- `getRotationMatrix2D(centre, +a, 1)` turns content counter-clockwise as displayed (y down);
  ocr/imageops.py, ocr/deskew.py and bench/degrade.py all use that sign for angles.
- `np.rot90(img, 1)` (ocr.imageops.rotate_quarter(img, 90)) is a counter-clockwise quarter turn.
- `minAreaRect` is not used by the pipeline; its 5.x angle convention is pinned here so that
  anyone reaching for it sees what it returns.
"""

from __future__ import annotations

import cv2
import numpy as np

from ocr.imageops import rotate_bound, rotate_quarter


def _line_image() -> np.ndarray:
    img = np.full((200, 200), 255, np.uint8)
    cv2.line(img, (40, 100), (160, 100), 0, 3)
    return img


def _ends(img: np.ndarray) -> tuple[float, float]:
    """Mean row of the ink in the left and right thirds of the image."""
    ys, xs = np.nonzero(img < 128)
    w = img.shape[1]
    left = ys[xs < w / 3].mean()
    right = ys[xs > 2 * w / 3].mean()
    return float(left), float(right)


def test_positive_angle_turns_counter_clockwise() -> None:
    img = _line_image()
    m = cv2.getRotationMatrix2D((100, 100), 10.0, 1.0)
    out = cv2.warpAffine(img, m, (200, 200), borderValue=255)
    left, right = _ends(out)
    assert right < left - 10  # the right end went up: counter-clockwise on screen


def test_rotate_bound_grows_canvas_with_white() -> None:
    img = _line_image()
    out = rotate_bound(img, 30.0)
    assert out.shape[0] > 200 and out.shape[1] > 200
    assert out[0, 0] == 255 and out[-1, -1] == 255
    left, right = _ends(out)
    assert right < left


def test_rotate_quarter_is_counter_clockwise() -> None:
    img = np.zeros((2, 3), np.uint8)
    img[0, 2] = 1  # top-right corner
    out = rotate_quarter(img, 90)
    assert out.shape == (3, 2)
    assert out[0, 0] == 1  # top-right goes to top-left under a counter-clockwise turn


def test_min_area_rect_convention_opencv5() -> None:
    """OpenCV 5 answers angles in [-90, 0): a box turned +10 deg comes back as -80 deg with its
    width and height swapped; one turned -10 deg comes back as -10 deg (4.5-4.x used (0, 90])."""
    turned_plus = cv2.boxPoints(((100.0, 100.0), (80.0, 20.0), 10.0)).astype(np.float32)
    (_, _), (w, h), angle = cv2.minAreaRect(turned_plus)
    assert abs(angle - (-80.0)) < 0.01
    assert (round(w), round(h)) == (20, 80)
    turned_minus = cv2.boxPoints(((100.0, 100.0), (80.0, 20.0), -10.0)).astype(np.float32)
    (_, _), (w, h), angle = cv2.minAreaRect(turned_minus)
    assert abs(angle - (-10.0)) < 0.01
    assert (round(w), round(h)) == (80, 20)

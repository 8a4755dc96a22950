"""The in-place Sauvola threshold and the buffered projection profile give exactly what their
formulas written out plainly give (Tesseract's input must not change with the speed-up).

Images are synthetic: seeded noise smoothed to text-like blobs under uneven illumination.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocr.binarise import sauvola
from ocr.deskew import profile_score, search


def _page(shape: tuple[int, int], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    blobs = cv2.GaussianBlur(rng.integers(0, 256, shape, dtype=np.uint8), (0, 0), 2)
    shade = np.linspace(60, 0, shape[1], dtype=np.float32)[None, :]
    return np.clip(blobs.astype(np.float32) + shade, 0, 255).astype(np.uint8)


def _sauvola_plain(gray: np.ndarray, window: int, k: float = 0.2, r: float = 128.0) -> np.ndarray:
    window |= 1
    img = gray.astype(np.float32)
    mean = cv2.boxFilter(img, cv2.CV_32F, (window, window), borderType=cv2.BORDER_REFLECT)
    sq = cv2.boxFilter(img * img, cv2.CV_32F, (window, window), borderType=cv2.BORDER_REFLECT)
    std = np.sqrt(np.maximum(sq - mean * mean, 0.0))
    threshold = mean * (1.0 + k * (std / r - 1.0))
    return np.where(img > threshold, 255, 0).astype(np.uint8)


@pytest.mark.parametrize(("shape", "window"), [((640, 480), 50), ((301, 517), 24), ((120, 97), 15)])
def test_sauvola_equals_the_formula(shape: tuple[int, int], window: int) -> None:
    gray = _page(shape, seed=window)
    got = sauvola(gray, window)
    assert got.dtype == np.uint8 and got.shape == gray.shape
    assert np.array_equal(got, _sauvola_plain(gray, window))
    assert 0 < np.count_nonzero(got) < got.size


def _score_plain(points: np.ndarray, angle: float, bin_inch: float) -> float:
    rad = np.radians(angle)
    proj = points[:, 1] * np.cos(rad) + points[:, 0] * np.sin(rad)
    bins = ((proj - proj.min()) / bin_inch).astype(np.int64)
    counts = np.bincount(bins).astype(np.float64)
    return float(np.dot(counts, counts))


def test_projection_scores_equal_the_formula() -> None:
    rng = np.random.default_rng(3)
    rows = np.repeat(np.arange(0, 8, 0.25), 200)  # text lines a quarter inch apart
    points = np.stack([rng.uniform(0, 6, rows.size), rows + rng.normal(0, 0.01, rows.size)], 1)
    tilt = np.radians(1.5)
    points[:, 1] += points[:, 0] * np.tan(tilt)
    angles = np.arange(-3.0, 3.01, 0.5)
    best, scores = search(points, angles, bin_inch=1 / 150)
    plain = [_score_plain(points, float(a), 1 / 150) for a in angles]
    assert scores.tolist() == plain
    assert [profile_score(points, float(a), 1 / 150) for a in angles] == plain
    assert abs(abs(best) - 1.5) < 0.3

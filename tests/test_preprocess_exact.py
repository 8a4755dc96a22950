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
from ocr.orientation import _outside_band_ink


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


def _outside_band_plain(mask: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> tuple:
    asc = desc = 0.0
    for x, y, w, h in boxes:
        profile = mask[y : y + h, x : x + w].sum(axis=1, dtype=np.int64)
        band = np.flatnonzero(profile >= 0.5 * profile.max())
        asc += float(profile[: band[0]].sum())
        desc += float(profile[band[-1] + 1 :].sum())
    return asc, desc


def test_ascender_ink_equals_the_box_by_box_sums() -> None:
    rng = np.random.default_rng(5)
    mask = (rng.random((300, 400)) < 0.2).astype(np.uint8)
    mask[100:110, :] = 1  # a dense band, so bands and tails differ between boxes
    boxes = [
        (int(rng.integers(0, 350)), int(rng.integers(0, 260)), int(rng.integers(2, 50)),
         int(rng.integers(1, 40)))
        for _ in range(200)
    ]  # fmt: skip
    boxes.append((0, 95, 400, 20))
    x, y, w, h = (np.array(c) for c in zip(*boxes, strict=True))
    got = _outside_band_ink(mask, x, y, w, h)
    assert got == _outside_band_plain(mask, boxes)
    assert got[0] > 0 and got[1] > 0
    assert _outside_band_ink(mask, x[:0], y[:0], w[:0], h[:0]) == (0.0, 0.0)


def _noise_plain(gray: np.ndarray) -> tuple[float, float]:
    """measure_noise's grain written out in float32, as it was before the int16 buffers."""
    from ocr.denoise import _LAPLACE_MASK

    h, w = gray.shape
    gray = gray[h // 4 : h - h // 4, w // 4 : w - w // 4]
    _, ink = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    near_ink = cv2.dilate(ink, np.ones((5, 5), np.uint8))
    response = np.abs(cv2.filter2D(gray.astype(np.float32), -1, _LAPLACE_MASK))
    paper = response[near_ink == 0]
    return float(np.median(paper)) / (6 * 0.6745) if paper.size else 0.0, float(paper.size)


@pytest.mark.parametrize(("shape", "sigma"), [((640, 480), 0), ((333, 517), 12), ((201, 97), 40)])
def test_noise_sigma_equals_the_float_formula(shape: tuple[int, int], sigma: float) -> None:
    from ocr.denoise import measure_noise

    gray = _page(shape, seed=int(sigma) + 3)
    if sigma:
        grain = np.random.default_rng(7).normal(0, sigma, shape)
        gray = np.clip(gray + grain, 0, 255).astype(np.uint8)
    expected, paper_pixels = _noise_plain(gray)
    assert paper_pixels > 0
    assert measure_noise(gray).sigma == round(expected, 2)


@pytest.mark.parametrize("shape", [(700, 480), (256, 300), (513, 97)])
def test_showthrough_histogram_equals_bincount(shape: tuple[int, int]) -> None:
    from ocr.showthrough import _histogram

    values = _page(shape, seed=shape[0])
    masked = np.random.default_rng(shape[1]).random(shape) < 0.3
    got = _histogram(values, masked)
    assert got.dtype == np.int64
    assert np.array_equal(got, np.bincount(values[~masked], minlength=256))
    assert np.array_equal(_histogram(values, masked, rows=7), got)

"""Each preprocessing step on small synthetic or real images (tests/preprocess_fixtures.py)."""

from __future__ import annotations

import cv2
import numpy as np

from ocr.binarise import binarise, sauvola
from ocr.borders import remove_borders
from ocr.denoise import denoise, measure_noise
from ocr.invert import is_inverted
from ocr.resolution import dpi_from_text, plausible_dpi, resize_factor
from ocr.sharpen import is_bitonal, sharpen
from tests.preprocess_fixtures import SAMPLE_DPI, sample_page


def _speckled(page: np.ndarray, density: float) -> np.ndarray:
    rng = np.random.default_rng(3)
    out = page.copy()
    u = rng.random(out.shape)
    out[u < density / 2] = 0
    out[(u >= density / 2) & (u < density)] = 255
    return out


def test_clean_page_is_not_denoised() -> None:
    noise = measure_noise(sample_page())
    out, steps = denoise(sample_page(), noise)
    assert steps == []
    assert noise.impulse < 0.001 and noise.sigma < 2


def test_salt_and_pepper_is_measured_and_removed() -> None:
    noisy = _speckled(sample_page(), 0.03)
    noise = measure_noise(noisy)
    assert noise.impulse > 0.005
    out, steps = denoise(noisy, noise)
    assert steps == ["fill-specks"]
    assert measure_noise(out).impulse < noise.impulse / 5


def test_grain_is_measured_and_blurred() -> None:
    rng = np.random.default_rng(5)
    page = sample_page().astype(np.float32)
    noisy = np.clip(page + rng.normal(0, 20, page.shape), 0, 255).astype(np.uint8)
    noise = measure_noise(noisy)
    assert 10 < noise.sigma < 30
    _, steps = denoise(noisy, noise)
    assert steps and steps[0].startswith("gaussian")


def test_black_borders_and_punch_holes_are_painted_white() -> None:
    page = sample_page()
    h, w = page.shape
    dirty = page.copy()
    dirty[:, :60] = 10  # scanner lid on the left
    dirty[h - 50 :, :] = 20  # and at the bottom
    r = int(3 / 25.4 * SAMPLE_DPI)  # 6 mm holes, 12 mm from the left edge
    for y in (h // 2 - 650, h // 2 + 650):
        cv2.circle(dirty, (int(12 / 25.4 * SAMPLE_DPI), y), r, 15, -1)
    out, report = remove_borders(dirty, SAMPLE_DPI)
    assert report.holes == 2
    assert report.border_fraction > 0.04
    assert out[:, :50].min() == 255 and out[h - 40 :, :].min() == 255
    # The text is untouched: the middle of the page is the same as before.
    assert np.array_equal(out[300:2000, 300:1500], page[300:2000, 300:1500])


def test_clean_page_keeps_its_margins() -> None:
    out, report = remove_borders(sample_page(), SAMPLE_DPI)
    assert report.border_fraction == 0.0 and report.holes == 0
    assert np.array_equal(out, sample_page())


def test_even_page_stays_grey_and_shaded_page_gets_sauvola() -> None:
    page = sample_page()
    out, report = binarise(page, SAMPLE_DPI)
    assert report.method == "none" and out is page
    h, w = page.shape
    shade = np.linspace(1.0, 0.45, w, dtype=np.float32)[None, :]
    faded = np.clip((60 + page.astype(np.float32) * 195 / 255) * shade, 0, 255).astype(np.uint8)
    out, report = binarise(faded, SAMPLE_DPI)
    assert report.method == "sauvola"
    assert set(np.unique(out)) <= {0, 255}
    # The shaded right-hand side keeps its paper white and its text black.
    right = out[:, int(0.8 * w) :]
    assert 0.7 < (right == 255).mean() < 0.999


def test_forced_otsu_reports_its_threshold() -> None:
    out, report = binarise(sample_page(), SAMPLE_DPI, "otsu")
    assert report.method == "otsu" and 60 < (report.threshold or 0) < 230
    assert set(np.unique(out)) <= {0, 255}


def test_sauvola_keeps_paper_white_in_a_flat_area() -> None:
    flat = np.full((100, 100), 200, np.uint8)
    assert (sauvola(flat, 31) == 255).all()


def test_negative_is_detected() -> None:
    assert is_inverted(255 - sample_page())
    assert not is_inverted(sample_page())


def test_resolution_from_text_height() -> None:
    page = sample_page()
    est = dpi_from_text(page)
    assert est is not None and abs(est - SAMPLE_DPI) / SAMPLE_DPI < 0.1
    half = cv2.resize(
        page, None, fx=150 / SAMPLE_DPI, fy=150 / SAMPLE_DPI, interpolation=cv2.INTER_AREA
    )
    est_half = dpi_from_text(half)
    # The median of whole-pixel heights said 161-177 dpi for such pages; the interquartile mean
    # with the edge-spread offset (ocr/resolution.py) is within a few percent.
    assert est_half is not None and abs(est_half - 150) / 150 < 0.06


def test_plausible_resolution() -> None:
    assert plausible_dpi(207, 1758, 2275)  # US letter
    assert not plausible_dpi(72, 1758, 2275)  # would be a 24 x 32 inch page
    assert not plausible_dpi(1200, 1758, 2275)  # a 1.5 x 1.9 inch page
    assert resize_factor(150, 300, 250, 600) == 2.0
    assert resize_factor(300, 300, 250, 600) == 1.0


def test_blank_page_has_no_text_resolution() -> None:
    assert dpi_from_text(np.full((1000, 800), 255, np.uint8)) is None


def test_sharpen_raises_edge_contrast_and_bitonal_is_recognised() -> None:
    soft = cv2.GaussianBlur(sample_page(), (0, 0), 1.5)
    sharp = sharpen(soft, 300.0)
    assert cv2.Laplacian(sharp, cv2.CV_32F).var() > 1.5 * cv2.Laplacian(soft, cv2.CV_32F).var()
    _, bw = cv2.threshold(sample_page(), 128, 255, cv2.THRESH_BINARY)
    assert is_bitonal(bw) and not is_bitonal(soft)

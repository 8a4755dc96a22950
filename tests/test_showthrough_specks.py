"""Show-through removal and speck filling on real page crops (tests/resources/degraded/README.md).

The crops are pixel-aligned, so what a step leaves can be compared with the clean page."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from ocr.denoise import denoise, fill_specks, measure_noise
from ocr.models import PageImage
from ocr.preprocess import PreprocessOptions, preprocess
from ocr.showthrough import measure_showthrough, remove_showthrough
from tests.preprocess_fixtures import SAMPLE_DPI, sample_page

FIXTURES = Path(__file__).resolve().parent / "resources" / "degraded"


def _crop(kind: str) -> np.ndarray:
    pixels = cv2.imread(str(FIXTURES / f"{kind}.png"), cv2.IMREAD_GRAYSCALE)
    assert pixels is not None, f"missing fixture {kind}.png"
    return pixels


def _error(a: np.ndarray, b: np.ndarray) -> float:
    return float(cv2.absdiff(a, b).mean())


def test_showthrough_is_measured_and_lifted_to_paper() -> None:
    clean, bleed = _crop("clean"), _crop("bleed")
    measured = measure_showthrough(bleed, SAMPLE_DPI)
    assert measured.fraction > 0.03
    out, applied = remove_showthrough(bleed, SAMPLE_DPI, measured)
    assert applied
    assert measure_showthrough(out, SAMPLE_DPI).fraction < measured.fraction / 10
    # Most of the difference from the clean page was the show-through: it is gone ...
    assert _error(out, clean) < _error(bleed, clean) / 3
    # ... and this side's ink is where it was.
    ink = clean < 128
    assert np.array_equal(out[ink] < 128, np.ones(np.count_nonzero(ink), bool))


def test_clean_page_has_no_showthrough_and_is_returned_as_it_is() -> None:
    for pixels in (_crop("clean"), sample_page()):
        measured = measure_showthrough(pixels, SAMPLE_DPI)
        assert measured.fraction < 0.002
        out, applied = remove_showthrough(pixels, SAMPLE_DPI, measured)
        assert not applied and out is pixels


def test_grainy_jpeg_paper_is_not_taken_for_showthrough() -> None:
    """Grain blotched by JPEG (the benchmark's bad office scan) is paper texture, not a layer."""
    rng = np.random.default_rng(7)
    grainy = np.clip(_crop("clean") + rng.normal(0, 10, (400, 660)), 0, 255).astype(np.uint8)
    ok, jpeg = cv2.imencode(".jpg", grainy, [cv2.IMWRITE_JPEG_QUALITY, 35])
    assert ok
    decoded = cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE)
    assert decoded is not None
    measured = measure_showthrough(decoded, SAMPLE_DPI)
    assert measured.paper_sigma > 1 and measured.fraction < 0.015


def test_showthrough_step_in_preprocess_is_reported_and_switchable() -> None:
    page = PageImage(0, _crop("bleed"), SAMPLE_DPI, "file")
    _, report = preprocess(page)
    assert report.showthrough is not None and report.showthrough > 0.03
    assert any(s.startswith("showthrough:") for s in report.steps)
    _, off = preprocess(page, PreprocessOptions(showthrough=False))
    assert off.showthrough is None and not any(s.startswith("showthrough") for s in off.steps)


def test_specks_are_filled_closer_to_the_clean_page_than_the_median() -> None:
    clean, noisy = _crop("clean"), _crop("saltpepper")
    noise = measure_noise(noisy)
    filled, steps = denoise(noisy, noise)
    assert steps == ["fill-specks"]
    median, median_steps = denoise(noisy, noise, specks="median")
    assert median_steps == ["median3"]
    assert _error(filled, clean) < 0.7 * _error(median, clean)
    assert measure_noise(filled).impulse < noise.impulse / 5
    # speck-free pixels keep their value
    untouched = cv2.absdiff(noisy, clean) == 0
    assert np.mean(filled[untouched] == noisy[untouched]) > 0.97


def test_a_page_without_specks_is_not_filled() -> None:
    """The fill would touch thin strokes of a clean page, so it runs only where specks are
    measured; the measurement keeps the clean crop and the whole clean page as they are."""
    clean = _crop("clean")
    assert not np.array_equal(fill_specks(clean), clean)
    for pixels in (clean, sample_page()):
        out, steps = denoise(pixels, measure_noise(pixels))
        assert steps == [] and out is pixels


def test_207_dpi_pages_are_measured_at_half_size_with_the_same_decision(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The cheaper measurement (half size above 200 dpi) decides as the full-size one did."""
    import ocr.showthrough as st

    seen: list[tuple[int, int]] = []
    flattened = st._flattened

    def spy(gray: np.ndarray, dpi: float) -> tuple[np.ndarray, np.ndarray]:
        seen.append(gray.shape)
        return flattened(gray, dpi)

    for kind, fires in (("bleed", True), ("clean", False)):
        pixels = _crop(kind)
        monkeypatch.setattr(st, "HALF_SIZE_ABOVE", 1e9)  # full size, as before
        full = st.measure_showthrough(pixels, SAMPLE_DPI)
        monkeypatch.undo()
        monkeypatch.setattr(st, "_flattened", spy)
        half = st.measure_showthrough(pixels, SAMPLE_DPI)
        monkeypatch.undo()
        assert seen[-1] == ((pixels.shape[0] + 1) // 2, (pixels.shape[1] + 1) // 2)
        assert (full.fraction > 0.01) == (half.fraction > 0.01) == fires

"""The composed preprocessing: defaults, switches, caps, reports, settings and ST.96 provenance.

Pages come from tests/preprocess_fixtures.py (a real front page shipped in sample_scans/).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from lxml import etree

from flows.settings import Settings, load_settings
from ocr.errors import PreprocessError
from ocr.imageops import rotate_bound, rotate_quarter
from ocr.models import PageImage
from ocr.preprocess import PreprocessOptions, preprocess
from tests.preprocess_fixtures import SAMPLE_DPI, sample_page


def _page(pixels: np.ndarray, dpi: float = SAMPLE_DPI, source: str = "file") -> PageImage:
    return PageImage(0, pixels, dpi, source)


def test_clean_page_is_only_resized_and_sharpened() -> None:
    out, report = preprocess(_page(sample_page()))
    assert report.steps == ("resize:207->300dpi", "sharpen")
    assert out.dpi == 300.0 and report.output_dpi == 300.0
    assert report.rotation == 0 and report.binarisation == "none"
    assert report.skew_angle is not None and abs(report.skew_angle) < 0.1
    assert report.output_size == (out.width, out.height)
    assert abs(out.width - round(1758 * 300 / SAMPLE_DPI)) <= 1


def test_turned_and_skewed_page_is_righted() -> None:
    scan = rotate_quarter(rotate_bound(sample_page(), 3.0), 270)  # turned 90 deg clockwise
    out, report = preprocess(_page(scan))
    assert report.rotation == 90
    assert report.skew_angle is not None and abs(report.skew_angle - 3.0) < 0.2
    assert any(s.startswith(("deskew:+2.9", "deskew:+3.0", "deskew:+3.1")) for s in report.steps)
    assert out.height > out.width  # portrait again


def test_steps_can_be_switched_off() -> None:
    scan = rotate_quarter(rotate_bound(sample_page(), 3.0), 270)
    opts = PreprocessOptions(
        orientation="off", deskew=False, resolution=False, sharpen=False, binarise="off",
        denoise=False, borders=False, invert=False,
    )  # fmt: skip
    out, report = preprocess(_page(scan), opts)
    assert report.steps == ()
    assert np.array_equal(out.pixels, scan)
    assert report.skew_angle is None and report.noise_sigma is None


def test_skew_beyond_the_cap_is_measured_but_not_applied() -> None:
    out, report = preprocess(
        _page(rotate_bound(sample_page(), 15.0)), PreprocessOptions(max_skew=8.0)
    )
    assert not any(s.startswith("deskew") for s in report.steps)


def test_tiny_skew_is_left_alone() -> None:
    _, report = preprocess(_page(rotate_bound(sample_page(), 0.05)))
    assert not any(s.startswith("deskew") for s in report.steps)


def test_negative_page_is_inverted() -> None:
    out, report = preprocess(_page(255 - sample_page()))
    assert report.inverted and report.steps[0] == "invert"
    assert np.median(out.pixels) > 200


def test_missing_resolution_is_judged_from_text_height() -> None:
    page = sample_page()
    small = cv2.resize(
        page, None, fx=150 / SAMPLE_DPI, fy=150 / SAMPLE_DPI, interpolation=cv2.INTER_AREA
    )
    cropped = small[60:-150, 40:-30]  # not a paper size any more
    out, report = preprocess(_page(cropped, 300.0, "assumed"))
    assert report.dpi_source == "estimated"
    assert report.text_dpi is not None and 125 < report.text_dpi < 175
    assert out.dpi == 300.0 and out.width > cropped.shape[1] * 1.6


def test_plausible_file_resolution_is_kept() -> None:
    _, report = preprocess(_page(sample_page()))
    assert report.dpi_source == "file" and report.text_dpi is None


def test_bitonal_page_is_anti_aliased_not_sharpened() -> None:
    _, bw = cv2.threshold(sample_page(), 128, 255, cv2.THRESH_BINARY)
    _, report = preprocess(_page(bw))
    assert "smooth-bitonal" in report.steps and "sharpen" not in report.steps


def test_bitonal_page_is_read_at_its_own_resolution_from_200_dpi() -> None:
    _, bw = cv2.threshold(sample_page(), 128, 255, cv2.THRESH_BINARY)
    ready, report = preprocess(_page(bw, 207.0))
    assert ready.dpi == 207.0 and ready.pixels.shape == bw.shape
    assert not any(s.startswith("resize") for s in report.steps)
    low = cv2.resize(bw, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_NEAREST)
    ready, report = preprocess(_page(low, 103.5))
    assert ready.dpi == 300.0 and any(s.startswith("resize") for s in report.steps)


def test_rejects_colour_pixels() -> None:
    with pytest.raises(PreprocessError):
        preprocess(_page(np.zeros((10, 10, 3), np.uint8)))


def test_settings_map_onto_options() -> None:
    settings = load_settings(
        overrides={"preprocess": {"deskew": False, "binarise": "otsu", "sharpen": False}}
    )
    opts = PreprocessOptions(**settings.preprocess.options())
    assert opts.deskew is False and opts.binarise == "otsu" and opts.orientation == "fast"
    assert opts.sharpen is False
    # Every switch of the options can be set from the settings file.
    switches = {"resolution", "estimate_dpi", "invert", "denoise", "specks", "showthrough",
                "borders", "orientation", "deskew", "sharpen", "binarise"}  # fmt: skip
    assert switches <= set(settings.preprocess.options())
    assert Settings().fingerprint() != settings.fingerprint()


def test_st96_carries_preprocessing_and_stays_valid() -> None:
    from mapping.model import IPDocument
    from output_schemas import st96
    from output_schemas.validate import check_st96

    _, report = preprocess(_page(rotate_bound(sample_page(), 2.0)))
    tree = st96.to_st96(IPDocument(doc_id="x"))
    st96.add_preprocessing(tree, [report])
    pis = [n for n in tree.getroot() if isinstance(n, etree._ProcessingInstruction)]
    assert len(pis) == 1 and pis[0].target == "ipdigitise-preprocess"
    assert 'skew="2.0' in pis[0].text or 'skew="1.9' in pis[0].text
    assert "deskew:" in pis[0].text
    # The instructions add no schema error (this bare document has its own, the same without them).
    reparsed = etree.ElementTree(etree.fromstring(st96.serialise(tree)))
    plain = st96.to_st96(IPDocument(doc_id="x"))
    assert [f.message for f in check_st96(reparsed)] == [f.message for f in check_st96(plain)]

from __future__ import annotations

import numpy as np
import pytest

from ocr.deskew import estimate_skew
from ocr.imageops import rotate_bound
from tests.preprocess_fixtures import SAMPLE_DPI, sample_page, text_page


@pytest.mark.parametrize("angle", [-5.5, -1.2, 0.4, 2.5, 6.0])
def test_real_page_rotated_by_known_angle(angle: float) -> None:
    page = rotate_bound(sample_page(), angle)
    est = estimate_skew(page, SAMPLE_DPI)
    assert abs(est.angle - angle) < 0.2
    assert est.confidence > 0.2


def test_straight_page_reads_near_zero() -> None:
    est = estimate_skew(sample_page(), SAMPLE_DPI)
    assert abs(est.angle) < 0.1


def test_synthetic_text_lines() -> None:
    est = estimate_skew(rotate_bound(text_page(), -3.0), 150.0)
    assert abs(est.angle + 3.0) < 0.2


def test_blank_page_has_no_confidence() -> None:
    est = estimate_skew(np.full((1000, 800), 255, np.uint8), 150.0)
    assert est.angle == 0.0 and est.confidence == 0.0


def test_angle_beyond_the_search_range_is_not_found() -> None:
    """A 15 deg page searched within +-8 deg: the estimate sits at the edge of the range, which
    preprocess() refuses to apply (see test_preprocess.py)."""
    est = estimate_skew(rotate_bound(sample_page(), 15.0), SAMPLE_DPI, max_angle=8.0)
    assert abs(est.angle) > 7.0

from __future__ import annotations

import numpy as np
import pytest

from ocr.analysis import analyse
from ocr.imageops import rotate_bound, rotate_quarter
from ocr.orientation import detect_orientation
from tests.preprocess_fixtures import SAMPLE_DPI, sample_page, text_page


@pytest.mark.parametrize("turned", [0, 90, 180, 270])
@pytest.mark.parametrize("skew", [0.0, 4.0])
def test_real_page_turned(turned: int, skew: float) -> None:
    """The page is turned clockwise by `turned`; the fix is the same counter-clockwise turn."""
    page = rotate_quarter(rotate_bound(sample_page(), skew), (360 - turned) % 360)
    found = detect_orientation(analyse(page, SAMPLE_DPI))
    assert found.rotation == turned
    assert found.confidence > 0.5


@pytest.mark.parametrize("turned", [90, 180])
def test_synthetic_text(turned: int) -> None:
    page = rotate_quarter(text_page(), (360 - turned) % 360)
    assert detect_orientation(analyse(page, 150.0)).rotation == turned


def test_blank_page_is_left_alone() -> None:
    found = detect_orientation(analyse(np.full((1100, 850), 255, np.uint8), 100.0))
    assert found.rotation == 0 and found.confidence == 0.0

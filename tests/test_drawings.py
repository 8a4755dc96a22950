"""Drawing regions (ocr/drawings.py) on a real front page and on pages that must stay untouched.

The real page is sample_scans/documents/us_10142403.png (US 10,142,403 B1, 207 dpi, CC BY 4.0;
source and licence in sample_scans/README.md): text in two columns down to "15 Claims, 3 Drawing
Sheets" (ending near y = 1005 px) and a block diagram below it (boxes with words in them).
"""

from __future__ import annotations

import cv2
import numpy as np

from ocr.drawings import find_drawings, remove_drawings
from ocr.models import PageImage
from ocr.preprocess import PreprocessOptions, preprocess
from tests.preprocess_fixtures import SAMPLE_DPI, sample_page, text_page

TEXT_BOTTOM = 1010
"""Everything above this row of the sample page is text (fields, abstract) and must not change."""


def test_front_page_drawing_is_painted_and_text_kept() -> None:
    page = sample_page()
    out, report = remove_drawings(page, SAMPLE_DPI)
    assert len(report.regions) == 1
    x0, y0, x1, y1 = report.regions[0]
    assert y0 >= TEXT_BOTTOM and y1 > 1800
    assert np.array_equal(out[:TEXT_BOTTOM], page[:TEXT_BOTTOM])
    ink_before = np.count_nonzero(page[y0:y1, x0:x1] < 128)
    ink_after = np.count_nonzero(out[y0:y1, x0:x1] < 128)
    # The boxes and arrows go, the reference numerals and words stay.
    assert ink_before > 20000 and ink_after < 0.5 * ink_before
    assert ink_after > 5000
    assert 0.002 < report.fraction < 0.05


def test_text_page_unchanged() -> None:
    page = text_page()
    out, report = remove_drawings(page, 150.0)
    assert report.regions == ()
    assert out is page


def test_frame_around_text_is_not_a_drawing() -> None:
    """A box drawn around the abstract is line art by size and fill, but holds lines of text."""
    page = sample_page()
    cv2.rectangle(page, (880, 560), (1700, 990), 0, 3)
    regions, rejected = find_drawings(page, SAMPLE_DPI)
    assert rejected == 1
    assert all(y0 >= TEXT_BOTTOM for _, y0, _, _ in regions)
    out, _ = remove_drawings(page, SAMPLE_DPI)
    assert np.array_equal(out[:TEXT_BOTTOM], page[:TEXT_BOTTOM])


def test_preprocess_records_and_can_switch_off() -> None:
    page = PageImage(0, sample_page(), SAMPLE_DPI, "file")
    _, on = preprocess(page, PreprocessOptions(drawings=True))
    off_img, off = preprocess(page)  # off by default
    assert any(s.startswith("drawings:1:") for s in on.steps)
    assert len(on.drawing_regions) == 1 and on.drawing_fraction
    assert not any(s.startswith("drawings") for s in off.steps)
    assert off.drawing_regions == ()
    # The region is in output pixels (300 dpi here): below the text, inside the page.
    x0, y0, x1, y1 = on.drawing_regions[0]
    assert y0 >= TEXT_BOTTOM * 300 / SAMPLE_DPI - 5 and y1 <= off_img.pixels.shape[0]

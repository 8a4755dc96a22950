"""The second, targeted OCR reading of a field crop through ocr/tesseract.py (real Tesseract)."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from ocr.reread import CropReader
from ocr.tesseract import recognise_crop
from tests.conftest import draw_label_page

pytestmark = pytest.mark.tesseract


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("tesseract") is None:
        pytest.skip("Tesseract is not installed")
    return draw_label_page(tmp_path_factory.mktemp("crop"))


def test_crop_words_come_back_in_page_coordinates(page: Path) -> None:
    pixels = cv2.imread(str(page), cv2.IMREAD_GRAYSCALE)
    crop = np.ascontiguousarray(pixels[220:340, 40:900])
    words = recognise_crop(crop, origin=(40, 220), psm=7)
    text = " ".join(w.text for w in words)
    assert "2018" in text
    assert all(w.bbox[1] >= 220 and w.bbox[0] >= 40 for w in words)


def test_whitelist_profile_reads_a_number(page: Path) -> None:
    reader = CropReader({0: page}, budget=2)
    words = reader(0, (300, 80, 900, 130), "number")
    assert words is not None
    assert "15/947,048" in "".join(w.text for w in words)
    assert reader.calls == 1 and reader.seconds > 0


def test_missing_page_image_is_no_reading(tmp_path: Path) -> None:
    reader = CropReader({0: tmp_path / "absent.pgm"})
    assert reader(0, (0, 0, 100, 40), "date") is None


def test_each_crop_reading_holds_the_callers_gate(page: Path) -> None:
    """The flow passes its OCR slots as the gate: a crop never makes one Tesseract more than
    `ocr.workers` read at once."""
    held: list[str] = []

    class Gate:
        def __enter__(self) -> None:
            held.append("in")

        def __exit__(self, *exc: object) -> None:
            held.append("out")

    reader = CropReader({0: page}, budget=2, gate=Gate)
    assert reader(0, (300, 80, 900, 130), "number")
    assert reader(0, (40, 220, 900, 340), "date") is not None
    assert held == ["in", "out", "in", "out"]
    assert reader(0, (40, 220, 900, 340), "date") is None  # over budget: no reading, no gate
    assert held == ["in", "out", "in", "out"]

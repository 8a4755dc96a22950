"""Review crops: only the region shown is turned to colour, and the PNG is exactly what
colouring, outlining and cutting the whole page gives (boxes at and beyond the page's edges,
tall and wide regions, no box at all).

Page: sample_scans/documents/us_10142403.png (see sample_scans/README), decoded by the pipeline.
"""

from __future__ import annotations

import random
from pathlib import Path

import cv2
import numpy as np
import pytest

from flows.pageimages import crop_png
from ocr.errors import IpdError
from ocr.ingest import iter_pages

BBox = tuple[int, int, int, int]
PAGE = Path(__file__).resolve().parents[1] / "sample_scans" / "documents" / "us_10142403.png"


def _whole_page_crop(pixels: np.ndarray, bbox: BBox | None) -> bytes:
    """crop_png as first written: the whole page in colour, outlined, then cut and scaled."""
    h, w = pixels.shape
    colour = cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR)
    if bbox is not None:
        x0, y0, x1, y1 = bbox
        cv2.rectangle(colour, (x0 - 4, y0 - 4), (x1 + 4, y1 + 4), (0, 0, 220), 3)
        top = max(0, y0 - 40)
        bottom = min(h, y1 + 40, top + 900)
        left, right = max(0, x0 - 40), min(w, x1 + 40)
        colour = colour[top:bottom, left:right]
    if colour.shape[1] > 900:
        scale = 900 / colour.shape[1]
        colour = cv2.resize(colour, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".png", colour)
    assert ok
    return bytes(data.tobytes())


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    pixels = next(iter_pages(PAGE)).pixels
    path = tmp_path_factory.mktemp("crops") / "page-0001.pgm"
    assert cv2.imwrite(str(path), pixels)
    return path, pixels


def _boxes(w: int, h: int) -> list[BBox | None]:
    rng = random.Random(7)
    boxes: list[BBox | None] = [None, (0, 0, 10, 10), (-10, -10, 50, 30), (w - 5, h - 5, w + 20, h + 20),
                                (5, 5, w - 5, h - 5), (100, 200, 1200, 260)]  # fmt: skip
    for _ in range(12):
        x0, y0 = rng.randrange(-20, w), rng.randrange(-20, h)
        boxes.append((x0, y0, x0 + rng.randrange(1, 1500), y0 + rng.randrange(1, 1500)))
    return boxes


def test_crops_equal_the_whole_page_way(page: tuple[Path, np.ndarray]) -> None:
    path, pixels = page
    h, w = pixels.shape
    assert w > 900  # the page itself is scaled down when there is no box
    for bbox in _boxes(w, h):
        assert crop_png(path, bbox) == _whole_page_crop(pixels, bbox), bbox


def test_a_box_beyond_the_page_gives_no_crop(page: tuple[Path, np.ndarray]) -> None:
    path, pixels = page
    h, w = pixels.shape
    with pytest.raises((IpdError, cv2.error)):
        crop_png(path, (w + 100, 10, w + 200, 20))

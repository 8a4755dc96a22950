"""Page images at the end of a document's run: what the outputs need from the pixels.

The ink outside word boxes (tells drawing sheets from sparse text pages), drawing sheets written
as bitonal CCITT G4 TIFF (the patent offices' format for drawings; ST.96 and ST.36 both name
TIFF), and crops for the review page. No Prefect here.
"""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from ocr.errors import IpdError
from ocr.inkmap import non_text_ink
from ocr.models import PageOcr

BBox = tuple[int, int, int, int]


def load_gray(path: Path) -> np.ndarray:
    pixels = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if pixels is None:  # OpenCV says nothing; it returns None
        raise IpdError(f"cannot read the work image {path}", reason="work-read-failed")
    return pixels


def ink_outside_words(path: Path, page: PageOcr) -> float:
    return round(non_text_ink(load_gray(path), [w.bbox for w in page.words]), 5)


def drawing_tiff(path: Path, dpi: float) -> bytes:
    """The page as a bitonal G4 TIFF (Otsu threshold), with its resolution; deterministic."""
    pixels = load_gray(path)
    _, bw = cv2.threshold(pixels, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    buf = io.BytesIO()
    Image.fromarray(bw).convert("1").save(buf, format="TIFF", compression="group4",
                                          dpi=(dpi, dpi))  # fmt: skip
    return buf.getvalue()


def crop_png(
    path: Path, bbox: BBox | None, *, margin: int = 40, max_width: int = 900, max_height: int = 900
) -> bytes:
    """The region of a finding (its box outlined in red) with some context, as PNG (a tall
    region is cut to its top part); the whole page, scaled down, when there is no box."""
    pixels = load_gray(path)
    h, w = pixels.shape
    region, left, top = pixels, 0, 0
    if bbox is not None:  # colour only the region shown, not the whole page
        x0, y0, x1, y1 = bbox
        top = max(0, y0 - margin)
        bottom = min(h, y1 + margin, top + max_height)
        left, right = max(0, x0 - margin), min(w, x1 + margin)
        region = pixels[top:bottom, left:right]
    if bbox is None and w > max_width:  # grey levels scale the same in each channel
        scale = max_width / w
        region = cv2.resize(region, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if region.size:
        colour = cv2.cvtColor(region, cv2.COLOR_GRAY2BGR)
    else:  # a box outside the page: as empty as before (and refused by the encoder)
        colour = np.zeros((*region.shape, 3), np.uint8)
    if bbox is not None:
        x0, y0, x1, y1 = bbox
        corner0, corner1 = (x0 - 4 - left, y0 - 4 - top), (x1 + 4 - left, y1 + 4 - top)
        if colour.size:
            cv2.rectangle(colour, corner0, corner1, (0, 0, 220), 3)
        if colour.shape[1] > max_width:
            scale = max_width / colour.shape[1]
            colour = cv2.resize(colour, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".png", colour)
    if not ok:
        raise IpdError("cannot encode a review crop", reason="crop-failed")
    return data.tobytes()

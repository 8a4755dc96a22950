"""A second, targeted OCR reading of one field: crop the field's box from the page image and
read it again with a page segmentation mode and character whitelist that suit the field.

Bounded in cost: at most `budget` crops per document, each with its own short timeout; a
failing or timed-out crop reading is skipped (the first reading stands), never fatal.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ocr.engines import read_crop
from ocr.errors import OcrError
from ocr.models import BBox, Word

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"


@dataclass(frozen=True)
class Profile:
    psm: int
    whitelist: str | None = None


PROFILES: dict[str, Profile] = {
    # numbers with office prefix, series code, kind code: 'US 10,231,003 B2', '15/947,048'
    "number": Profile(7, UPPER + DIGITS + ",./- "),
    "date": Profile(7),
    "ipc": Profile(6, UPPER + DIGITS + "/(). "),
    "line": Profile(7),
    "block": Profile(6),
    # a title's printed lines as one block (the page's layout analysis may have split or merged
    # its bold capitals badly)
    "title": Profile(6),
}


@dataclass
class CropReader:
    """Callable `(page, bbox, profile) -> words | None` over a document's page images."""

    images: dict[int, Path]
    lang: str = "eng"
    dpi: float = 300.0
    budget: int = 8
    timeout: float = 10.0
    cmd: str = "tesseract"
    engine: str = "auto"
    """ocr.engine: "auto", "libtesseract" or "tesserocr" (no process start per crop) or "cli"."""
    gate: Callable[[], AbstractContextManager[Any]] = nullcontext
    """Held around each reading: the caller's limit on Tesseracts reading at once."""
    calls: int = 0
    seconds: float = 0.0
    _cache: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def _page(self, page: int) -> np.ndarray | None:
        if page not in self._cache:
            path = self.images.get(page)
            pixels = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) if path else None
            if pixels is None:
                return None
            self._cache[page] = pixels
        return self._cache[page]

    def __call__(self, page: int, bbox: BBox, profile: str) -> list[Word] | None:
        if self.calls >= self.budget:
            return None
        pixels = self._page(page)
        if pixels is None:
            return None
        x0, y0, x1, y1 = bbox
        pad = max(6, (y1 - y0) // 3)
        pad_x = max(pad, min(60, y1 - y0))  # a first reading may have lost an edge letter
        h, w = pixels.shape[:2]
        x0, y0 = max(0, x0 - pad_x), max(0, y0 - pad)
        x1, y1 = min(w, x1 + pad_x), min(h, y1 + pad)
        if x1 - x0 < 4 or y1 - y0 < 4:
            return None
        prof = PROFILES.get(profile, PROFILES["line"])
        self.calls += 1
        with self.gate():
            return self._read(pixels[y0:y1, x0:x1], (x0, y0), prof)

    def _read(self, crop: np.ndarray, origin: tuple[int, int], prof: Profile) -> list[Word] | None:
        started = time.perf_counter()
        try:
            return read_crop(
                self.engine,
                np.ascontiguousarray(crop),
                origin=origin,
                lang=self.lang,
                psm=prof.psm,
                whitelist=prof.whitelist,
                dpi=self.dpi,
                timeout=self.timeout,
                cmd=self.cmd,
            )
        except OcrError:
            return None
        finally:
            self.seconds += time.perf_counter() - started

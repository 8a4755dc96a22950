"""Result models of the OCR layer: small, frozen, and round-trippable through JSON."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict

BBox = tuple[int, int, int, int]
"""Pixel box on the page as (left, top, right, bottom), in the OCR'd image's coordinates."""


@dataclass(frozen=True)
class PageImage:
    """One decoded page: 8-bit grayscale pixels plus the resolution they are at."""

    index: int
    pixels: np.ndarray = field(repr=False)
    dpi: float
    dpi_source: str = "file"  # "file", "pdf-render", "assumed", "estimated"

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Word(Frozen):
    """A recognised word with its box and Tesseract's confidence scaled to 0..1."""

    text: str
    bbox: BBox
    confidence: float
    block: int = 0
    par: int = 0
    line: int = 0


class PageOcr(Frozen):
    """Everything Tesseract said about one page, in its own reading order."""

    index: int
    width: int
    height: int
    dpi: float
    words: tuple[Word, ...]
    engine: str = "tesseract"
    engine_version: str = ""
    language: str = "eng"
    seconds: float = 0.0

    @property
    def mean_confidence(self) -> float:
        if not self.words:
            return 0.0
        return sum(w.confidence for w in self.words) / len(self.words)

    def text(self) -> str:
        """Plain text, one line per Tesseract line, blocks separated by a blank line."""
        out: list[str] = []
        prev: tuple[int, int, int] | None = None
        for w in self.words:
            key = (w.block, w.par, w.line)
            if prev is None:
                out.append(w.text)
            elif key == prev:
                out.append(" " + w.text)
            else:
                out.append(("\n\n" if key[0] != prev[0] else "\n") + w.text)
            prev = key
        return "".join(out)


class PreprocessReport(Frozen):
    """What preprocessing measured and did to one page (goes into report.json as provenance).

    Angles are in degrees, counter-clockwise as displayed; `rotation` is the quarter turn applied
    to right the page, `skew_angle` the measured skew of its lines (corrected only when listed in
    `steps`). Measurements are recorded even when the step they belong to changed nothing.
    """

    page: int
    input_size: tuple[int, int]
    output_size: tuple[int, int]
    input_dpi: float
    output_dpi: float
    dpi_source: str
    steps: tuple[str, ...] = ()
    skew_angle: float | None = None
    skew_confidence: float | None = None
    rotation: int = 0
    orientation_confidence: float | None = None
    orientation_method: str | None = None
    text_dpi: float | None = None
    """Resolution judged from character heights (used only when the file's is missing or implausible)."""
    noise_impulse: float | None = None
    noise_sigma: float | None = None
    showthrough: float | None = None
    """Share of pixels that are grey but away from ink (show-through; ocr/showthrough.py)."""
    drawing_regions: tuple[tuple[int, int, int, int], ...] = ()
    """Line-art regions painted paper-coloured (x0, y0, x1, y1 in output pixels; ocr/drawings.py)."""
    drawing_fraction: float | None = None
    border_fraction: float | None = None
    punch_holes: int = 0
    inverted: bool = False
    binarisation: str | None = None
    threshold: float | None = None
    background_range: float | None = None
    darkest_paper: float | None = None
    otsu_threshold: float | None = None
    seconds: float = 0.0

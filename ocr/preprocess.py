"""Page preprocessing before OCR: pure functions over grayscale pixels, each reporting what it did."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ocr.models import PageImage, PreprocessReport


@dataclass(frozen=True)
class PreprocessOptions:
    target_dpi: float = 300.0
    upsample_below: float = 250.0
    """Pages below this resolution are resized to target_dpi (Tesseract is trained near 300 dpi)."""
    downsample_above: float = 600.0


def normalise_resolution(page: PageImage, opts: PreprocessOptions) -> tuple[PageImage, str | None]:
    """Resize a page whose resolution is far from the target; return the new page and a step name."""
    if opts.upsample_below <= page.dpi <= opts.downsample_above:
        return page, None
    factor = opts.target_dpi / page.dpi
    interp = cv2.INTER_CUBIC if factor > 1 else cv2.INTER_AREA
    pixels = cv2.resize(page.pixels, None, fx=factor, fy=factor, interpolation=interp)
    step = f"resize:{page.dpi:.0f}->{opts.target_dpi:.0f}dpi"
    return PageImage(page.index, pixels, opts.target_dpi, page.dpi_source), step


def preprocess(
    page: PageImage, opts: PreprocessOptions | None = None
) -> tuple[PageImage, PreprocessReport]:
    opts = opts or PreprocessOptions()
    steps: list[str] = []
    out, step = normalise_resolution(page, opts)
    if step:
        steps.append(step)
    report = PreprocessReport(
        page=page.index,
        input_size=(page.width, page.height),
        output_size=(out.width, out.height),
        input_dpi=page.dpi,
        output_dpi=out.dpi,
        dpi_source=page.dpi_source,
        steps=tuple(steps),
    )
    return out, report


def is_blank(pixels: np.ndarray, ink_threshold: int = 128, min_ink_ratio: float = 0.0005) -> bool:
    """A page with almost no dark pixels (or almost only dark ones) has no text to read."""
    dark = float(np.count_nonzero(pixels < ink_threshold)) / pixels.size
    return dark < min_ink_ratio or dark > 1 - min_ink_ratio

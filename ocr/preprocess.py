"""Page preprocessing before OCR: pure functions over grayscale pixels, each reporting what it did.

Order, and why:
1. invert      white-on-black pages first: every later step assumes dark ink on light paper.
2. denoise     at the scan's own resolution, before resizing spreads a speck over four pixels.
3. showthrough a grey layer of the other side's print, lifted to paper away from the ink, on the
               scan's own pixels (before the resize interpolates it into the glyph edges).
4. borders     dark scanner borders and punch holes would otherwise dominate the skew profile.
5. dpi         a missing or implausible resolution is replaced by one judged from text height.
6. orientation quarter turns, on a 150 dpi analysis shared with the skew estimate.
7. deskew      the angle is measured, then applied only when confident and within the cap.
8. resolution  rotation and resizing share one resampling (one interpolation, one pass); 1-bit
               pages of 200 dpi or more are not enlarged.
9. sharpen     unsharp mask at the final resolution (resizing and JPEG soften glyph edges),
               except on speckled pages and pages about to be thresholded; 1-bit pages are
               anti-aliased instead.
10. binarise   last, at the final resolution; by default only where the paper is too uneven for
               Tesseract's own global threshold (see ocr/binarise.py).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ocr import binarise
from ocr.analysis import PageAnalysis, analyse
from ocr.borders import remove_borders
from ocr.denoise import denoise, measure_noise
from ocr.deskew import estimate_skew_from
from ocr.drawings import remove_drawings
from ocr.errors import PreprocessError
from ocr.imageops import rotate_bound, rotate_quarter, scaled
from ocr.invert import invert, is_inverted
from ocr.models import PageImage, PreprocessReport
from ocr.orientation import detect_orientation
from ocr.resolution import dpi_from_text, plausible_dpi, resize_factor
from ocr.sharpen import is_bitonal, sharpen, smooth_bitonal
from ocr.showthrough import measure_showthrough, remove_showthrough


@dataclass(frozen=True)
class PreprocessOptions:
    """Which steps run and their limits (mirrors flows.settings.PreprocessSettings)."""

    target_dpi: float = 300.0
    upsample_below: float = 250.0
    """Pages below this resolution are resized to target_dpi (Tesseract is trained near 300 dpi)."""
    downsample_above: float = 600.0
    bitonal_upsample_below: float = 200.0
    """1-bit pages at or above this resolution are read at their own: resizing a 1-bit image only
    enlarges its staircase edges (measured on the G4 pages of the degraded benchmark)."""
    resolution: bool = True
    estimate_dpi: bool = True
    invert: bool = True
    denoise: bool = True
    specks: Literal["fill", "median"] = "fill"
    """How denoise replaces specks: the mean of their speck-free neighbours, or the 3x3 median."""
    showthrough: bool = True
    borders: bool = True
    orientation: Literal["fast", "osd", "off"] = "fast"
    min_orientation_confidence: float = 0.15
    deskew: bool = True
    max_skew: float = 8.0
    """Skews are searched within +-max_skew; an estimate at the edge of the range is not applied."""
    min_skew: float = 0.1
    """Smaller skews are left alone: Tesseract copes, and resampling would only blur."""
    min_skew_confidence: float = 0.1
    drawings: bool = False
    """Paint line-art regions (a patent's front-page drawing) paper-coloured before OCR; off by
    default until the benchmark has measured it (bench/run.py ablation `drawings`)."""
    sharpen: bool = True
    binarise: Literal["auto", "otsu", "sauvola", "flatten", "off"] = "auto"


def normalise_resolution(page: PageImage, opts: PreprocessOptions) -> tuple[PageImage, str | None]:
    """Resize a page whose resolution is far from the target; return the new page and a step name."""
    factor = resize_factor(page.dpi, opts.target_dpi, opts.upsample_below, opts.downsample_above)
    if factor == 1.0:
        return page, None
    pixels = scaled(page.pixels, factor)
    step = f"resize:{page.dpi:.0f}->{opts.target_dpi:.0f}dpi"
    return PageImage(page.index, pixels, opts.target_dpi, page.dpi_source), step


def preprocess(
    page: PageImage, opts: PreprocessOptions | None = None
) -> tuple[PageImage, PreprocessReport]:
    """Run the enabled steps in order; never raises for content, only for broken pixels."""
    opts = opts or PreprocessOptions()
    if page.pixels.dtype != np.uint8 or page.pixels.ndim != 2:
        raise PreprocessError(f"page {page.index + 1}: expected 8-bit grayscale pixels")
    started = time.perf_counter()
    gray = page.pixels
    dpi, dpi_source = page.dpi, page.dpi_source
    bitonal = is_bitonal(gray)
    steps: list[str] = []
    info: dict[str, object] = {}

    if opts.invert and is_inverted(gray):
        gray = invert(gray)
        steps.append("invert")
        info["inverted"] = True

    despeckled = False
    if opts.denoise:
        noise = measure_noise(gray)
        info.update(noise_impulse=noise.impulse, noise_sigma=noise.sigma)
        gray, applied = denoise(gray, noise, specks=opts.specks)
        steps += [f"denoise:{s}" for s in applied]
        despeckled = "median3" in applied or "fill-specks" in applied

    if opts.showthrough and not bitonal:
        shown = measure_showthrough(gray, dpi)
        info["showthrough"] = shown.fraction
        gray, lifted = remove_showthrough(gray, dpi, shown)
        if lifted:
            steps.append(f"showthrough:{shown.fraction:.1%}")

    if opts.borders:
        gray, borders = remove_borders(gray, dpi)
        info.update(border_fraction=borders.border_fraction, punch_holes=borders.holes)
        if borders.border_fraction:
            steps.append(f"borders:{borders.border_fraction:.1%}")
        if borders.holes:
            steps.append(f"punch-holes:{borders.holes}")

    analysis = analyse(gray, dpi)
    rotation = 0
    if opts.orientation != "off":
        rotation = _orientation(gray, dpi, analysis, opts, info)
        if rotation:
            gray = rotate_quarter(gray, rotation)
            analysis = analysis.turned(rotation)
            steps.append(f"rotate:{rotation}")

    if opts.estimate_dpi and (
        dpi_source == "assumed" or not plausible_dpi(dpi, gray.shape[1], gray.shape[0])
    ):
        text_dpi = dpi_from_text(gray)
        info["text_dpi"] = text_dpi
        if text_dpi is not None and plausible_dpi(text_dpi, gray.shape[1], gray.shape[0]):
            steps.append(f"dpi:{dpi:.0f}({dpi_source})->{text_dpi:.0f}(text height)")
            analysis = dataclasses.replace(analysis, dpi=analysis.dpi * text_dpi / dpi)
            dpi, dpi_source = text_dpi, "estimated"

    angle = 0.0
    if opts.deskew:
        skew = estimate_skew_from(analysis, opts.max_skew)
        info.update(skew_angle=skew.angle, skew_confidence=skew.confidence)
        if (
            skew.confidence >= opts.min_skew_confidence
            and opts.min_skew <= abs(skew.angle) <= opts.max_skew - 0.5
        ):
            angle = skew.angle
            steps.append(f"deskew:{angle:+.2f}")

    factor = 1.0
    if opts.resolution:
        factor = resize_factor(dpi, opts.target_dpi, opts.upsample_below, opts.downsample_above)
        if bitonal and factor > 1.0 and dpi >= opts.bitonal_upsample_below:
            factor = 1.0
        if factor != 1.0:
            steps.append(f"resize:{dpi:.0f}->{dpi * factor:.0f}dpi")
    if angle:
        gray = rotate_bound(gray, -angle, factor)
    elif factor != 1.0:
        gray = scaled(gray, factor)
    out_dpi = dpi * factor

    if opts.drawings:
        gray, drawn = remove_drawings(gray, out_dpi)
        if drawn.regions:
            info.update(drawing_regions=drawn.regions, drawing_fraction=drawn.fraction)
            steps.append(f"drawings:{len(drawn.regions)}:{drawn.fraction:.1%}")

    choice = binarise.choose(gray, out_dpi, opts.binarise) if opts.binarise != "off" else None
    thresholded = choice is not None and choice.method in ("otsu", "sauvola")

    # Not on speckled pages (whatever specks are left would be sharpened back) nor before a
    # hard threshold (sharpened grain becomes specks); both measured. 1-bit pages are smoothed
    # instead: their staircase edges read better anti-aliased.
    if opts.sharpen and bitonal:
        gray = smooth_bitonal(gray, out_dpi)
        steps.append("smooth-bitonal")
    elif opts.sharpen and not thresholded and not despeckled:
        gray = sharpen(gray, out_dpi)
        steps.append("sharpen")

    if choice is not None:
        gray, bin_report = binarise.apply(gray, out_dpi, choice)
        info.update(
            binarisation=bin_report.method,
            threshold=bin_report.threshold,
            background_range=bin_report.background_range,
            darkest_paper=bin_report.darkest_paper,
            otsu_threshold=bin_report.otsu_threshold,
        )
        if bin_report.method != "none":
            steps.append(f"binarise:{bin_report.method}")

    gray = np.ascontiguousarray(gray)
    report = PreprocessReport(
        page=page.index,
        input_size=(page.width, page.height),
        output_size=(int(gray.shape[1]), int(gray.shape[0])),
        input_dpi=page.dpi,
        output_dpi=round(out_dpi, 2),
        dpi_source=dpi_source,
        steps=tuple(steps),
        rotation=rotation,
        seconds=round(time.perf_counter() - started, 4),
        **info,  # type: ignore[arg-type]
    )
    return PageImage(page.index, gray, round(out_dpi, 2), dpi_source), report


def _orientation(
    gray: np.ndarray,
    dpi: float,
    analysis: PageAnalysis,
    opts: PreprocessOptions,
    info: dict[str, object],
) -> int:
    if opts.orientation == "osd":
        from ocr.tesseract import detect_orientation_osd

        osd = detect_orientation_osd(gray, dpi)
        info.update(orientation_method="osd", orientation_confidence=osd.confidence)
        return osd.rotation if osd.confidence >= 1.0 else 0
    found = detect_orientation(analysis, opts.max_skew)
    info.update(orientation_method="fast", orientation_confidence=found.confidence)
    return found.rotation if found.confidence >= opts.min_orientation_confidence else 0


def is_blank(pixels: np.ndarray, ink_threshold: int = 128, min_ink_ratio: float = 0.0005) -> bool:
    """A page with almost no dark pixels (or almost only dark ones) has no text to read."""
    dark = float(np.count_nonzero(pixels < ink_threshold)) / pixels.size
    return dark < min_ink_ratio or dark > 1 - min_ink_ratio

"""Decode a scanned document (image file, multi-page TIFF, PDF, or folder of page images) into pages.

The format is detected from the file's first bytes, never from its name, and every limit is checked
before the pixels are decoded, so a decompression bomb or a 2,000-page TIFF costs nothing to refuse.
"""

from __future__ import annotations

import os
import re
import stat
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ocr.errors import InputError, LimitExceededError, UnsafeInputError, UnsupportedFormatError
from ocr.models import PageImage

IMAGE_FORMATS = {"png", "jpeg", "tiff"}
SUPPORTED_FORMATS = IMAGE_FORMATS | {"pdf"}
PLAUSIBLE_DPI = (70.0, 1200.0)

PDFIUM_LOCK = threading.Lock()
"""PDFium is not thread-safe, not even across documents: every call into it holds this lock."""


@dataclass(frozen=True)
class IngestLimits:
    max_pixels: int = 120_000_000
    max_pages: int = 500
    max_file_bytes: int = 2_000_000_000
    pdf_dpi: float = 300.0
    assumed_dpi: float = 300.0


def sniff_format(path: Path) -> str:
    """Return 'png', 'jpeg', 'tiff', 'pdf' or raise UnsupportedFormatError, from the magic bytes."""
    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
    except OSError as exc:
        raise InputError(
            f"cannot read {path.name}: {exc.strerror or exc}", reason="io-error"
        ) from exc
    if not head:
        raise InputError(f"{path.name} is empty (0 bytes)", reason="empty-file")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if b"%PDF-" in head:
        return "pdf"
    raise UnsupportedFormatError(
        f"{path.name} is not a PNG, JPEG, TIFF or PDF file (first bytes {head[:8]!r})"
    )


def natural_key(name: str) -> list[object]:
    """Sort key that puts page-2 before page-10."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def page_files(folder: Path) -> list[Path]:
    """The page images of a folder document, in natural order (hidden files ignored).

    A folder inside a folder document, or a FIFO/device/socket, is refused rather than skipped:
    nothing in an input is silently left out."""
    files = []
    for p in folder.iterdir():
        if p.name.startswith("."):
            continue
        if p.is_dir():
            raise InputError(
                f"folder document {folder.name} holds a folder ({p.name}); a folder document is "
                "one flat folder of page images",
                reason="nested-folder",
            )
        files.append(p)
    return sorted(files, key=lambda p: natural_key(p.name))


def check_regular_file(path: Path) -> None:
    """Refuse what is not a regular file (a FIFO would block the reader forever)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError as exc:
        if path.is_symlink():
            raise InputError(
                f"{path.name} is a broken symbolic link", reason="broken-link"
            ) from exc
        raise InputError(f"{path.name} does not exist", reason="missing-input") from exc
    except OSError as exc:
        raise InputError(
            f"cannot read {path.name}: {exc.strerror or exc}", reason="io-error"
        ) from exc
    if not stat.S_ISREG(mode):
        raise UnsafeInputError(
            f"{path.name} is not a regular file (a FIFO, socket or device); it is not read",
            reason="not-a-regular-file",
        )


def iter_pages(source: Path, limits: IngestLimits | None = None) -> Iterator[PageImage]:
    """Yield the pages of a document one at a time (memory stays at one page)."""
    limits = limits or IngestLimits()
    files = page_files(source) if source.is_dir() else [source]
    if not files:
        raise InputError(f"folder {source.name} holds no page images", reason="empty-folder")
    index = 0
    for file in files:
        for page in _iter_file(file, limits, first_index=index):
            if page.index >= limits.max_pages:
                raise LimitExceededError(
                    f"{source.name} has more than {limits.max_pages} pages (max_pages)"
                )
            yield page
            index = page.index + 1


def count_pages(source: Path, limits: IngestLimits | None = None) -> int:
    """Number of pages without decoding pixels (for progress bars and limits)."""
    limits = limits or IngestLimits()
    files = page_files(source) if source.is_dir() else [source]
    total = 0
    for file in files:
        fmt = sniff_format(file)
        if fmt == "pdf":
            total += _pdf_page_count(file)
        else:
            with _open_image(file) as img:
                total += getattr(img, "n_frames", 1)
    return total


def _iter_file(path: Path, limits: IngestLimits, first_index: int) -> Iterator[PageImage]:
    check_regular_file(path)
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise LimitExceededError(f"{path.name} is {size} bytes, over max_file_bytes")
    fmt = sniff_format(path)
    if fmt == "pdf":
        yield from _iter_pdf(path, limits, first_index)
    else:
        yield from _iter_image(path, limits, first_index)


def _open_image(path: Path) -> Image.Image:
    """Open (read the header only). Our own max_pixels check follows, before any decoding;
    PIL's built-in bomb check (an error above ~179 MP) is reported as the limit it is."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(path)
    except Image.DecompressionBombError as exc:
        raise LimitExceededError(
            f"{path.name} declares too many pixels (decompression bomb?): {exc}"
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InputError(f"{path.name} cannot be decoded: {exc}", reason="corrupt-image") from exc


def _iter_image(path: Path, limits: IngestLimits, first_index: int) -> Iterator[PageImage]:
    img = _open_image(path)
    try:
        n_frames = getattr(img, "n_frames", 1)
        if first_index + n_frames > limits.max_pages:
            raise LimitExceededError(
                f"{path.name} has {n_frames} pages, over the limit of {limits.max_pages} (max_pages)"
            )
        for frame in range(n_frames):
            try:
                img.seek(frame)
                w, h = img.size
                if w * h > limits.max_pixels:
                    raise LimitExceededError(
                        f"{path.name} page {frame + 1} is {w}x{h} pixels, over max_pixels "
                        f"({limits.max_pixels})"
                    )
                if w < 16 or h < 16:
                    raise InputError(
                        f"{path.name} page {frame + 1} is only {w}x{h} pixels", reason="too-small"
                    )
                dpi, dpi_source = _image_dpi(img, limits)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    frame_img = ImageOps.exif_transpose(img) if frame == 0 else img.copy()
                    pixels = to_gray(frame_img)
            except (OSError, SyntaxError, ValueError, EOFError) as exc:
                raise InputError(
                    f"{path.name} page {frame + 1} cannot be decoded: {exc}", reason="corrupt-image"
                ) from exc
            yield PageImage(first_index + frame, pixels, dpi, dpi_source)
    finally:
        img.close()


def _image_dpi(img: Image.Image, limits: IngestLimits) -> tuple[float, str]:
    raw = img.info.get("dpi")
    try:
        dpi = float(raw[0]) if raw else 0.0
    except (TypeError, ValueError, IndexError):
        dpi = 0.0
    if PLAUSIBLE_DPI[0] <= dpi <= PLAUSIBLE_DPI[1]:
        return dpi, "file"
    paper = dpi_from_paper_size(*img.size)
    if paper is not None:
        return paper, "paper-size"
    return limits.assumed_dpi, "assumed"


def dpi_from_paper_size(width: int, height: int) -> float | None:
    """Resolution of a page whose proportions are those of US Letter (8.5 x 11 in) or A4
    (8.27 x 11.69 in), from its short side; None for other shapes."""
    short, long_ = sorted((width, height))
    ratio = long_ / short
    if abs(ratio - 11 / 8.5) < 0.03:
        dpi = short / 8.5
    elif abs(ratio - 11.69 / 8.27) < 0.03:
        dpi = short / 8.27
    else:
        return None
    return round(dpi, 1) if PLAUSIBLE_DPI[0] <= dpi <= PLAUSIBLE_DPI[1] else None


def to_gray(img: Image.Image) -> np.ndarray:
    """8-bit grayscale pixels from any PIL mode (1-bit, 16-bit, RGBA, CMYK, palette...)."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        scaled = (arr - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(arr)
        return np.ascontiguousarray(scaled.astype(np.uint8))
    if img.mode in ("RGBA", "LA", "P", "PA"):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    return np.ascontiguousarray(np.asarray(img.convert("L"), dtype=np.uint8))


def _pdf_page_count(path: Path) -> int:
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as exc:
            raise _pdf_open_error(path, exc) from exc
        try:
            return len(pdf)
        finally:
            pdf.close()


def _pdf_open_error(path: Path, exc: Exception) -> InputError:
    """Why PDFium refused a file. Its error code is not reset between calls (a PDF with no pages
    fails with whatever the previous failure was), so look at the file itself too."""
    head, tail = _pdf_ends(path)
    if b"/Encrypt" in tail or b"/Encrypt" in head:
        return InputError(
            f"{path.name} is an encrypted (password-protected) PDF; remove the password first",
            reason="encrypted-pdf",
        )
    data = head + tail
    if re.search(rb"/Count\s+0\b", data) and not re.search(rb"/Count\s+[1-9]", data):
        return InputError(f"{path.name} is a PDF with no pages", reason="empty-pdf")
    return InputError(
        f"{path.name} is not a readable PDF (damaged or truncated): {exc}", reason="corrupt-pdf"
    )


def _pdf_ends(path: Path, size: int = 1 << 20) -> tuple[bytes, bytes]:
    with path.open("rb") as fh:
        head = fh.read(size)
        fh.seek(0, os.SEEK_END)
        end = fh.tell()
        fh.seek(max(len(head), end - size))
        return head, fh.read(size)


def _iter_pdf(path: Path, limits: IngestLimits, first_index: int) -> Iterator[PageImage]:
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as exc:
            raise _pdf_open_error(path, exc) from exc
        n = len(pdf)
    try:
        if n == 0:
            raise InputError(f"{path.name} is a PDF with no pages", reason="empty-pdf")
        if first_index + n > limits.max_pages:
            raise LimitExceededError(
                f"{path.name} has {n} pages, over the limit of {limits.max_pages} (max_pages)"
            )
        scale = limits.pdf_dpi / 72.0
        for i in range(n):
            with PDFIUM_LOCK:
                pixels = _render_pdf_page(pdf, i, path, limits, scale)
            yield PageImage(first_index + i, pixels, limits.pdf_dpi, "pdf-render")
    finally:
        with PDFIUM_LOCK:
            pdf.close()


def _render_pdf_page(
    pdf: object, i: int, path: Path, limits: IngestLimits, scale: float
) -> np.ndarray:
    """Render page i in grey (the caller holds PDFIUM_LOCK); the page size is checked first."""
    import pypdfium2 as pdfium

    try:
        page = pdf[i]  # type: ignore[index]
    except pdfium.PdfiumError as exc:
        raise InputError(
            f"{path.name} page {i + 1} cannot be loaded: {exc}", reason="corrupt-pdf"
        ) from exc
    try:
        w_pt, h_pt = page.get_size()
        if (w_pt * scale) * (h_pt * scale) > limits.max_pixels:
            raise LimitExceededError(
                f"{path.name} page {i + 1} is {w_pt:.0f}x{h_pt:.0f} pt; at "
                f"{limits.pdf_dpi:.0f} dpi that is over max_pixels ({limits.max_pixels})"
            )
        bitmap = page.render(scale=scale, grayscale=True)
        try:
            return to_gray(bitmap.to_pil())
        finally:
            bitmap.close()
    except pdfium.PdfiumError as exc:
        raise InputError(
            f"{path.name} page {i + 1} cannot be rendered: {exc}", reason="corrupt-pdf"
        ) from exc
    finally:
        page.close()

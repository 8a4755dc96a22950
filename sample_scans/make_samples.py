"""Regenerate the sample scans in this folder from the shared US front-page set.

Maintainer tool, not run by the tests. Usage::

    .venv/bin/python sample_scans/make_samples.py ../shared/data/us-frontpages

The output is deterministic: no random numbers, no timestamps, fixed encoder settings
(byte-identical with the same Pillow/libjpeg/libtiff/OpenCV build). Only the scans are written;
the expected fields in ``expected/`` were read off the page images by a person and are not
generated here (see README.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

#: resolution of the source renders (1758 x 2275 px for a US letter page = 206.8 dpi)
SOURCE_DPI = 207
#: resolution of the bitonal Group 4 TIFF
G4_DPI = 300
JPEG_QUALITY = 85
EXIF_ORIENTATION = 0x0112

#: (output name, how it is made, source page ids); the first id is page 1, the page that
#: expected/<stem>.fields.json describes.
DOCUMENTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("us_10142403.png", "png", ("us_021",)),
    ("us_9881474.jpg", "jpeg_exif6", ("computer_vision_6",)),
    ("us_10142969.tif", "g4_tiff", ("us_059", "us_065")),
    ("us_10142867.pdf", "pdf", ("us_097",)),
    ("us_10142966", "folder", ("us_060", "us_084")),
    ("us_10143085.png", "png_no_dpi", ("us_025",)),
    ("us_10135921.tif", "lzw_tiff", ("crypto_6",)),
)


def load(src: Path, page_id: str) -> Image.Image:
    with Image.open(src / "images" / f"{page_id}.png") as im:
        return im.convert("L")


def save_png(im: Image.Image, path: Path, dpi: int | None = SOURCE_DPI) -> None:
    kwargs: dict[str, object] = {"optimize": True}
    if dpi is not None:
        kwargs["dpi"] = (dpi, dpi)
    im.save(path, "PNG", **kwargs)


def make_jpeg_exif6(upright: Image.Image, path: Path) -> None:
    """Store the page turned 90 degrees counter-clockwise and tag it Orientation=6.

    Orientation 6 means "rotate 90 degrees clockwise to display", so a viewer (or
    ``PIL.ImageOps.exif_transpose``) that honours the tag shows the page upright again.
    """
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # ROTATE_90 is counter-clockwise
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    stored.save(
        path,
        "JPEG",
        quality=JPEG_QUALITY,
        optimize=True,
        dpi=(SOURCE_DPI, SOURCE_DPI),
        exif=exif.tobytes(),
    )
    # Check: the transposed file must match the upright page far better than any other turn.
    with Image.open(path) as check:
        shown = ImageOps.exif_transpose(check)
        if shown.size != upright.size:
            raise RuntimeError(f"{path}: EXIF-transposed size {shown.size} != {upright.size}")
        err = np.abs(np.asarray(shown, np.int16) - np.asarray(upright, np.int16)).mean()
        flipped = upright.transpose(Image.Transpose.ROTATE_180)
        err_180 = np.abs(np.asarray(shown, np.int16) - np.asarray(flipped, np.int16)).mean()
        if not err < 2.0 < err_180:
            raise RuntimeError(f"{path}: not upright after exif_transpose ({err=}, {err_180=})")


def to_bitonal_300dpi(im: Image.Image) -> Image.Image:
    """Upscale by 300/207 (Lanczos), then Otsu-threshold to 1 bit."""
    scale = G4_DPI / SOURCE_DPI
    size = (round(im.width * scale), round(im.height * scale))
    big = np.asarray(im.resize(size, Image.Resampling.LANCZOS), dtype=np.uint8)
    _, bw = cv2.threshold(big, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return Image.fromarray(bw).convert("1", dither=Image.Dither.NONE)


def make_g4_tiff(pages: list[Image.Image], path: Path) -> None:
    bitonal = [to_bitonal_300dpi(p) for p in pages]
    bitonal[0].save(
        path,
        "TIFF",
        compression="group4",
        dpi=(G4_DPI, G4_DPI),
        save_all=True,
        append_images=bitonal[1:],
    )


def make_pdf(im: Image.Image, path: Path) -> None:
    # Pillow embeds an 8-bit grey page as a JPEG (DCTDecode) stream; the page size follows
    # from the resolution: 1758 x 2275 px at 207 dpi = 611.5 x 791.3 pt (US letter).
    # No CreationDate/ModDate (Pillow would stamp the current time), so the file is reproducible.
    im.save(
        path,
        "PDF",
        resolution=float(SOURCE_DPI),
        quality=JPEG_QUALITY,
        title=path.stem,
        creationDate=None,
        modDate=None,
    )


def make_folder(first: Image.Image, last: Image.Image, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    save_png(first, folder / "page-1.png")
    save_png(Image.new("L", first.size, 255), folder / "page-2.png")  # blank white page
    save_png(last, folder / "page-10.png")


def make_lzw_tiff(im: Image.Image, path: Path) -> None:
    im.save(path, "TIFF", compression="tiff_lzw", dpi=(SOURCE_DPI, SOURCE_DPI))


def build(src: Path, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, kind, ids in DOCUMENTS:
        pages = [load(src, pid) for pid in ids]
        path = out / name
        if kind == "png":
            save_png(pages[0], path)
        elif kind == "png_no_dpi":
            save_png(pages[0], path, dpi=None)
        elif kind == "jpeg_exif6":
            make_jpeg_exif6(pages[0], path)
        elif kind == "g4_tiff":
            make_g4_tiff(pages, path)
        elif kind == "pdf":
            make_pdf(pages[0], path)
        elif kind == "folder":
            make_folder(pages[0], pages[1], path)
        elif kind == "lzw_tiff":
            make_lzw_tiff(pages[0], path)
        else:
            raise ValueError(f"unknown kind {kind!r}")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("frontpages", type=Path, help="path to shared/data/us-frontpages")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent / "documents",
        help="output folder (default: documents/ beside this script)",
    )
    args = parser.parse_args(argv)
    if not (args.frontpages / "images").is_dir():
        parser.error(f"{args.frontpages} has no images/ folder")
    for path in build(args.frontpages, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

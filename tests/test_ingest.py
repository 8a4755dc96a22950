from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ocr.errors import InputError, LimitExceededError, UnsupportedFormatError
from ocr.ingest import IngestLimits, count_pages, dpi_from_paper_size, iter_pages, sniff_format
from tests.conftest import SAMPLES

DOCS = SAMPLES / "documents"


def test_png_dpi_read_from_file() -> None:
    pages = list(iter_pages(DOCS / "us_10142403.png"))
    assert len(pages) == 1
    assert pages[0].dpi_source == "file"
    assert pages[0].dpi == pytest.approx(207, abs=0.5)
    assert pages[0].pixels.dtype == np.uint8 and pages[0].pixels.ndim == 2


def test_png_without_dpi_gets_it_from_letter_paper_size() -> None:
    (page,) = iter_pages(DOCS / "us_10143085.png")
    assert page.dpi_source == "paper-size"
    assert page.dpi == pytest.approx(1758 / 8.5, abs=0.2)


def test_jpeg_exif_orientation_is_honoured() -> None:
    (page,) = iter_pages(DOCS / "us_9881474.jpg")
    # stored landscape (turned 90 degrees), read back as the upright portrait page
    assert page.height > page.width


def test_multipage_g4_tiff() -> None:
    with Image.open(DOCS / "us_10142969.tif") as img:
        assert img.info.get("compression") == "group4"
    pages = list(iter_pages(DOCS / "us_10142969.tif"))
    assert [p.index for p in pages] == [0, 1]
    assert all(p.dpi == pytest.approx(300) for p in pages)
    assert set(np.unique(pages[0].pixels)) <= {0, 255}


def test_pdf_is_rasterised_at_the_requested_dpi() -> None:
    (page,) = iter_pages(DOCS / "us_10142867.pdf", IngestLimits(pdf_dpi=300))
    assert page.dpi_source == "pdf-render"
    assert page.width == pytest.approx(8.5 * 300, abs=2)


def test_folder_pages_in_natural_order() -> None:
    folder = DOCS / "us_10142966"
    pages = list(iter_pages(folder))
    assert len(pages) == 3
    # page-2.png is the blank page: natural order puts it second, before page-10.png
    assert pages[1].pixels.min() == 255
    assert pages[0].pixels.min() < 128 and pages[2].pixels.min() < 128
    assert count_pages(folder) == 3


def test_format_is_sniffed_from_bytes_not_name(tmp_path: Path) -> None:
    fake = tmp_path / "letter.tif"
    fake.write_text("Dear examiner, ...")
    with pytest.raises(UnsupportedFormatError):
        sniff_format(fake)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        list(iter_pages(empty))


def test_truncated_png_is_an_input_error(tmp_path: Path) -> None:
    data = (DOCS / "us_10142403.png").read_bytes()
    bad = tmp_path / "cut.png"
    bad.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError) as info:
        list(iter_pages(bad))
    assert info.value.stage == "ingest"


def test_pixel_limit_checked_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    Image.new("L", (3000, 3000), 255).save(path)
    with pytest.raises(LimitExceededError, match="max_pixels"):
        list(iter_pages(path, IngestLimits(max_pixels=1_000_000)))


def test_page_limit(tmp_path: Path) -> None:
    path = tmp_path / "many.tif"
    frames = [Image.new("1", (64, 64), 1) for _ in range(5)]
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="group4")
    with pytest.raises(LimitExceededError, match="max_pages"):
        list(iter_pages(path, IngestLimits(max_pages=3)))


def test_sixteen_bit_and_cmyk_become_8_bit_gray(tmp_path: Path) -> None:
    arr = (np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) * 16).astype(np.uint16)
    p16 = tmp_path / "deep.png"
    Image.fromarray(arr).save(p16)
    (page,) = iter_pages(p16)
    assert page.pixels.dtype == np.uint8 and page.pixels.max() == 255
    cmyk = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (64, 64), (0, 0, 0, 0)).save(cmyk)
    (page,) = iter_pages(cmyk)
    assert page.pixels.dtype == np.uint8


def test_paper_size_dpi() -> None:
    assert dpi_from_paper_size(2550, 3300) == pytest.approx(300)
    assert dpi_from_paper_size(2480, 3508) == pytest.approx(300, abs=0.5)
    assert dpi_from_paper_size(1000, 1000) is None

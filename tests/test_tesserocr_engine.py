"""The in-process engine (tesserocr) against the `tesseract` program's recorded output, its
typed errors and timeout, crop re-reads, and which engine `ocr.engine` selects.

Skipped as a whole when tesserocr (the `fast` extra) or Tesseract's language data is missing.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from ocr import engines, tesserocr_engine
from ocr.errors import LanguageMissingError, OcrError, OcrTimeoutError, TesseractMissingError
from ocr.reread import CropReader
from ocr.tesseract import parse_tsv
from tests.conftest import RESOURCES, SAMPLES, draw_label_page

pytest.importorskip("tesserocr", reason="tesserocr is not installed (pip install '.[fast]')")
if tesserocr_engine.find_tessdata() is None:
    pytest.skip("no Tesseract language data (tesseract-ocr-eng)", allow_module_level=True)

PAGE = SAMPLES / "documents" / "us_10142403.png"
RECORDED = RESOURCES / "us_10142403.tsv"  # the CLI's TSV of PAGE at --psm 3 --dpi 207


@pytest.fixture(autouse=True)
def fresh_choice() -> None:
    engines.resolve.cache_clear()
    tesserocr_engine.probe.cache_clear()


@pytest.fixture(scope="module")
def page_ocr():  # type: ignore[no-untyped-def]
    return tesserocr_engine.TesserocrEngine().recognise(PAGE, index=2, dpi=207)


def test_words_boxes_and_confidences_agree_with_the_tesseract_program(page_ocr) -> None:  # type: ignore[no-untyped-def]
    cli_words, cli_size = parse_tsv(RECORDED.read_text())
    assert (page_ocr.width, page_ocr.height) == cli_size
    got = Counter(w.text for w in page_ocr.words)
    want = Counter(w.text for w in cli_words)
    agreement = sum((got & want).values()) / max(sum(got.values()), sum(want.values()))
    assert agreement >= 0.95, (got - want, want - got)
    # the same word at the same place: boxes come from the same layout analysis
    cli_boxes = {(w.text, w.bbox) for w in cli_words}
    same_box = sum((w.text, w.bbox) in cli_boxes for w in page_ocr.words)
    assert same_box >= 0.9 * len(page_ocr.words)
    mean_cli = sum(w.confidence for w in cli_words) / len(cli_words)
    assert abs(page_ocr.mean_confidence - mean_cli) < 0.03
    assert all(0.0 <= w.confidence <= 1.0 for w in page_ocr.words)
    assert {w.block for w in page_ocr.words} == {w.block for w in cli_words}


def test_page_result_says_which_engine_read_it(page_ocr) -> None:  # type: ignore[no-untyped-def]
    assert page_ocr.index == 2 and page_ocr.dpi == 207
    assert page_ocr.engine == "tesserocr"
    assert page_ocr.engine_version.startswith("5.") and "tesserocr" in page_ocr.engine_version
    assert page_ocr.seconds > 0


def test_one_instance_per_thread_reused_across_calls() -> None:
    first = tesserocr_engine._api("eng")
    assert tesserocr_engine._api("eng") is first
    other: list[object] = []
    thread = threading.Thread(target=lambda: other.append(tesserocr_engine._api("eng")))
    thread.start()
    thread.join()
    assert other and other[0] is not first


def test_timeout_is_a_retryable_typed_error() -> None:
    with pytest.raises(OcrTimeoutError) as caught:
        tesserocr_engine.TesserocrEngine(timeout=0.01).recognise(PAGE, index=0, dpi=207)
    assert caught.value.retryable and "ocr.timeout" in caught.value.message
    # the instance is still usable afterwards
    words = tesserocr_engine.TesserocrEngine().recognise(PAGE, index=0, dpi=207).words
    assert len(words) > 100


@pytest.mark.parametrize("content", [b"garbage, not an image\n", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"])
def test_unreadable_page_image_is_an_ocr_error(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "page-0001.pgm"
    bad.write_bytes(content)
    with pytest.raises(OcrError) as caught:
        tesserocr_engine.TesserocrEngine().recognise(bad, index=0, dpi=300)
    assert caught.value.stage == "ocr" and "page 1" in caught.value.message


def test_missing_page_image_is_an_ocr_error(tmp_path: Path) -> None:
    with pytest.raises(OcrError):
        tesserocr_engine.TesserocrEngine().recognise(tmp_path / "absent.pgm", index=0, dpi=300)


def test_missing_language_is_the_fatal_typed_error() -> None:
    with pytest.raises(LanguageMissingError) as caught:
        tesserocr_engine.TesserocrEngine(lang="eng+zzz").recognise(PAGE, index=0, dpi=207)
    assert "zzz" in caught.value.message and caught.value.exit_code == 4
    with pytest.raises(LanguageMissingError):
        engines.check("tesserocr", "tesseract", "zzz")


def test_tesserocr_not_installed_is_fatal_when_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tesserocr", None)  # import fails
    with pytest.raises(TesseractMissingError) as caught:
        engines.check("tesserocr", "tesseract", "eng")
    assert "fast" in caught.value.message
    assert engines.resolve("auto", "tesseract", "eng") in ("cli", "libtesseract")  # never it


def test_empty_or_blank_crop_is_no_confident_word_not_an_error() -> None:
    assert tesserocr_engine.recognise_crop(np.zeros((0, 50), dtype=np.uint8)) == []
    blank = np.full((40, 200), 255, dtype=np.uint8)
    # psm 7 forces one line: like the CLI, Tesseract may name a 0-confidence "word" on blank paper
    assert all(w.confidence < 0.3 for w in tesserocr_engine.recognise_crop(blank))


@pytest.fixture(scope="module")
def drawn_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return draw_label_page(tmp_path_factory.mktemp("crop"))


def test_crop_rereads_in_page_coordinates_and_whitelist(drawn_page: Path) -> None:
    pixels = cv2.imread(str(drawn_page), cv2.IMREAD_GRAYSCALE)
    assert pixels is not None
    words = tesserocr_engine.recognise_crop(
        np.ascontiguousarray(pixels[220:340, 40:900]), origin=(40, 220), psm=7
    )
    assert "2018" in " ".join(w.text for w in words)
    assert all(w.bbox[1] >= 220 and w.bbox[0] >= 40 for w in words)
    reader = CropReader({0: drawn_page}, budget=2, engine="tesserocr")
    number = reader(0, (300, 80, 900, 130), "number")
    assert number is not None and "15/947,048" in "".join(w.text for w in number)
    # the whitelist of one crop does not stay on the instance for the next reading
    date = reader(0, (40, 250, 700, 320), "date")
    assert date is not None and "Apr" in " ".join(w.text for w in date)


def test_crop_timeout_leaves_the_first_reading(drawn_page: Path) -> None:
    reader = CropReader({0: drawn_page}, engine="tesserocr", timeout=1e-6)
    assert reader(0, (40, 250, 700, 320), "date") is None  # a typed error, swallowed

"""The Tesseract wrapper under faults, in-process: each failure of the process becomes one typed
error (fake `tesseract` scripts through the engine's `cmd`, as the pipeline's setting does)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from badinput import pdf_encrypted, pdf_page
from faketess import fake_tesseract
from PIL import Image

from ocr.errors import (
    IpdError,
    LanguageMissingError,
    OcrError,
    OcrTimeoutError,
    TesseractMissingError,
)
from ocr.ingest import iter_pages
from ocr.tesseract import TesseractEngine, parse_tsv, probe


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "page.png"
    Image.new("L", (64, 64), 255).save(path)
    return path


@pytest.mark.parametrize(
    ("mode", "error", "reason", "retryable", "message"),
    [
        ("crash", OcrError, "ocr-crashed", False, "Tesseract crashed (SIGSEGV) on page 3"),
        (
            "fail",
            OcrError,
            "ocr-failed",
            False,
            "Tesseract failed (exit 1) on page 3: Error in pixReadStream",
        ),  # fmt: skip
        ("hang", OcrTimeoutError, "ocr-timeout", True, "Tesseract took longer than 1 s on page 3"),
        ("no-output", OcrError, "ocr-no-output", False, "Tesseract produced no output for page 3"),
        (
            "nolang",
            LanguageMissingError,
            "language-missing",
            False,
            "cannot load language data for 'eng'",
        ),  # fmt: skip
    ],
)
def test_each_failure_is_typed(
    tmp_path: Path, page: Path, mode: str, error: type[IpdError], reason: str,
    retryable: bool, message: str,
) -> None:  # fmt: skip
    engine = TesseractEngine(cmd=str(fake_tesseract(tmp_path / "bin", mode)), timeout=1.0)
    with pytest.raises(error) as err:
        engine.recognise(page, index=2, dpi=300)
    assert type(err.value) is error
    assert err.value.reason == reason and err.value.retryable is retryable
    assert message in err.value.message


def test_not_tesseract_at_all(tmp_path: Path) -> None:
    impostor = tmp_path / "tesseract"
    impostor.write_text("#!/bin/sh\necho 'hello, I am not Tesseract'\n")
    impostor.chmod(0o755)
    with pytest.raises(TesseractMissingError, match="does not answer like Tesseract"):
        probe(str(impostor))


def test_hostile_tsv_is_parsed_safely(tmp_path: Path, page: Path) -> None:
    """Invalid UTF-8, control characters, markup and broken rows from the OCR process."""
    tsv = tmp_path / "hostile.tsv"
    header = b"level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"  # fmt: skip
    tsv.write_bytes(
        header
        + b"1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t\n"
        + b"5\t1\t1\t1\t1\t1\t1\t1\t5\t5\t96\tA<B&C]]>\x01\x0c\n"
        + b"5\t1\t1\t1\t1\t2\t9\t1\t5\t5\t91\tbad\xff\xfeutf8\n"
        + b"5\t1\t1\t1\t1\t3\tx\ty\tz\tw\tnan\tbroken-row\n"
        + b"5\t1\t1\t1\t1\t4\t20\t1\t5\t5\tnan\tnot-a-number\n"
    )
    engine = TesseractEngine(cmd=str(fake_tesseract(tmp_path / "bin", "ok", tsv=tsv)))
    result = engine.recognise(page, index=0, dpi=300)
    texts = [w.text for w in result.words]
    assert texts == ["A<B&C]]>\x01", "bad\ufffd\ufffdutf8", "not-a-number"]
    assert result.words[2].confidence == 0.0
    assert parse_tsv("") == ([], (0, 0))


def test_pdf_pages_from_many_threads(tmp_path: Path) -> None:
    """PDFium is not thread-safe: ingest serialises it, so concurrent PDF documents (the batch's
    thread pool prepares several at once) all render correctly."""
    pdfs = []
    for i in range(4):
        path = tmp_path / f"doc-{i}.pdf"
        path.write_bytes(pdf_page())
        pdfs.append(path)
    results: dict[int, list[np.ndarray]] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for _ in range(10):
                results[i] = [p.pixels for p in iter_pages(pdfs[i])]
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    first = results[0][0]
    assert first.shape == (780, 600) and first.min() < 128  # rendered, with ink
    for pages in results.values():
        assert np.array_equal(pages[0], first)


def test_the_encrypted_pdf_of_the_corpus_is_real(tmp_path: Path) -> None:
    """The corpus's encrypted PDF opens with its password (so it is a genuine RC4-encrypted
    file, not a broken one), and ingest refuses it without: `encrypted-pdf`."""
    import pypdfium2 as pdfium

    from ocr.errors import InputError

    data = pdf_encrypted()
    pdf = pdfium.PdfDocument(data, password="secret")
    try:
        page = pdf[0]
        pixels = np.asarray(page.render(scale=300 / 72, grayscale=True).to_pil().convert("L"))
        page.close()
    finally:
        pdf.close()
    assert (pixels < 128).sum() > 1000  # the text was decrypted and drawn
    path = tmp_path / "locked.pdf"
    path.write_bytes(data)
    with pytest.raises(InputError) as err:
        list(iter_pages(path))
    assert err.value.reason == "encrypted-pdf"

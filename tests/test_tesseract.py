"""The Tesseract wrapper: TSV parsing, and real faults injected through the same `cmd` setting."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ocr.errors import LanguageMissingError, OcrError, OcrTimeoutError, TesseractMissingError
from ocr.tesseract import TesseractEngine, check_languages, parse_tsv, probe
from tests.conftest import SAMPLES

TSV = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
    "1\t1\t0\t0\t0\t0\t0\t0\t2548\t3297\t-1\t\n"
    "2\t1\t1\t0\t0\t0\t290\t500\t400\t40\t-1\t\n"
    "5\t1\t1\t1\t1\t1\t290\t504\t60\t30\t96.5\t(54)\n"
    "5\t1\t1\t1\t1\t2\t370\t504\t120\t30\t91.0\tCAMERA\n"
    "5\t1\t1\t1\t1\t3\t500\t504\t10\t30\t95.0\t \n"
)


def test_parse_tsv_words_boxes_and_confidences() -> None:
    words, size = parse_tsv(TSV)
    assert size == (2548, 3297)
    assert [w.text for w in words] == ["(54)", "CAMERA"]
    assert words[1].bbox == (370, 504, 490, 534)
    assert words[0].confidence == pytest.approx(0.965)


def _script(tmp_path: Path, body: str) -> str:
    """A stand-in `tesseract` that answers --version/--list-langs like the real one."""
    path = tmp_path / "tesseract"
    path.write_text(
        "#!/bin/sh\n"
        'case "$1" in\n'
        '  --version) echo "tesseract 5.3.0"; exit 0;;\n'
        '  --list-langs) echo "List of available languages (1):"; echo eng; exit 0;;\n'
        "esac\n" + body
    )
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


PAGE = SAMPLES / "documents" / "us_10142403.png"


def test_crashing_tesseract_is_a_typed_ocr_error(tmp_path: Path) -> None:
    cmd = _script(tmp_path, 'echo "Segmentation fault" >&2; kill -SEGV $$\n')
    with pytest.raises(OcrError) as info:
        TesseractEngine(cmd=cmd).recognise(PAGE, index=0, dpi=207)
    assert not info.value.retryable
    assert info.value.stage == "ocr"


def test_hanging_tesseract_times_out_and_is_retryable(tmp_path: Path) -> None:
    cmd = _script(tmp_path, "sleep 30\n")
    with pytest.raises(OcrTimeoutError) as info:
        TesseractEngine(cmd=cmd, timeout=1).recognise(PAGE, index=0, dpi=207)
    assert info.value.retryable


def test_missing_binary_says_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(TesseractMissingError, match="apt-get install tesseract-ocr"):
        probe(str(tmp_path / "no-such-tesseract"))


def test_missing_language_pack_names_the_package(tmp_path: Path) -> None:
    info = probe(_script(tmp_path, "exit 1\n"))
    with pytest.raises(LanguageMissingError, match="tesseract-ocr-jpn"):
        check_languages("eng+jpn", info)


@pytest.mark.usefixtures("tesseract_available")
def test_real_tesseract_reads_a_sample_page() -> None:
    page = TesseractEngine(lang="eng").recognise(PAGE, index=0, dpi=207)
    text = page.text()
    assert "United States Patent" in text
    assert page.engine_version.startswith("5.")
    assert 0.5 < page.mean_confidence <= 1.0
    assert all(0 <= w.bbox[0] < w.bbox[2] <= page.width for w in page.words)

"""The system's libtesseract in worker processes (`ocr.engine = "libtesseract"`, the default):
the same output as the `tesseract` program, one worker per concurrent caller reused across pages,
and a crash, a hang or a bad image costing one page with the program engine's typed errors.

Skipped as a whole when libtesseract or its language data cannot be found.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import psutil
import pytest

from flows.settings import load_settings
from ocr import engines, library_engine, tessdata, tessworker
from ocr.errors import LanguageMissingError, OcrError, OcrTimeoutError
from ocr.libtesseract import LibraryMissing, libraries, read_pgm
from ocr.reread import CropReader
from ocr.tesseract import parse_tsv
from ocr.tessworker import Worker, WorkerCrashed, WorkerPool
from tests.conftest import RESOURCES, SAMPLES, draw_label_page

try:
    libraries()
except LibraryMissing as exc:
    pytest.skip(f"libtesseract cannot be loaded ({exc})", allow_module_level=True)
DATAPATH = tessdata.find_tessdata()
if DATAPATH is None:
    pytest.skip("no Tesseract language data (tesseract-ocr-eng)", allow_module_level=True)

PAGE = SAMPLES / "documents" / "us_10142403.png"
RECORDED = RESOURCES / "us_10142403.tsv"  # the CLI's TSV of PAGE at --psm 3 --dpi 207


def _workers() -> list[psutil.Process]:
    return [
        p for p in psutil.Process().children()
        if "ocr.tessworker" in " ".join(p.cmdline()) and p.status() != psutil.STATUS_ZOMBIE
    ]  # fmt: skip


def test_the_same_words_boxes_and_confidences_as_the_tesseract_program() -> None:
    page = library_engine.LibraryEngine().recognise(PAGE, index=2, dpi=207)
    cli_words, cli_size = parse_tsv(RECORDED.read_text())
    assert (page.width, page.height) == cli_size
    assert [(w.text, w.bbox, w.confidence) for w in page.words] == [
        (w.text, w.bbox, w.confidence) for w in cli_words
    ]
    assert page.index == 2 and page.dpi == 207 and page.engine == "libtesseract"
    assert page.engine_version.startswith("5.")


def test_a_pgm_page_file_reads_as_leptonica_reads_it(tmp_path: Path) -> None:
    grey = cv2.imread(str(PAGE), cv2.IMREAD_GRAYSCALE)
    assert grey is not None
    pgm, png = tmp_path / "page-0001.pgm", tmp_path / "page-0001.png"
    cv2.imwrite(str(pgm), grey)
    cv2.imwrite(str(png), grey)
    pixels, width, height = read_pgm(str(pgm)) or (b"", 0, 0)
    assert (width, height) == (grey.shape[1], grey.shape[0]) and pixels == grey.tobytes()
    assert read_pgm(str(png)) is None  # not a PGM: Leptonica reads it
    engine = library_engine.LibraryEngine()
    assert engine.recognise(pgm, index=0, dpi=207).words == engine.recognise(png, index=0, dpi=207).words  # fmt: skip


def test_workers_are_reused_one_per_concurrent_caller() -> None:
    engine = library_engine.LibraryEngine()
    engine.recognise(PAGE, index=0, dpi=207)
    before = {p.pid for p in _workers()}
    engine.recognise(PAGE, index=0, dpi=207)
    assert {p.pid for p in _workers()} == before  # no process started for the second page
    threads = [threading.Thread(target=engine.recognise, args=(PAGE,), kwargs={"index": 0, "dpi": 207}) for _ in range(2)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(_workers()) == max(2, len(before))


def test_a_worker_is_replaced_after_its_quota_of_readings(tmp_path: Path) -> None:
    page = tmp_path / "page.pgm"
    cv2.imwrite(str(page), np.full((60, 200), 255, dtype=np.uint8))
    pool = WorkerPool(str(DATAPATH), max_requests=2)
    pids = []
    for _ in range(3):
        worker = pool.take("eng")
        pids.append(worker.proc.pid)
        worker.page(str(page), psm=3, dpi=300, timeout=30)
        pool.give_back(worker)
    pool.close()
    assert pids[0] == pids[1] != pids[2]  # two readings, then a new process


def test_a_worker_ends_when_its_caller_goes_away() -> None:
    worker = Worker(str(DATAPATH), "eng")
    assert worker.alive and worker.version.startswith("5.")
    assert worker.proc.stdin is not None
    worker.proc.stdin.close()  # what the kernel does when the calling process dies
    assert worker.proc.wait(timeout=10) == 0


def test_a_worker_ends_when_its_command_is_killed() -> None:
    code = (f"import time; from ocr.tessworker import Worker; w = Worker({str(DATAPATH)!r}, 'eng'); "
            "print(w.proc.pid, flush=True); time.sleep(120)")  # fmt: skip
    owner = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    worker = psutil.Process(int(owner.stdout.readline()))
    owner.kill()  # SIGKILL: no clean-up code runs
    owner.wait()
    worker.wait(timeout=15)  # its input closed with the command: it ends on its own
    assert not worker.is_running()


def test_an_answer_out_of_protocol_is_a_crash_not_a_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    # a library that prints to stdout would break the pipe's framing
    fake = ('import sys; print(\'{"ok": true, "version": "5.3.0"}\', flush=True); sys.stdin.readline(); '
            'print("Warning: garbage", flush=True); sys.stdin.readline()')  # fmt: skip
    monkeypatch.setattr(tessworker, "worker_command", lambda d, lang: [sys.executable, "-c", fake])
    worker = Worker(str(DATAPATH), "eng")
    with pytest.raises(WorkerCrashed, match="garbled"):
        worker.page(str(PAGE), psm=3, dpi=207, timeout=10)
    assert not worker.alive


def test_a_timeout_stops_the_worker_and_the_next_page_gets_a_new_one() -> None:
    with pytest.raises(OcrTimeoutError) as caught:
        library_engine.LibraryEngine(timeout=0.05).recognise(PAGE, index=0, dpi=207)
    assert caught.value.retryable and "ocr.timeout" in caught.value.message
    assert len(library_engine.LibraryEngine().recognise(PAGE, index=0, dpi=207).words) > 100


def test_a_crash_fails_that_page_only() -> None:
    engine = library_engine.LibraryEngine()
    engine.recognise(PAGE, index=0, dpi=207)  # a worker waits in the pool
    errors: list[BaseException] = []

    def read() -> None:
        try:
            engine.recognise(PAGE, index=4, dpi=207)
        except BaseException as exc:  # noqa: BLE001 - looked at below
            errors.append(exc)

    thread = threading.Thread(target=read)
    thread.start()
    time.sleep(0.5)  # recognising
    for proc in _workers():
        os.kill(proc.pid, signal.SIGSEGV)
    thread.join(timeout=30)
    assert len(errors) == 1 and isinstance(errors[0], OcrError)
    assert errors[0].reason == "ocr-crashed" and "SIGSEGV" in errors[0].message
    assert "page 5" in errors[0].message
    assert len(engine.recognise(PAGE, index=0, dpi=207).words) > 100  # the next page is read


@pytest.mark.parametrize("content", [b"garbage, not an image\n", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", b"P5\n10 10\n255\n\0"])  # fmt: skip
def test_an_unreadable_page_image_is_an_ocr_error(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "page-0001.pgm"
    bad.write_bytes(content)
    with pytest.raises(OcrError) as caught:
        library_engine.LibraryEngine().recognise(bad, index=0, dpi=300)
    assert caught.value.stage == "ocr" and "page 1" in caught.value.message
    with pytest.raises(OcrError):
        library_engine.LibraryEngine().recognise(tmp_path / "absent.pgm", index=0, dpi=300)


def test_a_missing_language_is_the_fatal_typed_error() -> None:
    with pytest.raises(LanguageMissingError) as caught:
        library_engine.LibraryEngine(lang="eng+zzz").recognise(PAGE, index=0, dpi=207)
    assert "zzz" in caught.value.message and caught.value.exit_code == 4
    with pytest.raises(LanguageMissingError):
        engines.check("libtesseract", "tesseract", "zzz")


@pytest.fixture(scope="module")
def drawn_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return draw_label_page(tmp_path_factory.mktemp("crop"))


def test_crops_in_page_coordinates_and_a_whitelist_that_does_not_stay(drawn_page: Path) -> None:
    assert library_engine.recognise_crop(np.zeros((0, 50), dtype=np.uint8)) == []
    reader = CropReader({0: drawn_page}, budget=3, engine="libtesseract")
    number = reader(0, (300, 80, 900, 130), "number")
    assert number is not None and "15/947,048" in "".join(w.text for w in number)
    date = reader(0, (40, 250, 700, 320), "date")
    assert date is not None and "Apr" in " ".join(w.text for w in date)
    assert all(w.bbox[1] >= 220 and w.bbox[0] >= 40 for w in date)


def test_auto_chooses_the_library_on_this_host(monkeypatch: pytest.MonkeyPatch) -> None:
    engines.resolve.cache_clear()
    assert engines.check("auto", "tesseract", "eng").name == "libtesseract"
    monkeypatch.delenv("IPDIGITISE_OCR__ENGINE", raising=False)
    assert load_settings().engine() == "libtesseract"
    engines.resolve.cache_clear()

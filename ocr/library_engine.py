"""The system's Tesseract library in worker processes (`ocr.engine = "libtesseract"`).

The same Tesseract as the `tesseract` program (its own shared library, its models), so the same
words, but loaded once per worker process (`ocr/tessworker.py`) instead of once per page: a page
costs its recognition only, and a second reading of a field's crop milliseconds instead of a
process start. A page that crashes or hangs Tesseract takes its worker with it and fails alone,
with the typed errors of the program's engine (`ocr-crashed`, `OcrTimeoutError`); the next page
gets a new worker.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocr import tessdata
from ocr.errors import (
    LanguageMissingError,
    OcrError,
    OcrTimeoutError,
    TesseractMissingError,
    TesseractVersionError,
)
from ocr.models import PageOcr, Word
from ocr.tesseract import (
    TesseractInfo,
    check_languages,
    crop_pixels,
    in_page,
    page_from_tsv,
    parse_tsv,
    recent_enough,
)
from ocr.tessworker import Worker, WorkerCrashed, WorkerError, WorkerPool, WorkerTimeout

NAME = "libtesseract"
INSTALL_HINT = "install Tesseract with: sudo apt-get install tesseract-ocr tesseract-ocr-eng " \
    "(or set ocr.engine = \"cli\")"  # fmt: skip


@dataclass(frozen=True)
class LibraryInfo(TesseractInfo):
    datapath: str = ""


@functools.lru_cache(maxsize=1)
def probe() -> LibraryInfo:
    """The library's version and the languages of the models it will read; fatal typed errors
    when the library or the models are missing, or the version is too old."""
    from ocr import libtesseract

    try:
        version = libtesseract.libraries().version
    except libtesseract.LibraryMissing as exc:
        raise TesseractMissingError(f"{exc}; {INSTALL_HINT}") from exc
    if not recent_enough(version):
        raise TesseractVersionError(
            f"libtesseract {version} is too old; ipdigitise needs 5.0 or newer; {INSTALL_HINT}"
        )
    datapath = tessdata.find_tessdata()
    if datapath is None:
        raise TesseractMissingError(
            "no Tesseract language data found (set TESSDATA_PREFIX to the folder holding "
            "eng.traineddata, or install tesseract-ocr-eng)"
        )
    return LibraryInfo(version=version, languages=tessdata.languages(datapath), datapath=datapath)


def usable(lang: str) -> bool:
    """True when the library loads, is recent enough and has every language of `lang`."""
    try:
        check_languages(lang, probe())
    except (TesseractMissingError, TesseractVersionError, LanguageMissingError):
        return False
    return True


_POOL: WorkerPool | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> WorkerPool:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = WorkerPool(probe().datapath)
            atexit.register(_POOL.close)
        return _POOL


@contextlib.contextmanager
def _worker(lang: str, what: str) -> Iterator[Worker]:
    """A worker for `lang` for one request; Tesseract's failures as the pipeline's typed errors."""
    check_languages(lang, probe())
    pool = _pool()
    try:
        worker = pool.take(lang)
    except WorkerError as exc:
        if exc.kind == "init":
            raise LanguageMissingError(f"Tesseract cannot load language data for {lang!r}: {exc}") from exc  # fmt: skip
        raise OcrError(f"the Tesseract worker did not start for {what}: {exc}") from exc
    try:
        yield worker
    except WorkerTimeout as exc:
        raise OcrTimeoutError(f"Tesseract took too long on {what} (ocr.timeout) and was stopped") from exc  # fmt: skip
    except WorkerCrashed as exc:
        raise OcrError(f"Tesseract crashed on {what}: {exc}", reason="ocr-crashed") from exc
    except WorkerError as exc:
        raise OcrError(f"Tesseract (library) failed on {what}: {exc}") from exc
    finally:
        pool.give_back(worker)


@dataclass(frozen=True)
class LibraryEngine:
    """Reads a page image file in a worker process (see the module doc)."""

    lang: str = "eng"
    psm: int = 3
    timeout: float = 120.0

    def recognise(self, image: Path, *, index: int, dpi: float) -> PageOcr:
        info = probe()
        what = f"page {index + 1}"
        if not image.is_file():
            raise OcrError(f"the page image for {what} is missing: {image}", reason="ocr-no-output")
        started = time.perf_counter()
        with _worker(self.lang, what) as worker:
            tsv = worker.page(str(image), psm=self.psm, dpi=dpi, timeout=self.timeout)
        return page_from_tsv(tsv, index=index, dpi=dpi, engine=NAME, version=info.version,
                             lang=self.lang, started=started)  # fmt: skip


def recognise_crop(
    pixels: np.ndarray,
    *,
    origin: tuple[int, int] = (0, 0),
    lang: str = "eng",
    psm: int = 7,
    whitelist: str | None = None,
    dpi: float = 300.0,
    timeout: float = 10.0,
) -> list[Word]:
    """`ocr.tesseract.recognise_crop` in a worker: the crop's grey bytes go through the pipe
    (no file written, no process started). Word boxes are returned in page coordinates."""
    gray = crop_pixels(pixels)
    height, width = gray.shape
    if width == 0 or height == 0:
        return []
    with _worker(lang, "a crop") as worker:
        tsv = worker.crop(gray.tobytes(), width, height, psm=psm, dpi=dpi, whitelist=whitelist,
                          timeout=timeout)  # fmt: skip
    return in_page(parse_tsv(tsv)[0], origin)

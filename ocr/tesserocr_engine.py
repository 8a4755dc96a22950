"""Tesseract in-process through tesserocr: the optional fast engine (`ocr.engine = "tesserocr"`).

The only module that imports tesserocr. It answers like `ocr/tesseract.py`'s CLI engine (the same
TSV, parsed by the same `parse_tsv`, the same typed errors) but keeps one initialised Tesseract
per thread and reuses it for every page and crop: no process start, no model loading and no
image hand-over through files per call. What it cannot do is contain a crash: a segmentation
fault inside libtesseract ends the worker process, where the CLI engine loses one page
(docs/robustness.md).

The PyPI wheel bundles its own libtesseract (5.5 at the time of writing) without OpenMP, and
reads the same language models as the Debian `tesseract` (found through TESSDATA_PREFIX or the
usual install folders), so both engines use the same trained data.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ocr.errors import (
    LanguageMissingError,
    OcrError,
    OcrTimeoutError,
    TesseractMissingError,
    TesseractVersionError,
)
from ocr.libtesseract import TSV_HEADER
from ocr.models import PageOcr, Word
from ocr.tessdata import find_tessdata
from ocr.tesseract import (
    TesseractInfo,
    check_languages,
    crop_pixels,
    in_page,
    page_from_tsv,
    parse_tsv,
    recent_enough,
)

NAME = "tesserocr"
INSTALL_HINT = "install it with: pip install 'ipdigitise[fast]' (or set ocr.engine = \"cli\")"


@dataclass(frozen=True)
class TesserocrInfo(TesseractInfo):
    datapath: str = ""
    """The tessdata folder the models are read from (ends with '/', as Tesseract wants)."""


def _tesserocr() -> Any:
    """The tesserocr module, or a fatal typed error when it is not installed."""
    try:
        import tesserocr
    except ImportError as exc:  # also a wheel whose bundled libraries do not load
        raise TesseractMissingError(f"tesserocr is not installed ({exc}); {INSTALL_HINT}") from exc
    return tesserocr


@functools.lru_cache(maxsize=4)
def probe() -> TesserocrInfo:
    """tesserocr's Tesseract version and the languages in the tessdata folder it will use."""
    tesserocr = _tesserocr()
    datapath = find_tessdata()
    if datapath is None:
        raise TesseractMissingError(
            "no Tesseract language data found (set TESSDATA_PREFIX to the folder holding "
            "eng.traineddata, or install tesseract-ocr-eng)"
        )
    first = str(tesserocr.tesseract_version()).split("\n", 1)[0]  # "tesseract 5.5.4"
    version = first.split()[-1] if first.split() else "unknown"
    if not recent_enough(version):
        raise TesseractVersionError(
            f"tesserocr's Tesseract {version} is too old; ipdigitise needs 5.0 or newer; "
            f"{INSTALL_HINT}"
        )
    _, languages = tesserocr.get_languages(datapath)
    binding = getattr(tesserocr, "__version__", "")
    return TesserocrInfo(
        version=f"{version} (tesserocr {binding})" if binding else version,
        languages=frozenset(languages),
        datapath=datapath,
    )


def usable(lang: str) -> bool:
    """True when tesserocr imports, finds language data, and has every language of `lang`."""
    try:
        check_languages(lang, probe())
    except (TesseractMissingError, TesseractVersionError, LanguageMissingError):
        return False
    return True


_local = threading.local()


def _api(lang: str) -> Any:
    """This thread's initialised Tesseract for `lang` (one per thread: an instance has no lock).
    Initialising loads the models (~0.1 s); afterwards each page or crop costs only its OCR."""
    info = probe()
    check_languages(lang, info)
    apis: dict[str, Any] = getattr(_local, "apis", None) or {}
    _local.apis = apis
    if lang not in apis:
        tesserocr = _tesserocr()
        try:
            apis[lang] = tesserocr.PyTessBaseAPI(path=info.datapath, lang=lang)
        except RuntimeError as exc:  # the language files exist but do not load
            raise LanguageMissingError(
                f"Tesseract (tesserocr) cannot load language data for {lang!r} from "
                f"{info.datapath}: {exc}"
            ) from exc
    return apis[lang]


def _configure(api: Any, *, psm: int, dpi: float, whitelist: str | None) -> None:
    """The settings the CLI engine passes as `--psm N --dpi D -c ...`, set on every call because
    the same instance reads pages and crops."""
    api.SetPageSegMode(psm)
    api.SetVariable("user_defined_dpi", str(round(dpi)))
    api.SetVariable("preserve_interword_spaces", "0")
    api.SetVariable("tessedit_char_whitelist", whitelist or "")


def _recognise(api: Any, timeout: float, what: str) -> str:
    """Run recognition with a deadline and return the TSV (with the header the CLI writes)."""
    started = time.perf_counter()
    try:
        ok = api.Recognize(timeout=max(1, round(timeout * 1000)))
    except RuntimeError as exc:
        api.Clear()
        raise OcrError(f"Tesseract (tesserocr) failed on {what}: {exc}") from exc
    if not ok:
        api.Clear()
        if time.perf_counter() - started >= timeout * 0.9:
            raise OcrTimeoutError(
                f"Tesseract took longer than {timeout:.0f} s on {what} (ocr.timeout) and was stopped"
            )
        raise OcrError(f"Tesseract (tesserocr) could not recognise {what}")
    tsv = api.GetTSVText(0)
    api.Clear()  # frees the page image and results; the models stay loaded
    return TSV_HEADER + (tsv or "")


@dataclass(frozen=True)
class TesserocrEngine:
    """Reads a page image file with this thread's in-process Tesseract (see the module doc)."""

    lang: str = "eng"
    psm: int = 3
    timeout: float = 120.0

    def recognise(self, image: Path, *, index: int, dpi: float) -> PageOcr:
        info = probe()
        api = _api(self.lang)
        _configure(api, psm=self.psm, dpi=dpi, whitelist=None)
        started = time.perf_counter()
        try:
            api.SetImageFile(str(image))
        except FileNotFoundError as exc:
            raise OcrError(
                f"the page image for page {index + 1} is missing: {image}", reason="ocr-no-output"
            ) from exc
        except Exception as exc:  # leptonica cannot read it (tesserocr raises OSError, PIL's...)
            raise OcrError(
                f"Tesseract (tesserocr) cannot read the image of page {index + 1}: {exc}"
            ) from exc
        tsv = _recognise(api, self.timeout, f"page {index + 1}")
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
    """`ocr.tesseract.recognise_crop` in-process: the crop's pixels go to Tesseract as they are
    (no PNG written, no process started). Word boxes are returned in page coordinates."""
    gray = crop_pixels(pixels)
    height, width = gray.shape
    if width == 0 or height == 0:
        return []
    api = _api(lang)
    _configure(api, psm=psm, dpi=dpi, whitelist=whitelist)
    buffer = gray.tobytes()  # kept alive until recognition ends: Tesseract does not copy it
    api.SetImageBytes(buffer, width, height, 1, width)
    return in_page(parse_tsv(_recognise(api, timeout, "a crop"))[0], origin)

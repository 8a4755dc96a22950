"""The only module that runs the `tesseract` program (through pytesseract); the optional
in-process engine is ocr/tesserocr_engine.py, and ocr/engines.py chooses between them.

"Is it installed, which version, which languages" is kept apart from "run it", and every failure of
the subprocess becomes a typed error. Tesseract runs single-threaded (OMP_THREAD_LIMIT=1): one
process per core is several times faster than OpenMP threads fighting over two cores.
"""

from __future__ import annotations

import functools
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pytesseract

from ocr.errors import (
    LanguageMissingError,
    OcrError,
    OcrTimeoutError,
    TesseractMissingError,
    TesseractVersionError,
)
from ocr.models import PageOcr, Word

MIN_VERSION = (5, 0)
INSTALL_HINT = (
    "install it with: sudo apt-get install tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra "
    "tesseract-ocr-deu tesseract-ocr-osd   (or run `make run`, which does this for you)"
)


class OcrEngine(Protocol):
    """What the pipeline needs from an OCR engine: one page image file in, one PageOcr out."""

    def recognise(self, image: Path, *, index: int, dpi: float) -> PageOcr: ...


@dataclass(frozen=True)
class TesseractInfo:
    version: str
    languages: frozenset[str]


@functools.lru_cache(maxsize=8)
def probe(cmd: str = "tesseract") -> TesseractInfo:
    """Find Tesseract and its languages; raise a fatal typed error with install advice if unusable."""
    pytesseract.pytesseract.tesseract_cmd = cmd
    try:
        version = str(pytesseract.get_tesseract_version())
        languages = frozenset(pytesseract.get_languages(config=""))
    except (pytesseract.TesseractNotFoundError, FileNotFoundError) as exc:
        raise TesseractMissingError(f"Tesseract was not found ({cmd}); {INSTALL_HINT}") from exc
    except (pytesseract.TesseractError, OSError, subprocess.SubprocessError) as exc:
        raise TesseractMissingError(
            f"Tesseract ({cmd}) does not run: {exc}; {INSTALL_HINT}"
        ) from exc
    except SystemExit as exc:  # pytesseract exits the process on a version it cannot parse
        raise TesseractMissingError(
            f"{cmd} does not answer like Tesseract ({exc}); {INSTALL_HINT}"
        ) from exc
    if not recent_enough(version):
        raise TesseractVersionError(
            f"Tesseract {version} is too old; ipdigitise needs 5.0 or newer; {INSTALL_HINT}"
        )
    return TesseractInfo(version=version, languages=languages)


def recent_enough(version: str) -> bool:
    """True for a Tesseract version string ("5.3.0", "5.5.4-1") of at least MIN_VERSION."""
    match = re.match(r"(\d+)\.(\d+)", version)
    return match is not None and (int(match[1]), int(match[2])) >= MIN_VERSION


def check_languages(lang: str, info: TesseractInfo) -> None:
    missing = [code for code in lang.split("+") if code and code not in info.languages]
    if missing:
        pkgs = " ".join(f"tesseract-ocr-{code}" for code in missing)
        raise LanguageMissingError(
            f"Tesseract language pack(s) missing: {', '.join(missing)}; "
            f"install with: sudo apt-get install {pkgs}"
        )


@dataclass(frozen=True)
class TesseractEngine:
    """Runs `tesseract` on an image file and parses its TSV into words with 0..1 confidences."""

    lang: str = "eng"
    psm: int = 3
    timeout: float = 120.0
    cmd: str = "tesseract"
    omp_threads: int = 1

    def recognise(self, image: Path, *, index: int, dpi: float) -> PageOcr:
        info = probe(self.cmd)
        pytesseract.pytesseract.tesseract_cmd = self.cmd
        os.environ["OMP_THREAD_LIMIT"] = str(self.omp_threads)
        config = f"--psm {self.psm} --dpi {round(dpi)} -c preserve_interword_spaces=0"
        started = time.perf_counter()
        try:
            raw = pytesseract.image_to_data(
                str(image),
                lang=self.lang,
                config=config,
                timeout=self.timeout,
                output_type=pytesseract.Output.BYTES,
            )
        except pytesseract.TesseractError as exc:  # a RuntimeError too: must come first
            raise _tesseract_failure(exc, index, self.lang) from exc
        except RuntimeError as exc:
            if "timeout" in str(exc).lower():
                raise OcrTimeoutError(
                    f"Tesseract took longer than {self.timeout:.0f} s on page {index + 1} "
                    "(ocr.timeout) and was stopped"
                ) from exc
            raise OcrError(f"Tesseract failed on page {index + 1}: {exc}") from exc
        except FileNotFoundError as exc:  # exit 0 but no TSV written: do not trust exit codes
            raise OcrError(
                f"Tesseract produced no output for page {index + 1}", reason="ocr-no-output"
            ) from exc
        except OSError as exc:
            raise OcrError(f"Tesseract could not be run on page {index + 1}: {exc}") from exc
        tsv = raw.decode("utf-8", errors="replace")  # invalid UTF-8 never reaches the outputs
        return page_from_tsv(tsv, index=index, dpi=dpi, engine="tesseract",
                             version=info.version, lang=self.lang, started=started)  # fmt: skip


def page_from_tsv(
    tsv: str, *, index: int, dpi: float, engine: str, version: str, lang: str, started: float
) -> PageOcr:
    """A page's OCR from Tesseract's TSV, whichever engine produced it."""
    words, (width, height) = parse_tsv(tsv)
    if width == 0:
        raise OcrError(f"Tesseract returned no page data for page {index + 1}", reason="ocr-empty")
    return PageOcr(
        index=index,
        width=width,
        height=height,
        dpi=dpi,
        words=tuple(words),
        engine=engine,
        engine_version=version,
        language=lang,
        seconds=round(time.perf_counter() - started, 3),
    )


_LANGUAGE_FAILURE = re.compile(
    r"Failed loading language|Error opening data file|could not initialize tesseract", re.I
)


def _tesseract_failure(exc: pytesseract.TesseractError, index: int, lang: str) -> Exception:
    """A typed error from a failed Tesseract process: a missing language pack concerns the whole
    run (fatal), a crash (killed by a signal, or a non-zero exit) concerns this page."""
    message = str(exc.message or "").strip()
    if _LANGUAGE_FAILURE.search(message):
        return LanguageMissingError(
            f"Tesseract cannot load language data for {lang!r}: {message[:300]}"
        )
    status = exc.status
    if isinstance(status, int) and status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        what, reason = f"crashed ({name})", "ocr-crashed"
    else:
        what, reason = f"failed (exit {status})", "ocr-failed"
    detail = f": {message[:300]}" if message else ""
    return OcrError(f"Tesseract {what} on page {index + 1}{detail}", reason=reason)


def parse_tsv(tsv: str) -> tuple[list[Word], tuple[int, int]]:
    """Parse Tesseract's TSV output: word rows (level 5) with text, and the page size (level 1).
    Rows that do not parse are skipped (the output of a misbehaving process is not trusted)."""
    words: list[Word] = []
    size = (0, 0)
    lines = tsv.splitlines()
    for row in lines[1:]:
        cols = row.split("\t")
        if len(cols) < 12:
            continue
        try:
            level = cols[0]
            left, top, width, height = (int(c) for c in cols[6:10])
            if level == "1":
                size = (max(width, 0), max(height, 0))
                continue
            text = cols[11].strip()
            if level != "5" or not text:
                continue
            conf = float(cols[10])
            word = Word(
                text=text,
                bbox=(left, top, left + width, top + height),
                confidence=max(0.0, min(1.0, conf / 100.0)) if conf == conf else 0.0,
                block=int(cols[2]),
                par=int(cols[3]),
                line=int(cols[4]),
            )
        except ValueError:
            continue
        words.append(word)
    return words, size


def recognise_crop(
    pixels: np.ndarray,
    *,
    origin: tuple[int, int] = (0, 0),
    lang: str = "eng",
    psm: int = 7,
    whitelist: str | None = None,
    dpi: float = 300.0,
    timeout: float = 10.0,
    cmd: str = "tesseract",
) -> list[Word]:
    """OCR a small crop of a page again, with its own page segmentation mode and an optional
    character whitelist (a second, targeted reading of one field). Word boxes are returned in
    page coordinates (`origin` is the crop's top-left corner on the page).

    Raises OcrError / OcrTimeoutError like a page OCR; the caller decides whether to go on.
    """
    probe(cmd)
    pytesseract.pytesseract.tesseract_cmd = cmd
    os.environ["OMP_THREAD_LIMIT"] = "1"
    config = f"--psm {psm} --dpi {round(dpi)}"
    if whitelist:
        # pytesseract splits the config like a shell: quote the whitelist (it may hold spaces)
        escaped = whitelist.replace("\\", "").replace('"', "")
        config += f' -c "tessedit_char_whitelist={escaped}"'
    try:
        tsv = pytesseract.image_to_data(pixels, lang=lang, config=config, timeout=timeout)
    except RuntimeError as exc:
        if "timeout" in str(exc).lower():
            raise OcrTimeoutError(f"Tesseract took longer than {timeout:.0f} s on a crop") from exc
        raise OcrError(f"Tesseract failed on a crop: {exc}") from exc
    except pytesseract.TesseractError as exc:
        raise OcrError(f"Tesseract failed on a crop (exit {exc.status}): {exc.message}") from exc
    except OSError as exc:
        raise OcrError(f"Tesseract could not be run on a crop: {exc}") from exc
    return in_page(parse_tsv(tsv)[0], origin)


def crop_pixels(pixels: np.ndarray) -> np.ndarray:
    """A crop as the engines that take raw bytes want it: one contiguous 8-bit grey plane."""
    return np.ascontiguousarray(pixels if pixels.ndim == 2 else pixels[..., 0], dtype=np.uint8)


def in_page(words: list[Word], origin: tuple[int, int]) -> list[Word]:
    """A crop's words with their boxes moved to page coordinates (`origin`: the crop's corner)."""
    dx, dy = origin
    return [
        w.model_copy(
            update={"bbox": (w.bbox[0] + dx, w.bbox[1] + dy, w.bbox[2] + dx, w.bbox[3] + dy)}
        )
        for w in words
    ]


@dataclass(frozen=True)
class OsdResult:
    rotation: int
    """Counter-clockwise turn (0, 90, 180, 270) that makes the page upright."""
    confidence: float
    """Tesseract's orientation confidence (unbounded; ~2 and above is usually right)."""


def detect_orientation_osd(
    pixels: np.ndarray, dpi: float, *, cmd: str = "tesseract", timeout: float = 60.0
) -> OsdResult:
    """Tesseract's orientation and script detection (`--psm 0`, ~0.8 s per page).

    Tesseract's "Rotate: N" is the clockwise turn that rights the page; it is returned here as the
    equivalent counter-clockwise turn, the convention of ocr/orientation.py.
    """
    probe(cmd)
    pytesseract.pytesseract.tesseract_cmd = cmd
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        text = pytesseract.image_to_osd(
            pixels, config=f"--psm 0 --dpi {round(dpi)}", timeout=timeout
        )
    except RuntimeError as exc:
        raise OcrTimeoutError(f"orientation detection took longer than {timeout:.0f} s") from exc
    except pytesseract.TesseractError as exc:
        # Too few characters: Tesseract refuses to guess. Treat as upright, no confidence.
        if "Too few characters" in exc.message or "0 dpi" in exc.message:
            return OsdResult(0, 0.0)
        raise OcrError(f"orientation detection failed: {exc.message}", reason="osd-failed") from exc
    rotate = re.search(r"Rotate:\s*(\d+)", text)
    conf = re.search(r"Orientation confidence:\s*([\d.]+)", text)
    clockwise = int(rotate[1]) if rotate else 0
    return OsdResult((360 - clockwise) % 360, float(conf[1]) if conf else 0.0)

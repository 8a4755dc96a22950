"""Which Tesseract engine reads the pages. All give the same PageOcr and raise the same typed
errors:

- `cli`: the `tesseract` program (through pytesseract), a process per page and per crop;
- `libtesseract`: the same Tesseract's shared library in worker processes that load the models
  once (`ocr/library_engine.py`): the program's words, without its per-call start;
- `tesserocr`: Tesseract in-process through the optional tesserocr wheel (its own, newer
  libtesseract; a crash ends the run's process).

`auto` (the default) takes `libtesseract` when the library loads with every configured language
and the Tesseract command is the default `tesseract`; a custom command means the operator wants
that program, so the CLI runs it. The choice is made once per process and settings (cached).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ocr.models import Word
from ocr.tesseract import (
    OcrEngine,
    TesseractEngine,
    TesseractInfo,
    check_languages,
    probe,
    recognise_crop,
)

EngineChoice = Literal["auto", "libtesseract", "tesserocr", "cli"]
Engine = Literal["libtesseract", "tesserocr", "cli"]
DEFAULT_CMD = "tesseract"

__all__ = ["EngineInfo", "OcrEngine", "check", "make", "read_crop", "resolve"]


@functools.lru_cache(maxsize=16)
def resolve(choice: str, cmd: str = DEFAULT_CMD, lang: str = "eng") -> Engine:
    """The engine `choice` stands for with these settings (auto decided as the module says)."""
    if choice in ("cli", "libtesseract", "tesserocr"):
        return choice  # type: ignore[return-value]
    if cmd != DEFAULT_CMD:
        return "cli"
    from ocr import library_engine

    return "libtesseract" if library_engine.usable(lang) else "cli"


@dataclass(frozen=True)
class EngineInfo:
    name: Engine
    version: str

    def label(self) -> str:
        how = {"tesserocr": " in-process", "libtesseract": " (library, worker processes)"}
        return f"Tesseract {self.version}" + how.get(self.name, "")


def check(choice: str, cmd: str, lang: str) -> EngineInfo:
    """Start-up check of the engine the settings select: installed, recent enough, languages
    present. Raises the fatal typed errors (with install advice) otherwise."""
    engine = resolve(choice, cmd, lang)
    info: TesseractInfo
    if engine == "tesserocr":
        from ocr import tesserocr_engine

        info = tesserocr_engine.probe()
    elif engine == "libtesseract":
        from ocr import library_engine

        info = library_engine.probe()
    else:
        info = probe(cmd)
    check_languages(lang, info)
    return EngineInfo(engine, info.version)


def make(choice: str, *, lang: str, psm: int, timeout: float, cmd: str) -> OcrEngine:
    """The page engine for these settings."""
    engine = resolve(choice, cmd, lang)
    if engine == "tesserocr":
        from ocr.tesserocr_engine import TesserocrEngine

        return TesserocrEngine(lang=lang, psm=psm, timeout=timeout)
    if engine == "libtesseract":
        from ocr.library_engine import LibraryEngine

        return LibraryEngine(lang=lang, psm=psm, timeout=timeout)
    return TesseractEngine(lang=lang, psm=psm, timeout=timeout, cmd=cmd)


def read_crop(
    choice: str,
    pixels: np.ndarray,
    *,
    origin: tuple[int, int],
    lang: str,
    psm: int,
    whitelist: str | None,
    dpi: float,
    timeout: float,
    cmd: str,
) -> list[Word]:
    """A second reading of a crop with the engine these settings select."""
    engine = resolve(choice, cmd, lang)
    if engine in ("tesserocr", "libtesseract"):
        if engine == "tesserocr":
            from ocr.tesserocr_engine import recognise_crop as without_cli
        else:
            from ocr.library_engine import recognise_crop as without_cli

        return without_cli(
            pixels, origin=origin, lang=lang, psm=psm, whitelist=whitelist, dpi=dpi,
            timeout=timeout,
        )  # fmt: skip
    return recognise_crop(
        pixels, origin=origin, lang=lang, psm=psm, whitelist=whitelist, dpi=dpi,
        timeout=timeout, cmd=cmd,
    )  # fmt: skip

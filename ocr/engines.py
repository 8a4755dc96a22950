"""Which Tesseract engine reads the pages: the `tesseract` program (CLI, through pytesseract) or
Tesseract in-process (tesserocr). Both give the same PageOcr and raise the same typed errors.

`auto` takes tesserocr when it is installed with every configured language and the Tesseract
command is the default `tesseract`; a custom command means the operator wants that program, so
the CLI runs it. The choice is made once per process and settings (cached).
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

EngineChoice = Literal["auto", "tesserocr", "cli"]
Engine = Literal["tesserocr", "cli"]
DEFAULT_CMD = "tesseract"

__all__ = ["EngineInfo", "OcrEngine", "check", "make", "read_crop", "resolve"]


@functools.lru_cache(maxsize=16)
def resolve(choice: str, cmd: str = DEFAULT_CMD, lang: str = "eng") -> Engine:
    """The engine `choice` stands for with these settings (auto decided as the module says)."""
    if choice == "cli":
        return "cli"
    if choice == "tesserocr":
        return "tesserocr"
    if cmd != DEFAULT_CMD:
        return "cli"
    from ocr import tesserocr_engine

    return "tesserocr" if tesserocr_engine.usable(lang) else "cli"


@dataclass(frozen=True)
class EngineInfo:
    name: Engine
    version: str

    def label(self) -> str:
        return f"Tesseract {self.version}" + (" in-process" if self.name == "tesserocr" else "")


def check(choice: str, cmd: str, lang: str) -> EngineInfo:
    """Start-up check of the engine the settings select: installed, recent enough, languages
    present. Raises the fatal typed errors (with install advice) otherwise."""
    engine = resolve(choice, cmd, lang)
    info: TesseractInfo
    if engine == "tesserocr":
        from ocr import tesserocr_engine

        info = tesserocr_engine.probe()
    else:
        info = probe(cmd)
    check_languages(lang, info)
    return EngineInfo(engine, info.version)


def make(choice: str, *, lang: str, psm: int, timeout: float, cmd: str) -> OcrEngine:
    """The page engine for these settings."""
    if resolve(choice, cmd, lang) == "tesserocr":
        from ocr.tesserocr_engine import TesserocrEngine

        return TesserocrEngine(lang=lang, psm=psm, timeout=timeout)
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
    if resolve(choice, cmd, lang) == "tesserocr":
        from ocr.tesserocr_engine import recognise_crop as in_process

        return in_process(
            pixels, origin=origin, lang=lang, psm=psm, whitelist=whitelist, dpi=dpi,
            timeout=timeout,
        )  # fmt: skip
    return recognise_crop(
        pixels, origin=origin, lang=lang, psm=psm, whitelist=whitelist, dpi=dpi,
        timeout=timeout, cmd=cmd,
    )  # fmt: skip

"""Where Tesseract's language models are, for the engines that load the library themselves
(the `tesseract` program finds its own)."""

from __future__ import annotations

import os
from pathlib import Path

# Where Debian, Ubuntu, Fedora and source builds put the models (TESSDATA_PREFIX comes first).
TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
)


def find_tessdata() -> str | None:
    """The folder holding `*.traineddata`: $TESSDATA_PREFIX (or its tessdata/), else the usual
    install folders. A library's compiled-in default may point nowhere useful."""
    candidates: list[Path] = []
    prefix = os.environ.get("TESSDATA_PREFIX")
    if prefix:
        candidates += [Path(prefix), Path(prefix) / "tessdata"]
    candidates += [Path(d) for d in TESSDATA_DIRS]
    for folder in candidates:
        if folder.is_dir() and any(folder.glob("*.traineddata")):
            return str(folder).rstrip("/") + "/"
    return None


def languages(datapath: str) -> frozenset[str]:
    """The languages whose models are in `datapath` (as `tesseract --list-langs` names them)."""
    return frozenset(
        p.name.removesuffix(".traineddata") for p in Path(datapath).glob("*.traineddata")
    )

"""OCR of benchmark pages through the pipeline's own ingest, preprocessing and Tesseract engine,
cached as PageOcr JSON keyed by the image's sha256 and the OCR settings (Tesseract is
deterministic for the same image and settings, so a cached page is the page the pipeline sees).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2

from ocr.ingest import iter_pages
from ocr.inkmap import non_text_ink
from ocr.models import PageOcr
from ocr.preprocess import preprocess
from ocr.tesseract import TesseractEngine, probe

CACHE = Path(os.environ.get("IPD_FULLTEXT_CACHE", "/tmp/fulltext-cache"))


def _key(image: Path, engine: TesseractEngine) -> str:
    h = hashlib.sha256(image.read_bytes())
    h.update(f"{engine.lang}|{engine.psm}|{probe(engine.cmd).version}".encode())
    return h.hexdigest()[:32]


def ocr_image(image: Path, index: int, engine: TesseractEngine) -> PageOcr:
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / f"{_key(image, engine)}.json"
    if cached.exists():
        page = PageOcr.model_validate_json(cached.read_bytes())
        return page.model_copy(update={"index": index})
    (page_image,) = list(iter_pages(image))
    ready, _ = preprocess(page_image)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "page.pgm"
        cv2.imwrite(str(path), ready.pixels)
        result = engine.recognise(path, index=index, dpi=ready.dpi)
    cached.write_text(result.model_dump_json())
    return result


def page_ink(image: Path, page: PageOcr) -> float:
    """Ink outside word boxes, as flows.pageimages measures it on the preprocessed page."""
    (page_image,) = list(iter_pages(image))
    ready, _ = preprocess(page_image)
    return round(non_text_ink(ready.pixels, [w.bbox for w in page.words]), 5)


def ocr_pages(images: list[Path], engine: TesseractEngine, workers: int = 2) -> list[PageOcr]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda a: ocr_image(a[1], a[0], engine), enumerate(images)))

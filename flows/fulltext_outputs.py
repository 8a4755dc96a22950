"""The full-text outputs written beside ST.96 and JSON: ST.36, per-page ALTO (the OCR provenance
layer), drawing sheets as page images, and the review page. Plain functions, no Prefect.

Everything here is deterministic: the same pages and settings give byte-identical files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from flows.pageimages import crop_png, drawing_tiff
from flows.publish import write_atomic
from mapping.model import IPDocument
from ocr.models import PageOcr
from output_schemas import alto, review_html
from output_schemas.findings import Outcome, ValidationReport

PAGES_DIR = "pages"
ALTO_DIR = "alto"


def page_image_name(index: int) -> str:
    return f"{PAGES_DIR}/page-{index + 1:04d}.tif"


def with_drawing_images(doc: IPDocument) -> IPDocument:
    """Drawing sheets are referenced as page images (written by `write_extras`), not OCR'd text."""
    pages = tuple(
        p.model_copy(update={"image": page_image_name(p.index)}) if p.kind == "drawing" else p
        for p in doc.pages
    )
    return doc.model_copy(update={"pages": pages})


def alto_name(index: int) -> str:
    return f"{ALTO_DIR}/page-{index + 1:04d}.xml"


def write_extras(
    staging: Path,
    doc: IPDocument,
    pages: Sequence[PageOcr],
    images: dict[int, Path],
    source_name: str,
    report: ValidationReport,
    outcome: Outcome,
) -> dict[str, object]:
    """Write ALTO, drawing sheets and (unless published) the review page; return the links that
    report.json records."""
    kinds = {p.index: p.kind for p in doc.pages}
    (staging / ALTO_DIR).mkdir()
    altos = []
    for page in pages:
        name = alto_name(page.index)
        tree = alto.to_alto(page, kind=kinds.get(page.index, "other"), source_name=source_name)
        write_atomic(staging / name, alto.serialise(tree))
        altos.append(name)
    sheets = [p for p in doc.pages if p.image]
    if sheets:
        (staging / PAGES_DIR).mkdir()
    for info in sheets:
        write_atomic(staging / (info.image or ""), drawing_tiff(images[info.index], info.dpi))
    links: dict[str, object] = {
        "alto": altos,
        "page_images": {str(p.index): p.image for p in sheets},
    }
    if outcome != "published":

        def crop(page: int, bbox: tuple[int, int, int, int] | None) -> bytes | None:
            path = images.get(page)
            return crop_png(path, bbox) if path is not None else None

        outputs = [("ST.96", f"{doc.doc_id}.st96.xml"), ("ST.36", f"{doc.doc_id}.st36.xml"),
                   ("JSON", f"{doc.doc_id}.json"), ("report", "report.json")]  # fmt: skip
        html_page = review_html.render(doc, report.findings, outcome, doc_id=doc.doc_id, crop=crop,
                                  links=outputs)  # fmt: skip
        write_atomic(staging / "review.html", html_page)
        links["review"] = "review.html"
    return links

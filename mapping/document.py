"""Assemble an IPDocument from the OCR of all its pages."""

from __future__ import annotations

from collections.abc import Sequence

from mapping.frontpage import extract_front_page
from mapping.inid import inid_of_mark
from mapping.layout import page_lines
from mapping.model import IPDocument, PageInfo
from mapping.refine import Reread, recover_missing, refine
from ocr.models import PageOcr

LANGUAGE_OF_TESSERACT = {"eng": "en", "fra": "fr", "deu": "de", "spa": "es", "ita": "it"}


def classify_page(page: PageOcr) -> str:
    """'front' when the page prints INID codes, 'blank' without words, else 'other'.

    (Description, claims and drawing pages are told apart by the full-text stage.)
    """
    if len(page.words) < 3:
        return "blank"
    marks = sum(1 for w in page.words if inid_of_mark(w.text))
    return "front" if marks >= 3 else "other"


def document_language(lang: str) -> str:
    first = lang.split("+")[0]
    return LANGUAGE_OF_TESSERACT.get(first, "en")


def build_document(
    doc_id: str,
    pages: Sequence[PageOcr],
    lang: str = "eng",
    reread: Reread | None = None,
    reread_below: float = 0.7,
) -> IPDocument:
    """Map a document's pages. With `reread`, fields read with a confidence below
    `reread_below` get a second OCR reading of their crop (see mapping.refine)."""
    infos = []
    front = None
    for page in pages:
        kind = classify_page(page)
        if kind == "front" and front is None:
            lines = page_lines(page)
            front = extract_front_page(lines)
            if reread is not None:
                front = recover_missing(front, lines, reread)
                refine(front, reread, reread_below)
        infos.append(
            PageInfo(
                index=page.index,
                kind=kind,  # type: ignore[arg-type]
                words=len(page.words),
                mean_confidence=round(page.mean_confidence, 4),
                width=page.width,
                height=page.height,
                dpi=page.dpi,
            )
        )
    if front is None:
        return IPDocument(doc_id=doc_id, language=document_language(lang), pages=tuple(infos))
    return IPDocument(
        doc_id=doc_id,
        language=document_language(lang),
        fields=front.fields,
        ipc=tuple(front.ipc),
        cpc=tuple(front.cpc),
        parties=tuple(front.parties),
        priorities=tuple(front.priorities),
        abstract=tuple(front.abstract),
        notes=tuple(front.notes),
        pages=tuple(infos),
    )

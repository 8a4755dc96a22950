"""Assemble an IPDocument from the OCR of all its pages."""

from __future__ import annotations

from collections.abc import Sequence

from mapping.abstract import abstract_lines
from mapping.dehyphen import Lexicon, join_lines
from mapping.frontpage import extract_front_page
from mapping.fulltext import extract_fulltext
from mapping.inid import inid_of_mark
from mapping.layout import Line, page_lines, union_bbox
from mapping.model import IPDocument, PageInfo, Paragraph, Provenance, Token
from mapping.pages import classify, features
from mapping.refine import Reread, recover_missing, refine
from ocr.models import PageOcr, Word

LANGUAGE_OF_TESSERACT = {"eng": "en", "fra": "fr", "deu": "de", "spa": "es", "ita": "it"}


def classify_page(page: PageOcr) -> str:
    """'front' when the page prints INID codes, 'blank' without words, else 'other'.

    (Description, claims and drawing pages are told apart by the full-text stage.)
    """
    if len(page.words) < 3:
        return "blank"
    marks = sum(1 for w in page.words if inid_of_mark(w.text))
    return "front" if marks >= 3 else "other"


def _rejoin(para: Paragraph, lines: list[list[Word]], lexicon: Lexicon) -> Paragraph:
    """The front-page abstract with line-end hyphenation undone against the whole document's
    words ("mid-" + "dialog" stays "mid-dialog" when the description prints "mid-dialog")."""
    for line in lines:
        lexicon.add_line([w.text for w in line])
    runs = [[Token(text=w.text, confidence=round(w.confidence, 4)) for w in ln] for ln in lines]
    tokens = tuple(join_lines(runs, lexicon))
    return para.model_copy(update={"tokens": tokens}) if tokens else para


def document_language(lang: str) -> str:
    first = lang.split("+")[0]
    return LANGUAGE_OF_TESSERACT.get(first, "en")


def build_document(
    doc_id: str,
    pages: Sequence[PageOcr],
    lang: str = "eng",
    non_text_ink: Sequence[float | None] | None = None,
    reread: Reread | None = None,
    reread_below: float = 0.7,
) -> IPDocument:
    """The whole document: front page fields, abstract, description and claims, page kinds.

    `non_text_ink[i]` (ink outside word boxes, from the page image) helps tell drawing sheets
    from sparse text pages; without it the OCR words alone decide. With `reread`, fields read
    with a confidence below `reread_below` get a second OCR reading of their crop
    (see mapping.refine).
    """
    inks = list(non_text_ink) if non_text_ink is not None else [None] * len(pages)
    kinds: list[str] = []
    front = None
    front_lines: list[Line] = []
    for page, ink in zip(pages, inks, strict=True):
        kind = classify(features(page, ink), first_front=front is None)
        if kind == "front" and front is None:
            front_lines = page_lines(page)
            front = extract_front_page(front_lines)
            if reread is not None:
                front = recover_missing(front, front_lines, reread)
                refine(front, reread, reread_below)
        kinds.append(kind)
    text = extract_fulltext(pages, kinds)
    infos = []
    for page, kind in zip(pages, kinds, strict=True):
        infos.append(
            PageInfo(
                index=page.index,
                kind=text.page_kinds.get(page.index, kind),  # type: ignore[arg-type]
                words=len(page.words),
                mean_confidence=round(page.mean_confidence, 4),
                width=page.width,
                height=page.height,
                dpi=page.dpi,
            )
        )
    abstract = tuple(front.abstract) if front is not None and front.abstract else ()
    if front is not None and front.abstract and front.abstract_lines:
        abstract = (_rejoin(front.abstract[0], front.abstract_lines, text.lexicon),)
    elif front is not None and (lines := abstract_lines(front_lines)):
        words = [w for ln in lines for w in ln]
        source = Provenance(
            page=front_lines[0].page,
            bbox=union_bbox(w.bbox for w in words),
            confidence=round(sum(w.confidence for w in words) / len(words), 4),
        )
        abstract = (_rejoin(Paragraph(number="0001", source=source), lines, text.lexicon),)
    return IPDocument(
        doc_id=doc_id,
        language=document_language(lang),
        fields=front.fields if front is not None else {},
        ipc=tuple(front.ipc) if front is not None else (),
        cpc=tuple(front.cpc) if front is not None else (),
        parties=tuple(front.parties) if front is not None else (),
        priorities=tuple(front.priorities) if front is not None else (),
        abstract=abstract or tuple(text.abstract),
        description=tuple(text.description),
        claims=tuple(text.claims),
        pages=tuple(infos),
        notes=(tuple(front.notes) if front is not None else ()) + tuple(text.notes),
    )

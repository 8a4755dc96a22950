"""Page classification: front page, drawing sheet, search report, blank, text."""

from __future__ import annotations

import pytest

from mapping.document import build_document
from mapping.pages import classify, features
from ocr.models import PageOcr
from tests.conftest import column, fixture_pages, load_fixture, page_of

TEXT = ["The", "invention", "relates", "to", "an", "apparatus", "for", "manufacturing", "green", "bricks", "from", "clay", "for", "the", "brick", "industry", "comprising", "a", "circulating", "conveyor"]  # fmt: skip


def text_page(lines: int = 30) -> PageOcr:
    return page_of(column([" ".join(TEXT[i % 5 : i % 5 + 9]) for i in range(lines)]))


def test_text_page_is_text() -> None:
    assert classify(features(text_page()), first_front=True) == "text"


def test_drawing_sheet_from_words_alone() -> None:
    page = page_of([(900, 500, "FIG. 1"), (400, 800, "10"), (1500, 900, "12"),
                    (700, 1400, "14"), (900, 2200, "FIG. 2"), (300, 2500, "16")])  # fmt: skip
    assert classify(features(page), first_front=False) == "drawing"


def test_drawing_sheet_from_ink() -> None:
    page = page_of([(400, 300, "Sheet 1 of 3"), (300, 800, "controller"), (900, 900, "memory")])
    assert classify(features(page, non_text_ink=0.01), first_front=False) == "drawing"
    # the same few words on a clean page: a short text page, not a drawing
    assert classify(features(page, non_text_ink=0.0), first_front=False) == "text"


def test_search_report_needs_its_title_near_the_top() -> None:
    lines = [(300, 200, "EUROPEAN SEARCH REPORT"), (300, 300, "Application Number EP 99 20 3729"),
             (300, 450, "Category Citation of document, with indication"),
             (300, 550, "X US 8233667 B2 (SMITH) 31 July 2012 1-10")]  # fmt: skip
    assert classify(features(page_of(lines)), first_front=False) == "search-report"
    mention = column(["as found in the international search report for this application,"] * 30)
    assert classify(features(page_of(mention)), first_front=False) == "text"


def test_blank_page() -> None:
    assert classify(features(page_of([(300, 300, "-")])), first_front=False) == "blank"


def test_front_pages() -> None:
    lines = [(200, 200 + 50 * i, f"({code}) value {i}") for i, code in
             enumerate(["12", "10", "45", "54", "71", "72", "21", "22", "51"])]  # fmt: skip
    page = page_of(lines)
    assert classify(features(page), first_front=True) == "front"
    assert classify(features(page), first_front=False) == "front"  # a second one bound in
    # a description page that numbers its compounds "(21)", "(22)" inside the text is text
    text = column([f"the compound ({n}) reacts with the solvent to give a clear solution of"
                   for n in (21, 22, 23, 24)] * 6)  # fmt: skip
    assert classify(features(page_of(text)), first_front=False) == "text"


@pytest.mark.parametrize("name", ["EP1000000A1.clean", "US8930553B2.degraded",
                                  "US20050004437A1.clean"])  # fmt: skip
def test_recorded_documents_pages_classified(name: str) -> None:
    data = load_fixture(name)
    doc = build_document(data["doc_id"], fixture_pages(data), non_text_ink=data["ink"])
    assert [p.kind for p in doc.pages] == data["kinds"]

"""Lines of running text: margin and gutter line numbers, running headers, skew."""

from __future__ import annotations

import math

from mapping.bodytext import margin_line_numbers, page_text_lines, skew_slope, strip_running_text
from ocr.models import PageOcr, Word
from tests.conftest import column, page_of

BODY = [f"line {i} of the running text of the description goes on here" for i in range(40)]
SHORT = [f"line {i} of the column text" for i in range(40)]  # fits a column of a two-column page


def test_gutter_line_numbers_are_removed() -> None:
    left = column(SHORT[:20], x=170)
    right = column(SHORT[20:], x=1350)
    numbers = [(1260, 400 + 45 * (i - 1), str(i)) for i in range(5, 21, 5)]
    page = page_of(left + right + numbers, width=2550, height=3300)
    dropped = {page.words[i].text for i in margin_line_numbers(page)}
    assert dropped == {"5", "10", "15", "20"}
    texts = [ln.text for ln in page_text_lines(page)]
    assert texts == SHORT[:40]  # left column first, numbers gone


def test_numbers_inside_text_are_kept() -> None:
    page = page_of(column(["see claims 5 and 10 of the patent", "5 mm wide and 10 mm long"]))
    assert margin_line_numbers(page) == set()
    # a header's "000" above a widely spaced "5," must not make a column of line numbers
    lines = [(1000, 130, "EP 1 000 000 A1"), (700, 900, "as claimed in claim 4,"),
             (1180, 900, "5,"), (1300, 900, "6 or 7, wherein")]  # fmt: skip
    assert margin_line_numbers(page_of(lines)) == set()


def test_running_header_and_page_number_dropped() -> None:
    pages = []
    for n in range(3):
        lines = [(1000, 130, "EP 1 000 000 A1")] + column(BODY[:10]) + [(1200, 3300, str(n + 1))]
        page = page_of(lines, index=n)
        pages.append((page, page_text_lines(page)))
    cleaned = strip_running_text(pages)
    for lines in cleaned:
        assert [ln.text for ln in lines] == BODY[:10]
        assert lines[0].gap is None  # the body starts its column afresh


def _rotate(page: PageOcr, degrees: float) -> PageOcr:
    a = math.radians(degrees)
    words = []
    for w in page.words:
        cx, cy = (w.bbox[0] + w.bbox[2]) / 2, (w.bbox[1] + w.bbox[3]) / 2
        nx, ny = cx * math.cos(a) - cy * math.sin(a), cx * math.sin(a) + cy * math.cos(a)
        dx, dy = round(nx - cx), round(ny - cy)
        x0, y0, x1, y1 = w.bbox
        words.append(w.model_copy(update={"bbox": (x0 + dx, y0 + dy, x1 + dx, y1 + dy)}))
    return page.model_copy(update={"words": tuple(words)})


def test_skewed_page_is_levelled_for_layout() -> None:
    texts = BODY[:30]
    page = page_of(column(texts, x=400, indent={0: 60, 10: 60, 20: 60}))
    skewed = _rotate(page, 0.6)
    assert abs(skew_slope(skewed) - math.tan(math.radians(0.6))) < 0.002
    lines = page_text_lines(skewed)
    indented = [i for i, ln in enumerate(lines) if ln.indent >= 1.5]
    assert indented == [0, 10, 20]
    # provenance keeps the boxes of the page as scanned
    assert lines[5].words[0].bbox == skewed.words[5 * 12].bbox


def test_specks_do_not_split_columns() -> None:
    left = column(SHORT[:20], x=170)
    right = column(SHORT[20:], x=1350)
    speck = Word(text="oe", bbox=(1237, 700, 1290, 721), confidence=0.02, block=99, par=1, line=1)
    page = page_of(left + right, width=2550, height=3300)
    page = page.model_copy(update={"words": (*page.words, speck)})
    assert [ln.text for ln in page_text_lines(page)] == SHORT[:40]

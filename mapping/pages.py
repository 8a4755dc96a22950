"""What kind of page is this? Front page, drawing sheet, search report, blank, or a text page.

Decided from the OCR words alone, plus (when the caller has the pixels) the share of ink that lies
outside every word box: line art has lots of it, text pages almost none. Text pages are later
split into description, claims and abstract by `mapping.fulltext`, which sees the whole document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mapping.inid import inid_of_mark
from ocr.models import PageOcr

# A search report names itself in a title line of its own near the top of the page.
SEARCH_REPORT = re.compile(
    r"^(annex\s+to\s+the\s+)?(partial\s+|supplementary\s+)?(european|international)?\s*"
    r"(search\s+report|rapport\s+de\s+recherche|recherchenbericht)\b.{0,40}$"
    r"|^written\s+opinion\s+of\s+the\s+international",
    re.IGNORECASE,
)
REPORT_MARKERS = re.compile(
    r"^(category|citation|relevant|documents\s+considered|examiner|date\s+of\s+completion|"
    r"kategorie|catégorie|technical\s+fields\s+searched)",
    re.IGNORECASE,
)
FIGURE = re.compile(r"^(fig|figure|abb|abbildung)[.\s]*\d*[a-z]?\.?$", re.IGNORECASE)
REAL_WORD = re.compile(r"^[^\W\d_]{3,}[.,;:]?$")


@dataclass(frozen=True)
class PageFeatures:
    words: int
    real_words: int
    """Alphabetic words of three letters or more read with confidence >= 0.6."""
    inid_marks: int
    inid_line_starts: int
    """Lines that begin with an INID mark ("(21) Appl. No.: ...")."""
    figure_labels: int
    numerals: int
    report_markers: int
    non_text_ink: float | None
    """Share of the page's pixels that are ink outside all word boxes (None when unknown)."""


def features(page: PageOcr, non_text_ink: float | None = None) -> PageFeatures:
    words = page.words
    lines: dict[tuple[int, int, int], list[str]] = {}
    tops: dict[tuple[int, int, int], int] = {}
    for w in words:
        key = (w.block, w.par, w.line)
        lines.setdefault(key, []).append(w.text)
        tops.setdefault(key, w.bbox[1])
    markers = sum(1 for ln in lines.values() if REPORT_MARKERS.match(" ".join(ln)))
    titled = any(
        SEARCH_REPORT.match(" ".join(ln)) and tops[key] < page.height * 0.3
        for key, ln in lines.items()
    )
    return PageFeatures(
        words=len(words),
        real_words=sum(1 for w in words if w.confidence >= 0.6 and REAL_WORD.match(w.text)),
        inid_marks=sum(1 for w in words if inid_of_mark(w.text)),
        inid_line_starts=sum(1 for ln in lines.values() if inid_of_mark(ln[0])),
        figure_labels=sum(
            1
            for i, w in enumerate(words)
            if FIGURE.match(w.text)
            and (any(c.isdigit() for c in w.text) or _next_is_number(words, i))
        ),
        numerals=sum(1 for w in words if re.fullmatch(r"\d{1,4}[a-z']?", w.text)),
        report_markers=markers + (3 if titled else 0),
        non_text_ink=non_text_ink,
    )


def _next_is_number(words: tuple, i: int) -> bool:  # type: ignore[type-arg]
    return i + 1 < len(words) and bool(re.fullmatch(r"[0-9|lI]{1,3}[A-Za-z]?", words[i + 1].text))


# A text page has hundreds of real words; a drawing sheet a few labels ("FIG. 3", "Sheet 1 of 4").
DRAWING_MAX_REAL_WORDS = 40
DRAWING_MIN_INK = (
    0.003  # text pages measure <= 0.001 (noisy scans included), drawing sheets >= 0.006
)


def classify(f: PageFeatures, *, first_front: bool) -> str:
    """One of front, search-report, drawing, blank, text."""
    if f.words < 3 and (f.non_text_ink is None or f.non_text_ink < DRAWING_MIN_INK):
        return "blank"
    if f.inid_marks >= 3 and (first_front or f.inid_line_starts >= 3):
        return "front"  # a later front page (another publication bound in) is not text
    if f.report_markers >= 3:
        return "search-report"
    if f.real_words <= DRAWING_MAX_REAL_WORDS:
        if f.non_text_ink is not None:
            if f.non_text_ink >= DRAWING_MIN_INK:
                return "drawing"
        elif f.figure_labels or f.numerals >= max(2, f.real_words // 2):
            return "drawing"
    if f.real_words <= 3 and f.figure_labels:
        return "drawing"
    return "text"

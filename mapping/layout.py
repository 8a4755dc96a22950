"""Page layout from OCR words: lines split at the column gutter, then put in reading order.

Tesseract sometimes joins the two columns of a front page into one line ("(54) CAMERA DATA ...
(2013.01); G08B 17/10"). We find the gutter from where words are (a vertical strip in the middle
that almost no word crosses), cut lines there, and read the left column before the right one
within each band between full-width lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ocr.models import PageOcr, Word

BBox = tuple[int, int, int, int]


@dataclass(frozen=True)
class Line:
    """One printed line. Its words never change, so text, box and confidence are computed once
    (layout and field code ask for them many times)."""

    words: tuple[Word, ...]
    page: int
    column: int  # 0 left, 1 right, -1 full width / single column

    @cached_property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @cached_property
    def bbox(self) -> BBox:
        return union_bbox(w.bbox for w in self.words)

    @cached_property
    def confidence(self) -> float:
        return sum(w.confidence for w in self.words) / len(self.words)


def union_bbox(boxes: object) -> BBox:
    bs = list(boxes)  # type: ignore[call-overload]
    return (
        min(b[0] for b in bs),
        min(b[1] for b in bs),
        max(b[2] for b in bs),
        max(b[3] for b in bs),
    )


def tesseract_lines(page: PageOcr) -> list[list[Word]]:
    """Words grouped by Tesseract's (block, paragraph, line), in Tesseract's order."""
    groups: dict[tuple[int, int, int], list[Word]] = {}
    for w in page.words:
        groups.setdefault((w.block, w.par, w.line), []).append(w)
    return list(groups.values())


def find_gutter(page: PageOcr, min_gap_ratio: float = 0.008) -> int | None:
    """x of the gap between two text columns, or None for a single-column page.

    Looks in the middle 30 % of the page for the x where fewest word boxes lie; it is a gutter
    when at most 5 % of text lines cross it and there is text on both sides.
    """
    if len(page.words) < 20 or page.width == 0:
        return None
    # Only words of real text lines in the upper 60 % of the page: a drawing or flow chart
    # (usually lower down on a front page) must not hide the gutter.
    top_limit = page.height * 0.6
    lines = [ln for ln in tesseract_lines(page) if len(ln) >= 4 and ln[0].bbox[1] < top_limit]
    # specks read as '_' or '|' must not bridge the gutter
    words = [w for ln in lines for w in ln if any(c.isalnum() for c in w.text)]
    if not words:
        return None
    cover = np.zeros(page.width + 1, dtype=np.int32)
    for w in words:
        cover[max(0, w.bbox[0]) : min(page.width, w.bbox[2]) + 1] += 1
    lo, hi = int(page.width * 0.35), int(page.width * 0.65)
    window = cover[lo:hi]
    best = int(window.min())
    if best > max(1, 0.05 * len(lines)):
        return None
    # centre of the widest run of minimal coverage
    xs = np.flatnonzero(window <= best)
    runs = np.split(xs, np.flatnonzero(np.diff(xs) > 1) + 1)
    run = max(runs, key=len)
    if len(run) < page.width * min_gap_ratio:
        return None
    gutter = lo + int(run[len(run) // 2])
    left = sum(1 for w in words if w.bbox[2] <= gutter)
    right = sum(1 for w in words if w.bbox[0] >= gutter)
    if min(left, right) < 0.1 * len(words):
        return None
    return gutter


def page_lines(page: PageOcr) -> list[Line]:
    """Lines in reading order: top to bottom by band, left column before right column in a band."""
    gutter = find_gutter(page)
    pieces: list[Line] = []
    for words in tesseract_lines(page):
        words = sorted(words, key=lambda w: w.bbox[0])
        if gutter is None:
            pieces.append(Line(tuple(words), page.index, -1))
            continue
        left = [w for w in words if w.bbox[2] <= gutter]
        right = [w for w in words if w.bbox[0] >= gutter]
        crossing = [w for w in words if w.bbox[0] < gutter < w.bbox[2]]
        if crossing:
            pieces.append(Line(tuple(words), page.index, -1))
            continue
        if left:
            pieces.append(Line(tuple(left), page.index, 0))
        if right:
            pieces.append(Line(tuple(right), page.index, 1))
    return reading_order(merge_rows(pieces))


def merge_rows(lines: list[Line]) -> list[Line]:
    """Join pieces of one printed row that Tesseract put in separate blocks ("(71)" and
    "Applicant: ..."): same column, vertical centres closer than half a line height."""
    merged: list[Line] = []
    for line in sorted(lines, key=lambda ln: (ln.column, ln.bbox[1], ln.bbox[0])):
        prev = merged[-1] if merged else None
        if prev is not None and prev.column == line.column and _same_row(prev.bbox, line.bbox):
            words = tuple(sorted(prev.words + line.words, key=lambda w: w.bbox[0]))
            merged[-1] = Line(words, prev.page, prev.column)
        else:
            merged.append(line)
    return merged


def _same_row(a: BBox, b: BBox) -> bool:
    height = min(a[3] - a[1], b[3] - b[1])
    centre_a, centre_b = (a[1] + a[3]) / 2, (b[1] + b[3]) / 2
    overlap_x = min(a[2], b[2]) > max(a[0], b[0])
    return abs(centre_a - centre_b) < max(4.0, height * 0.5) and not overlap_x


def reading_order(lines: list[Line]) -> list[Line]:
    """Full-width lines cut the page into bands; each band reads its left column, then its right."""
    by_top = sorted(lines, key=lambda ln: (ln.bbox[1], ln.bbox[0]))
    ordered: list[Line] = []
    band: list[Line] = []

    def flush() -> None:
        ordered.extend(sorted((ln for ln in band if ln.column == 0), key=lambda ln: ln.bbox[1]))
        ordered.extend(sorted((ln for ln in band if ln.column == 1), key=lambda ln: ln.bbox[1]))
        band.clear()

    for line in by_top:
        if line.column == -1:
            flush()
            ordered.append(line)
        else:
            band.append(line)
    flush()
    return ordered

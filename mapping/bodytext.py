"""Lines of running text from the OCR of description and claims pages, in reading order, cleaned of
what the printer added around the text: line numbers in the margin or the gutter (EP, WO, CA and
US grants print 5, 10, 15 ...), running headers and footers (document number, date, page number,
US column numbers). Each line carries the geometry that paragraph finding needs: its indent from
its column's left edge, how far it stops short of the right edge, and the vertical gap before it.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from mapping.layout import Line, page_lines
from ocr.models import PageOcr, Word

BBox = tuple[int, int, int, int]
_NUMBER = re.compile(r"^\W?(\d{1,3})\W?$")  # "25", and "30," or "'40" on a noisy page


@dataclass(frozen=True)
class TextLine:
    words: tuple[Word, ...]
    """The words as OCR read them (boxes in the page image's coordinates)."""
    page: int
    column: int
    box: BBox
    """The line's box on the page turned level (skew removed): what layout decisions use."""
    col_left: int
    col_right: int
    char_width: float
    gap: float | None
    """Distance from the previous line's top in line pitches (1.0 = no blank line); None at the
    top of a column."""

    @cached_property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @cached_property
    def bbox(self) -> BBox:
        """The line's box in the page image (for provenance and crops)."""
        return union(w.bbox for w in self.words)

    @property
    def indent(self) -> float:
        """Indent from the column's left edge, in characters."""
        return (self.box[0] - self.col_left) / self.char_width

    @property
    def short_by(self) -> float:
        """How far the line stops before the column's right edge, in characters."""
        return (self.col_right - self.box[2]) / self.char_width

    @property
    def centred(self) -> bool:
        left = self.box[0] - self.col_left
        right = self.col_right - self.box[2]
        return left > 3 * self.char_width and abs(left - right) < 3 * self.char_width


def union(boxes: Iterable[BBox]) -> BBox:
    bs = list(boxes)
    return (min(b[0] for b in bs), min(b[1] for b in bs), max(b[2] for b in bs),
            max(b[3] for b in bs))  # fmt: skip


def skew_slope(page: PageOcr) -> float:
    """Median slope (dy/dx) of the text lines, from the bottoms of their words."""
    groups: dict[tuple[int, int, int], list[Word]] = {}
    for w in page.words:
        groups.setdefault((w.block, w.par, w.line), []).append(w)
    slopes = []
    for ws in groups.values():
        ws = [w for w in ws if len(w.text) >= 2 and w.text.isalpha()]
        if len(ws) < 4:
            continue
        xs = [(w.bbox[0] + w.bbox[2]) / 2 for w in ws]
        ys = [w.bbox[3] for w in ws]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        sxx = sum((x - mx) ** 2 for x in xs)
        if sxx < (page.width * 0.1) ** 2:
            continue
        slopes.append(sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx)
    return statistics.median(slopes) if len(slopes) >= 3 else 0.0


def _level(w: Word, slope: float) -> Word:
    """The word's box with the page turned level (small-angle rotation about the origin)."""
    xc, yc = (w.bbox[0] + w.bbox[2]) / 2, (w.bbox[1] + w.bbox[3]) / 2
    dx, dy = round(slope * yc), round(-slope * xc)
    x0, y0, x1, y1 = w.bbox
    return w.model_copy(update={"bbox": (x0 + dx, y0 + dy, x1 + dx, y1 + dy)})


def _junk_line(line: Line) -> bool:
    """A line of specks: a few characters read with low confidence."""
    chars = sum(sum(c.isalnum() for c in w.text) for w in line.words)
    return chars <= 4 and line.confidence < 0.45


def is_noise(w: Word) -> bool:
    """Specks read as punctuation: no letter or digit and a low confidence."""
    return not any(c.isalnum() for c in w.text) and w.confidence < 0.6


def _isolated(i: int, words: Sequence[Word], ignore: set[int], reach: float = 1.2) -> bool:
    """No other word (outside `ignore`) on the same row within `reach` word heights (1.2: wider
    than most gaps between words of a justified line, narrower than a margin)."""
    w = words[i]
    height = max(8, w.bbox[3] - w.bbox[1])
    for j, o in enumerate(words):
        if j == i or j in ignore:
            continue
        overlap = min(w.bbox[3], o.bbox[3]) - max(w.bbox[1], o.bbox[1])
        if overlap <= 0.3 * height:
            continue
        if max(o.bbox[0] - w.bbox[2], w.bbox[0] - o.bbox[2], 0) < reach * height:
            return False
    return True


def specks(page: PageOcr) -> set[int]:
    """Indices of isolated, short words read with very low confidence (dust, a smudged margin
    number): left in, they would cut the page into false bands."""
    return {
        i
        for i, w in enumerate(page.words)
        if w.confidence < 0.35
        and sum(c.isalnum() for c in w.text) <= 3
        and _isolated(i, page.words, set(), reach=3.0)
    }


def margin_line_numbers(page: PageOcr) -> set[int]:
    """Indices of words that are printed line numbers: small numbers standing alone in a narrow
    vertical strip (the margin or the gutter), at least two of them, counting in fives or upwards."""
    words = page.words
    cands = {i for i, w in enumerate(words) if _NUMBER.match(w.text)}
    isolated = [i for i in cands if _isolated(i, words, set())]
    isolated.sort(key=lambda i: (words[i].bbox[0] + words[i].bbox[2]) / 2)
    clusters: list[list[int]] = []
    for i in isolated:
        xc = (words[i].bbox[0] + words[i].bbox[2]) / 2
        if clusters:
            last = clusters[-1][-1]
            lxc = (words[last].bbox[0] + words[last].bbox[2]) / 2
            if xc - lxc < 1.5 * max(8, words[i].bbox[3] - words[i].bbox[1]):
                clusters[-1].append(i)
                continue
        clusters.append([i])
    out: set[int] = set()
    for cluster in clusters:
        if len(cluster) < 2:
            continue
        ordered = sorted(cluster, key=lambda i: words[i].bbox[1])
        values = [int(_NUMBER.match(words[i].text)[1]) for i in ordered]  # type: ignore[index]
        rising = all(b > a for a, b in zip(values, values[1:], strict=False)) and values[0] > 0
        fives = all(v % 5 == 0 for v in values)
        if rising and (fives or len(cluster) >= 3):
            out.update(cluster)
    return out


def _column_geometry(lines: list[Line]) -> dict[int, tuple[int, int, float]]:
    """Per column: (left edge, right edge, character width) from its lines."""
    geo: dict[int, tuple[int, int, float]] = {}
    by_col: dict[int, list[Line]] = {}
    for ln in lines:
        by_col.setdefault(ln.column, []).append(ln)
    for col, lns in by_col.items():
        lefts = sorted(ln.bbox[0] for ln in lns)
        rights = sorted(ln.bbox[2] for ln in lns)
        left = lefts[len(lefts) // 10]
        right = rights[min(len(rights) - 1, (len(rights) * 9) // 10)]
        widths = [
            (w.bbox[2] - w.bbox[0]) / len(w.text)
            for ln in lns
            for w in ln.words
            if len(w.text) >= 3 and w.text.isalpha()
        ]
        char = statistics.median(widths) if widths else 20.0
        geo[col] = (left, right, max(4.0, char))
    return geo


def page_text_lines(page: PageOcr) -> list[TextLine]:
    """The page's lines in reading order, without margin line numbers and specks. Layout is
    judged on the page turned level; the lines keep the words' original boxes."""
    slope = skew_slope(page)
    levelled = [_level(w, slope) if abs(slope) > 0.0005 else w for w in page.words]
    original = {id(lv): w for lv, w in zip(levelled, page.words, strict=True)}
    level_page = page.model_copy(update={"words": tuple(levelled)})
    drop = margin_line_numbers(level_page) | specks(level_page)
    kept = tuple(w for i, w in enumerate(levelled) if i not in drop and not is_noise(w))
    level_page = level_page.model_copy(update={"words": kept})
    lines = [ln for ln in page_lines(level_page) if ln.words and not _junk_line(ln)]
    geo = _column_geometry(lines)
    heights = [ln.bbox[3] - ln.bbox[1] for ln in lines if len(ln.words) >= 3]
    height = statistics.median(heights) if heights else 30.0
    pitches: list[int] = []
    prev_by_col: dict[int, Line] = {}
    for ln in lines:
        prev = prev_by_col.get(ln.column)
        if prev is not None:
            d = ln.bbox[1] - prev.bbox[1]
            if 0 < d < 1.6 * height * 1.5:
                pitches.append(d)
        prev_by_col[ln.column] = ln
    pitch = statistics.median(pitches) if pitches else height * 1.3
    out: list[TextLine] = []
    prev_by_col = {}
    for ln in lines:
        prev = prev_by_col.get(ln.column)
        gap = None if prev is None else (ln.bbox[1] - prev.bbox[1]) / pitch
        left, right, char = geo[ln.column]
        words = tuple(original[id(w)] for w in ln.words)
        out.append(TextLine(words, page.index, ln.column, ln.bbox, left, right, char, gap))
        prev_by_col[ln.column] = ln
    return out


# Running headers and footers -------------------------------------------------------------------

_FURNITURE = re.compile(
    r"^[-–—(\[]?\s*\d{1,4}\s*[-–—)\]]?$"  # page or column number
    r"|^(page|seite)\s+\d+(\s+(of|von|sur)\s+\d+)?$"
    r"|^\d{1,4}\s*/\s*\d{1,4}$"
    r"|^(US|EP|WO|CA|DE|FR|GB|JP|CN|KR|AU|CH|AT|ES|IT|NL|SE)\b.{0,60}$",
    re.IGNORECASE,
)
TOP_BAND, BOTTOM_BAND = 0.09, 0.92


def _mask(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", text.lower())).strip()


def strip_running_text(pages: Sequence[tuple[PageOcr, list[TextLine]]]) -> list[list[TextLine]]:
    """Drop running headers and footers: lines in the top or bottom band of a page that look like
    page furniture (numbers, document numbers) or recur on other pages (digits ignored)."""
    seen: Counter[str] = Counter()
    for page, lines in pages:
        keys = {_mask(ln.text) for ln in lines if _in_band(page, ln)}
        seen.update(keys)
    out: list[list[TextLine]] = []
    for page, lines in pages:
        kept: list[TextLine] = []
        columns: set[int] = set()
        for ln in lines:
            if _in_band(page, ln) and (
                _FURNITURE.match(ln.text.strip()) or (seen[_mask(ln.text)] >= 2 and len(pages) > 1)
            ):
                continue
            if ln.column not in columns:  # the first line left in its column starts it afresh
                ln = replace(ln, gap=None)
                columns.add(ln.column)
            kept.append(ln)
        out.append(kept)
    return out


def _in_band(page: PageOcr, line: TextLine) -> bool:
    top, bottom = line.box[1], line.box[3]
    centre = (top + bottom) / 2
    return centre < page.height * TOP_BAND or centre > page.height * BOTTOM_BAND

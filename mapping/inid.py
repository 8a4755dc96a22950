"""INID codes (WIPO ST.9) and printed labels: cut a page's lines into coded segments.

A segment starts at a line that begins with an INID mark ("(21)", "[21]", "21)", OCR variants
such as "(2l)" or "(SI)") or with a known printed label ("Appl. No.:", "Anmeldetag", "Date de
dépôt"), and runs on over the following lines of the same column until the next segment starts.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass, field
from importlib import resources

from mapping.layout import Line, union_bbox
from mapping.model import Provenance
from ocr.models import Word

_MARK = re.compile(
    r"^[\(\[\{<]?([0-9OoSlIi|ZzB]{2})[\)\]\}>]$|^[\(\[\{<]([0-9OoSlIi|ZzB]{2})[\)\]\}>]?$"
)
_MARK_FIX = str.maketrans({"O": "0", "o": "0", "S": "5", "l": "1", "I": "1", "i": "1", "|": "1",
                           "Z": "2", "z": "2", "B": "8"})  # fmt: skip

# Printed labels that name a field without (or beside) its INID code. Longest first matters
# only within a code. Matching is case-insensitive on the start of a line or segment.
LABELS: tuple[tuple[str, str], ...] = (
    ("11", r"patent\s+n[o0][.,]?\s*:?"),
    ("11", r"(?:pub(?:lication)?\.?\s+n[o0]\.?|publication\s+number)\s*:?"),
    ("11", r"n[°o]\s+de\s+publication\s*:?"),
    ("45", r"date\s+of\s+patent\s*:?"),
    ("43", r"pub(?:lication)?\.?\s+date\s*:?"),
    ("21", r"appl(?:ication)?\.?\s+n[o0]\.?\s*:?"),
    ("21", r"aktenzeichen\s*:?"),
    ("21", r"n[°o]\s+d'enregistrement\s+national\s*:?|n[°o]\s+de\s+d[ée]p[ôo]t\s*:?"),
    ("22", r"(?:pct\s+)?filed\s*:?"),
    ("22", r"anmeldetag\s*:?"),
    ("22", r"date\s+de\s+d[ée]p[ôo]t\s*:?"),
    ("71", r"applicants?\s*:?|anmelder\s*:?|demandeurs?\s*:?"),
    ("72", r"inventors?\s*:?|erfinder\s*:?|inventeurs?\s*:?"),
    ("73", r"assignees?\s*:?|inhaber\s*:?|titulaires?\s*:?|proprietors?\s*:?"),
    ("74", r"attorney,?\s+agent,?\s+or\s+firm\s*[-—–:]*|agent\s*:|vertreter\s*:?|mandataire\s*:?"),
    ("51", r"int\.?\s*c[l1i]\.?\s*[0-9]*\s*:?|internationale\s+klassifikation\s*:?"),
    ("54", r"title\s*:|titre\s*:|bezeichnung\s*:?"),
    ("57", r"abstract|abr[ée]g[ée]|zusammenfassung"),
)
_LABEL_RES = tuple(
    (code, re.compile(r"^\s*(?:" + rx + r")\s*", re.IGNORECASE)) for code, rx in LABELS
)


@functools.lru_cache(maxsize=1)
def known_codes() -> frozenset[str]:
    with resources.files("mapping").joinpath("data/inid_st9.csv").open(encoding="utf-8") as fh:
        return frozenset(row["code"] for row in csv.DictReader(fh))


def inid_of_mark(token: str) -> str | None:
    """'(21)' -> '21', '(2l)' -> '21', '[SI]' -> '51'; None for anything that is not an INID mark."""
    m = _MARK.match(token.strip())
    if not m:
        return None
    code = (m[1] or m[2]).translate(_MARK_FIX)
    return code if code in known_codes() else None


def strip_label(text: str, code: str | None = None) -> tuple[str | None, int]:
    """Find a known label at the start of text: (its INID code, characters to skip) or (None, 0)."""
    for label_code, rx in _LABEL_RES:
        if (
            code is not None
            and label_code != code
            and not (code in {"10", "11"} and label_code == "11")
        ):
            continue
        m = rx.match(text)
        if m and m.end() > 0:
            return label_code, m.end()
    return None, 0


@dataclass
class Segment:
    """The words of one coded field, possibly over several lines; offsets map text to words."""

    code: str
    page: int
    column: int
    words: list[Word] = field(default_factory=list)
    line_starts: set[int] = field(default_factory=set)
    labelled: bool = False

    def add_line(self, words: list[Word]) -> None:
        if words:
            self.line_starts.add(len(self.words))
            self.words.extend(words)

    @property
    def text(self) -> str:
        return "".join(self._pieces())

    def lines(self) -> list[list[Word]]:
        out: list[list[Word]] = []
        for i, w in enumerate(self.words):
            if i in self.line_starts or not out:
                out.append([])
            out[-1].append(w)
        return out

    def _pieces(self) -> list[str]:
        pieces = []
        for i, w in enumerate(self.words):
            if i:
                pieces.append("\n" if i in self.line_starts else " ")
            pieces.append(w.text)
        return pieces

    def words_in(self, start: int, end: int) -> list[Word]:
        """The words whose characters overlap text[start:end]."""
        out, pos = [], 0
        for i, w in enumerate(self.words):
            if i:
                pos += 1
            if pos < end and pos + len(w.text) > start:
                out.append(w)
            pos += len(w.text)
        return out

    def provenance(self, start: int = 0, end: int | None = None) -> Provenance:
        text = self.text
        end = len(text) if end is None else end
        words = self.words_in(start, end) or self.words
        if not words:
            return Provenance(page=self.page, raw=text[start:end].strip())
        conf = sum(w.confidence for w in words) / len(words)
        return Provenance(
            page=self.page,
            bbox=union_bbox(w.bbox for w in words),
            confidence=round(conf, 4),
            raw=text[start:end].strip(),
        )


def segment_lines(lines: list[Line]) -> list[Segment]:
    """Cut ordered lines into segments at INID marks and known labels."""
    segments: list[Segment] = []
    current: Segment | None = None
    for line in lines:
        words = list(line.words)
        code = inid_of_mark(words[0].text) if words else None
        if code is not None:
            words = words[1:]
        rest = " ".join(w.text for w in words)
        label_code, _ = strip_label(rest)
        if code is None and label_code is not None:
            code = label_code
        if code is not None:
            current = Segment(
                code=code, page=line.page, column=line.column, labelled=label_code is not None
            )
            current.add_line(words)
            segments.append(current)
        elif current is not None and _continues(current, line):
            current.add_line(words)
        else:
            current = None
    return segments


def _continues(segment: Segment, line: Line) -> bool:
    if line.page != segment.page or line.column != segment.column or not segment.words:
        return False
    if line.text.strip().lower().startswith("(continued"):
        return False
    last = segment.words[-1].bbox
    height = max(8, last[3] - last[1])
    return -height < line.bbox[1] - last[3] < 1.2 * height

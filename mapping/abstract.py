"""The front page's abstract (57) when the INID segmenter lost it.

Front pages often set the "(57) ABSTRACT" heading apart from its text by a little more than a
line's spacing, which ends the coded segment after the heading. Here the text is taken as the
lines that follow the heading in the same column, up to the next INID-coded line, a blank line,
or the "N Claims, N Drawing Sheets" line of US front pages.
"""

from __future__ import annotations

import re

from mapping.inid import inid_of_mark
from mapping.layout import Line
from ocr.models import Word

HEADING = re.compile(r"^(abstract|abr[ée]g[ée]|zusammenfassung|resumen)[:.]?$", re.IGNORECASE)
COUNTS = re.compile(r"^\d+\s+claims?\b", re.IGNORECASE)


def abstract_lines(lines: list[Line]) -> list[list[Word]]:
    """The abstract's printed lines after the (57) mark, or [] when there is no such mark."""
    start = next(
        (i for i, ln in enumerate(lines) if ln.words and inid_of_mark(ln.words[0].text) == "57"),
        None,
    )
    if start is None:
        return []
    head = lines[start]
    first = [w for w in head.words[1:] if not HEADING.match(w.text)]
    out: list[list[Word]] = [first] if first else []
    last = head
    height = max(8, head.bbox[3] - head.bbox[1])
    for ln in lines[start + 1 :]:
        if ln.page != head.page or ln.column != head.column or not ln.words:
            continue
        gap = ln.bbox[1] - last.bbox[3]
        limit = (1.8 if not out else 1.2) * height  # the heading stands a little apart
        if gap > limit or gap < -height:
            break
        if inid_of_mark(ln.words[0].text) or COUNTS.match(ln.text):
            break
        out.append(list(ln.words))
        last = ln
        height = max(8, min(height, ln.bbox[3] - ln.bbox[1]))
    return out

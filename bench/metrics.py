"""Scores for the preprocessing benchmark: bag-of-words error rate and field accuracy.

Bag-of-words WER: the ground truth of the US front pages is another engine's OCR in its own reading
order, so words are compared as multisets. Tokens are split on white space, NFKC-normalised,
lower-cased and stripped of leading/trailing punctuation; empty tokens are dropped. With M ground-
truth words missing from the OCR and E OCR words not in the ground truth, errors = max(M, E) (an
unmatched pair counts as one substitution, the rest as deletions or insertions) and
WER = errors / number of ground-truth words.

Read-lines WER (a fairer reference, beside the first): the reference is cut down to the lines of
`gt/<id>.lines.json` that raw Tesseract reads on the clean page at the file's own resolution. A
line stays when at least half of its tokens are among the words raw Tesseract found inside the
line's box (word centre within the box grown by 4 px; same pixel grid, the clean file is the
labelled image). ipdigitise's reading plays no part in the choice, and the rule favours raw
Tesseract if anything: lines only ipdigitise reads (at 300 dpi) are dropped too. The dropped lines
are mostly figure labels, the barcode digits, small print, and on a few pages a block raw
Tesseract's page segmentation skips. Their words are out of scope both ways: not required, and an
OCR word left unmatched by the kept lines is not counted as extra when a dropped line holds it.
errors = max(missing, extra) over the kept lines as above.

Legacy field accuracy (before `ipdigitise eval`; bench/eval_fields.py now scores fields as eval does): publication_number, publication_date, filing_date
and application_number of the mapped document against the page's labels: digits-only equality for
the number, ISO-date equality for dates, and for application_number the label's digits must be a
suffix of the extracted digits (labels omit the series code). A field missing counts as wrong.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

_PUNCT = "\"'`.,;:!?()[]{}<>*-_/\\|~^°·•‘’“”"

FIELDS = ("publication_number", "publication_date", "filing_date", "application_number")


def tokens(text: str) -> Counter[str]:
    out: Counter[str] = Counter()
    for raw in unicodedata.normalize("NFKC", text).split():
        tok = raw.lower().strip(_PUNCT)
        if tok:
            out[tok] += 1
    return out


def bag_wer(reference: str, hypothesis: str) -> tuple[float, int, int]:
    """(WER, errors, reference word count)."""
    ref, hyp = tokens(reference), tokens(hypothesis)
    n = sum(ref.values())
    missing = sum((ref - hyp).values())
    extra = sum((hyp - ref).values())
    errors = max(missing, extra)
    return (errors / n if n else 0.0), errors, n


READ_SHARE = 0.5
"""A reference line is kept when at least this share of its tokens is read on the clean page."""


def split_readable(
    lines: list[dict[str, Any]],
    words: list[tuple[str, tuple[float, float, float, float]]],
    share: float = READ_SHARE,
    grow: int = 4,
) -> tuple[list[str], list[str]]:
    """(kept, dropped) texts of `lines` ({"text", "bbox_px"}) given a clean page's OCR `words`
    (text, (x0, y0, x1, y1)) in the same pixel grid: kept when `share` of the line's tokens are
    among the words whose centre lies in the line's box."""
    kept: list[str] = []
    dropped: list[str] = []
    for line in lines:
        x0, y0, x1, y1 = line["bbox_px"]
        inside = " ".join(
            text for text, (a, b, c, d) in words
            if x0 - grow <= (a + c) / 2 <= x1 + grow and y0 - grow <= (b + d) / 2 <= y1 + grow
        )  # fmt: skip
        want = tokens(line["text"])
        found = sum((want & tokens(inside)).values())
        n = sum(want.values())
        (kept if n and found >= share * n else dropped).append(line["text"])
    return kept, dropped


def scoped_wer(kept: list[str], dropped: list[str], hypothesis: str) -> tuple[float, int, int]:
    """(WER, errors, reference word count) against the kept lines; dropped lines' words excused."""
    ref, hyp = tokens("\n".join(kept)), tokens(hypothesis)
    n = sum(ref.values())
    missing = sum((ref - hyp).values())
    extra = sum(((hyp - ref) - tokens("\n".join(dropped))).values())
    errors = max(missing, extra)
    return (errors / n if n else 0.0), errors, n


def _digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def expected_fields(gt_file: Path) -> dict[str, str]:
    data = json.loads(gt_file.read_text())["fields"]
    out: dict[str, str] = {}
    if "patent_number" in data:
        out["publication_number"] = _digits(
            data["patent_number"].get("normalized") or data["patent_number"]["mention_text"]
        )
    for name in ("publication_date", "filing_date"):
        if name in data and data[name].get("normalized"):
            out[name] = data[name]["normalized"]
    if "application_number" in data:
        out["application_number"] = _digits(data["application_number"]["mention_text"])
    return out


def field_correct(name: str, expected: str, got: str | None) -> bool:
    if got is None:
        return False
    if name == "application_number":
        digits = _digits(got)
        return bool(expected) and digits.endswith(expected)
    if name == "publication_number":
        return _digits(got) == expected
    return got.strip() == expected

"""Scores for the preprocessing benchmark: bag-of-words error rate and field accuracy.

Bag-of-words WER: the ground truth of the US front pages is another engine's OCR in its own reading
order, so words are compared as multisets. Tokens are split on white space, NFKC-normalised,
lower-cased and stripped of leading/trailing punctuation; empty tokens are dropped. With M ground-
truth words missing from the OCR and E OCR words not in the ground truth, errors = max(M, E) (an
unmatched pair counts as one substitution, the rest as deletions or insertions) and
WER = errors / number of ground-truth words.

Field accuracy (until `ipdigitise eval` lands): publication_number, publication_date, filing_date
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

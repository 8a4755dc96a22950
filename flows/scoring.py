"""Scoring extracted bibliographic fields against ground truth: pure functions, no I/O.

The rules are the documented contract of `ipdigitise eval` (they are printed in every report
header, from `RULES` below, and each is unit-tested):

* Every value is normalised before comparison by the normaliser of its field's type:
  - text (title, party names): Unicode NFKC, typographic quotes and dashes made plain, runs of
    whitespace made one space, no space before `,` `;` `:` `.`, surrounding spaces and trailing
    `,` `;` `:` `.` removed. Case is kept: `SONY CORPORATION` and `Sony Corporation` differ.
  - number (publication number): a trailing kind code removed, then digits only, leading
    zeros removed (`US 10,231,003 B2`, `US010231003B2` and `10231003` are equal).
  - application number: digits only (`15/947,048` -> `15947048`).
  - date: ISO 8601 `YYYY-MM-DD`, compared as text.
  - code (office, kind): upper case, no spaces.
  - classification (IPC, CPC): upper case, no spaces, edition `(2006.01)` removed, leading zeros
    of the main group removed (`G06F 3/00 (2006.01)` -> `G06F3/00`). No OCR repair is applied
    to either side: `GO6F` does not equal `G06F`.
* Match rule per field, depending on what the ground truth labels:
  - `exact`: normalised label == normalised prediction.
  - `prefix` (labels of only the first printed line, `*_line_1`): the normalised label, without
    a line-break hyphen at its end, is a prefix of the normalised prediction.
  - `suffix` (application numbers labelled without their series code, `947,048` for
    `15/947,048`): the label's digits end the prediction's digits, with at most
    `MAX_SERIES_DIGITS` digits before them.
  - lists (`ipc`, `applicants`, ...): correct when both lists are equal element by element
    after normalisation; precision and recall count matched elements (as multisets).
* Counting, per field, over the documents whose ground truth says something about the field
  (a value, or "not printed" in formats where a missing key means that):
  accuracy = correct / scored, where a correct "not printed" is predicting nothing;
  precision = correct predictions / predictions made; recall = correct predictions / labels.
  A ground truth that leaves a field out without saying it is absent (the shared US labels)
  does not score that field for that document.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

Rule = Literal["exact", "prefix", "suffix", "list"]
Kind = Literal["text", "number", "appno", "date", "code", "class"]

MAX_SERIES_DIGITS = 4
"""How many digits a prediction may carry before a suffix-labelled application number."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    inid: str
    kind: Kind
    is_list: bool = False
    core: bool = True
    """Part of the overall accuracy ("all fields together")."""


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("office", "19", "code"),
    FieldSpec("publication_number", "11", "number"),
    FieldSpec("kind", "13", "code"),
    FieldSpec("publication_date", "45", "date"),
    FieldSpec("application_number", "21", "appno"),
    FieldSpec("filing_date", "22", "date"),
    FieldSpec("title", "54", "text"),
    FieldSpec("ipc_first", "51", "class"),
    FieldSpec("applicant_first", "71", "text"),
    FieldSpec("inventor_first", "72", "text"),
    FieldSpec("assignee_first", "73", "text", core=False),
    FieldSpec("cpc_first", "52", "class", core=False),
    FieldSpec("ipc", "51", "class", is_list=True, core=False),
    FieldSpec("applicants", "71", "text", is_list=True, core=False),
    FieldSpec("inventors", "72", "text", is_list=True, core=False),
    FieldSpec("assignees", "73", "text", is_list=True, core=False),
)
SPECS = {spec.name: spec for spec in FIELDS}

RULES: tuple[str, ...] = (
    "text (title, names): NFKC, plain quotes and dashes, single spaces, no space before , ; : ., "
    "trailing , ; : . removed; case kept",
    "publication number: office and kind code removed, digits only, leading zeros removed",
    "application number: digits only",
    "dates: ISO 8601 YYYY-MM-DD",
    "office and kind codes: upper case, no spaces",
    "IPC/CPC: upper case, no spaces, edition '(YYYY.MM)' removed, leading zeros of the main "
    "group removed; no OCR repair of either side",
    "exact: normalised label == normalised prediction",
    "prefix (first-printed-line labels *_line_1): the label (without a line-break hyphen at its "
    "end) is a prefix of the prediction",
    f"suffix (application numbers labelled without series code): the label's digits end the "
    f"prediction's digits, at most {MAX_SERIES_DIGITS} digits before them",
    "lists: equal element by element; precision/recall over matched elements",
    "a field the ground truth leaves out without saying it is absent is not scored",
)

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_QUOTES = {ord(c): "'" for c in "\u2018\u2019\u201a\u201b\u00b4`"} | {
    ord(c): '"' for c in "\u201c\u201d\u201e\u201f"
}


def norm_text(value: str) -> str:
    t = unicodedata.normalize("NFKC", value).translate(_DASHES).translate(_QUOTES)
    t = " ".join(t.split())
    t = re.sub(r"\s+([,;:.])", r"\1", t)
    return t.strip().rstrip(",;:.").strip()


def norm_number(value: str) -> str:
    value = re.sub(r"(?<=[\d\s])[A-Z]\d?\s*$", "", value.strip())  # a trailing kind code
    return re.sub(r"\D", "", value).lstrip("0")


def norm_appno(value: str) -> str:
    return re.sub(r"\D", "", value)


def norm_code(value: str) -> str:
    return re.sub(r"\s", "", value).upper()


def norm_class(value: str) -> str:
    t = re.sub(r"\(\s*\d{4}\s*[.,]\s*\d{2}\s*\)", "", value)
    t = re.sub(r"\s", "", t).upper()
    return re.sub(r"^([A-H]\d{2}[A-Z])0+(\d)", r"\1\2", t)


def norm_date(value: str) -> str:
    return value.strip()


NORMALISERS = {
    "text": norm_text,
    "number": norm_number,
    "appno": norm_appno,
    "date": norm_date,
    "code": norm_code,
    "class": norm_class,
}


def normalise(kind: Kind, value: str) -> str:
    return NORMALISERS[kind](value)


def matches(kind: Kind, rule: Rule, label: str, predicted: str) -> bool:
    """Whether one predicted value is correct for one label under `rule`."""
    want, got = normalise(kind, label), normalise(kind, predicted)
    if not want or not got:
        return False
    if rule == "prefix":
        want = want.rstrip("-").rstrip()
        return got.startswith(want)
    if rule == "suffix":
        return got.endswith(want) and len(got) - len(want) <= MAX_SERIES_DIGITS
    return want == got


@dataclass(frozen=True)
class Label:
    """What a ground truth says about one field of one document. `value` None: not printed."""

    value: str | tuple[str, ...] | None
    rule: Rule = "exact"


@dataclass(frozen=True)
class Prediction:
    value: str | tuple[str, ...] | None
    confidence: float | None = None


@dataclass(frozen=True)
class Outcome:
    doc_id: str
    field: str
    correct: bool
    expected: str | tuple[str, ...] | None
    got: str | tuple[str, ...] | None
    rule: Rule
    confidence: float | None = None
    status: str | None = None
    matched: int = 0
    """Lists: elements matched (for precision and recall)."""


def score_field(
    doc_id: str, spec: FieldSpec, label: Label, pred: Prediction, status: str | None = None
) -> Outcome:
    got = pred.value if pred.value not in ("", ()) else None
    if spec.is_list:
        want_list = tuple(label.value or ())
        got_list = tuple(got or ())
        matched = _multiset_matches(spec.kind, want_list, got_list)
        correct = len(want_list) == len(got_list) and all(
            matches(spec.kind, "exact", w, g) for w, g in zip(want_list, got_list, strict=True)
        )
        return Outcome(doc_id, spec.name, correct, label.value, got, "list", pred.confidence,
                       status, matched)  # fmt: skip
    if label.value is None:
        correct = got is None
    else:
        correct = got is not None and matches(spec.kind, label.rule, str(label.value), str(got))
    return Outcome(doc_id, spec.name, correct, label.value, got, label.rule, pred.confidence,
                   status, int(correct and got is not None))  # fmt: skip


def _multiset_matches(kind: Kind, want: Sequence[str], got: Sequence[str]) -> int:
    pool = [normalise(kind, g) for g in got]
    hits = 0
    for w in want:
        nw = normalise(kind, w)
        if nw in pool:
            pool.remove(nw)
            hits += 1
    return hits


@dataclass
class FieldStats:
    name: str
    scored: int = 0
    correct: int = 0
    labelled: int = 0
    """Labels with a value (units for recall: elements, for lists)."""
    predicted: int = 0
    """Predictions made (units for precision: elements, for lists)."""
    matched: int = 0
    rules: set[str] = field(default_factory=set)

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.scored if self.scored else None

    @property
    def precision(self) -> float | None:
        return self.matched / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.labelled if self.labelled else None

    def add(self, o: Outcome, spec: FieldSpec) -> None:
        self.scored += 1
        self.correct += int(o.correct)
        self.rules.add(o.rule)
        if spec.is_list:
            self.labelled += len(o.expected or ())
            self.predicted += len(o.got or ())
        else:
            self.labelled += int(o.expected is not None)
            self.predicted += int(o.got is not None)
        self.matched += o.matched


def aggregate(outcomes: Iterable[Outcome]) -> dict[str, FieldStats]:
    stats: dict[str, FieldStats] = {}
    for o in outcomes:
        spec = SPECS[o.field]
        stats.setdefault(o.field, FieldStats(o.field)).add(o, spec)
    return {s.name: stats[s.name] for s in FIELDS if s.name in stats}


def overall(outcomes: Sequence[Outcome]) -> FieldStats:
    """Micro-average over the core fields ("all fields together")."""
    total = FieldStats("all core fields")
    for o in outcomes:
        spec = SPECS[o.field]
        if spec.core:
            total.add(o, spec)
    return total


def documents_all_correct(outcomes: Sequence[Outcome]) -> tuple[int, int]:
    """(documents whose core fields are all correct, documents scored)."""
    by_doc: dict[str, bool] = {}
    for o in outcomes:
        if SPECS[o.field].core:
            by_doc[o.doc_id] = by_doc.get(o.doc_id, True) and o.correct
    return sum(by_doc.values()), len(by_doc)


def worst_misses(outcomes: Sequence[Outcome], limit: int = 30) -> list[Outcome]:
    """Wrong answers, most harmful first: core fields before informative ones, published
    before review, then most confident, then missing ones (a confident wrong value that
    reaches published/ is what an office fears)."""
    misses = [o for o in outcomes if not o.correct and not SPECS[o.field].is_list]

    def key(o: Outcome) -> tuple[int, int, float, str, str]:
        published = 0 if o.status == "published" else 1
        conf = -(o.confidence if o.confidence is not None else -1.0)
        return (int(not SPECS[o.field].core), published, conf, o.doc_id, o.field)

    return sorted(misses, key=key)[:limit]

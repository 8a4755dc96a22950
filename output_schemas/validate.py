"""The validation gate: schema validity (ST.96 XSD, ST.36 subset DTD, JSON Schema) and business
rules (bibliographic fields here, full text in output_schemas.fulltext_rules), as a report, never
an exception. `ValidationReport.outcome()` turns a report into the destination.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import threading
from importlib import resources
from typing import Any

from lxml import etree

from mapping import normalise as nz
from mapping.model import IPDocument
from output_schemas.findings import Finding, Severity, ValidationReport
from output_schemas.fulltext_rules import check_fulltext
from output_schemas.jsonvalidator import certainly_valid, json_validator
from output_schemas.st36 import st36_dtd

__all__ = ["Finding", "Severity", "ValidationReport", "gate", "check_st96", "check_st36",
           "check_json", "check_rules"]  # fmt: skip
ST96_ENTRY = "st96_v6_0/PatentPublication_V6_0.xsd"
KIND_CODES = {"A", "A1", "A2", "A3", "A4", "A8", "A9", "B", "B1", "B2", "B3", "B8", "B9", "C", "C1",
              "C2", "C3", "E", "E1", "E2", "F", "H", "P", "P1", "P2", "P3", "S", "S1", "T", "T1",
              "T2", "T3", "U", "U1", "U2", "Y", "Y1", "Y2"}  # fmt: skip
IPC_RE = re.compile(r"^[A-H]\d{2}[A-Z]( \d{1,4}/\d{1,6})?( \(\d{4}\.\d{2}\))?$")


_COMPILING = threading.Lock()


def st96_schema() -> etree.XMLSchema:
    """The official ST.96 V6_0 PatentPublication schema, compiled once per process from the
    vendored files. Compiling takes seconds of CPU: two documents finishing at the same time in
    two threads wait for one compilation instead of each doing it (lru_cache alone would not)."""
    with _COMPILING:
        return _compile_st96()


@functools.lru_cache(maxsize=1)
def _compile_st96() -> etree.XMLSchema:
    path = resources.files("output_schemas").joinpath(ST96_ENTRY)
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(path), parser))


def warm_up() -> None:
    """Compile the schemas now (ST.96 takes seconds of CPU), so that the first document to
    finish does not wait for them. Meant for a background thread at the start of a batch;
    an error is left for the document's own validation to report."""
    try:
        st96_schema()
        json_validator()
    except Exception:  # noqa: BLE001 - reported where it matters, by check_st96 / check_json
        return


def warm_up_in_background() -> None:
    """`warm_up` in a daemon thread. lxml compiles without holding the interpreter, so this can
    start while the command waits for Prefect's server: the compile then uses CPU the start-up
    leaves idle instead of CPU the first pages need (a one-page run ends ~0.7 s sooner).
    Compiling twice is impossible (see `st96_schema`)."""
    threading.Thread(target=warm_up, name="ipdigitise-schemas", daemon=True).start()


_LXML_VALIDATION = threading.Lock()
"""The compiled XSD and DTD are shared by every thread (compiling the ST.96 schema takes
seconds), but an lxml validator keeps one error log that each validation clears and fills, so
validating and reading the log happen under this lock (a valid document takes milliseconds)."""


def check_st96(tree: etree._ElementTree) -> list[Finding]:
    schema = st96_schema()
    with _LXML_VALIDATION:
        if schema.validate(tree):
            return []
        errors = list(schema.error_log)
    return [
        Finding(
            severity="error", rule="st96-xsd", message=e.message, path=e.path or "", line=e.line
        )
        for e in errors
    ]


def check_st36(tree: etree._ElementTree) -> list[Finding]:
    dtd = st36_dtd()
    with _LXML_VALIDATION:
        if dtd.validate(tree):
            return []
        errors = list(dtd.error_log)
    return [
        Finding(
            severity="error", rule="st36-dtd", message=e.message, path=e.path or "", line=e.line
        )  # fmt: skip
        for e in errors
    ]


def check_json(data: dict[str, Any]) -> list[Finding]:
    if certainly_valid(data):  # the common case, without jsonschema's walk (see jsonvalidator)
        return []
    return [
        Finding(
            severity="error",
            rule="json-schema",
            message=e.message,
            path="/" + "/".join(str(p) for p in e.absolute_path),
        )
        for e in sorted(json_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    ]


REQUIRED_FIELDS = ("publication_number", "application_number", "title")


def _floor2(x: float) -> float:
    """Shown rounded down, so 0.6998 is not reported as '0.70 (threshold 0.70)'."""
    return math.floor(x * 100) / 100


def check_rules(
    doc: IPDocument, *, min_field_confidence: float, min_page_confidence: float
) -> list[Finding]:
    """Business rules on the content (dates, codes, symbols) and on the OCR evidence."""
    out: list[Finding] = []

    def add(sev: Severity, rule: str, msg: str, name: str = "", src: Any = None) -> None:
        out.append(
            Finding(
                severity=sev,
                rule=rule,
                message=msg,
                path=f"fields/{name}" if name else "",
                page=src.page if src is not None else None,
                bbox=src.bbox if src is not None else None,
            )
        )

    if not any(p.kind == "front" for p in doc.pages):
        add("review", "front-page-missing", "no page with INID-coded bibliographic data was found")
    if not doc.parties:
        add("error", "parties-missing",
            "no applicant, inventor, assignee or agent was read (ST.96 requires one)")  # fmt: skip
    for name in REQUIRED_FIELDS:
        if name not in doc.fields:
            add("review", "field-missing", f"{name} was not found on the front page", name)
    office = doc.value("office")
    if office is None:
        add("review", "office-unknown", "the issuing office (19) could not be read", "office")
    elif not nz.is_office_code(office):
        add("error", "office-code", f"{office!r} is not an ST.3 office code", "office")
    kind = doc.fields.get("kind")
    if kind is not None and kind.value not in KIND_CODES:
        add(
            "review",
            "kind-code",
            f"kind code {kind.value!r} is not a known ST.16 code",
            "kind",
            kind.source,
        )
    dates = {n: doc.fields[n] for n in ("filing_date", "publication_date") if n in doc.fields}
    for name, field in dates.items():
        try:
            day = dt.date.fromisoformat(field.value)
        except ValueError:
            add("error", "date-format", f"{field.value!r} is not an ISO date", name, field.source)
            continue
        if not dt.date(1790, 1, 1) <= day <= dt.date.today() + dt.timedelta(days=366):
            add("review", "date-range", f"{name} {field.value} is implausible", name, field.source)
    if len(dates) == 2 and dates["filing_date"].value > dates["publication_date"].value:
        add("review", "date-order", "filing date is after the publication date", "filing_date",
            dates["filing_date"].source)  # fmt: skip
    for ipc in doc.ipc:
        if not IPC_RE.match(ipc.value):
            add(
                "error",
                "ipc-format",
                f"{ipc.value!r} is not a well-formed IPC symbol",
                "ipc",
                ipc.source,
            )
    weighed = [(name, f.value, f.source) for name, f in doc.fields.items()]
    if doc.ipc:
        weighed.append(("ipc", doc.ipc[0].value, doc.ipc[0].source))
    for role in ("applicant", "inventor", "assignee"):
        first = doc.parties_of(role)[:1]
        if first:
            weighed.append((f"{role}s", first[0].name, first[0].source))
    for name, value, source in weighed:
        if source.confidence < min_field_confidence:
            add("review", "low-confidence",
                f"{name} {value!r} read with confidence {_floor2(source.confidence):.2f} "
                f"(threshold {min_field_confidence:.2f})", name, source)  # fmt: skip
    for page in doc.pages:
        if (
            page.kind not in {"blank", "drawing", "search-report"}
            and page.mean_confidence < min_page_confidence
        ):
            out.append(Finding(severity="review", rule="page-confidence", page=page.index,
                               message=f"page {page.index + 1} mean OCR confidence "
                               f"{page.mean_confidence:.2f} < {min_page_confidence:.2f}"))  # fmt: skip
    return out


def check_text_found(doc: IPDocument) -> list[Finding]:
    """A readable scan without any text (blank, all black, or only a drawing) goes to review
    with this reason first: a person decides whether it was a separator sheet or a bad scan."""
    if any(p.kind != "blank" for p in doc.pages):
        return []
    return [
        Finding(
            severity="review",
            rule="no-text",
            message=f"no text found on any of the {len(doc.pages)} page(s) (blank, all black, "
            "or a drawing only?)",
        )
    ]


def gate(
    doc: IPDocument,
    xml: etree._ElementTree,
    data: dict[str, Any],
    *,
    st36: etree._ElementTree | None = None,
    min_field_confidence: float = 0.7,
    min_page_confidence: float = 0.6,
    low_word: float = 0.6,
    min_document_confidence: float = 0.9,
    max_low_confidence_share: float = 0.03,
) -> ValidationReport:
    findings = check_text_found(doc) + check_st96(xml) + check_json(data)
    if st36 is not None:
        findings += check_st36(st36)
    findings += check_rules(
        doc, min_field_confidence=min_field_confidence, min_page_confidence=min_page_confidence
    )
    findings += check_fulltext(
        doc,
        low_word=low_word,
        min_document_confidence=min_document_confidence,
        max_low_confidence_share=max_low_confidence_share,
    )
    return ValidationReport(findings=tuple(findings))

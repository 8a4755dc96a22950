"""Business rules on the full text: claims, paragraph numbers, abstract, text on every page, and
the OCR evidence for the whole document. Each finding names its rule, the path of the element in
the JSON output (`claims/7`, `description/12`, `pages/3`) and the page and box it came from.

Severities: `error` for what makes the publication wrong (claims numbered with gaps, printed
paragraph numbers out of order, no abstract, a text page without text); `review` for doubts a
person should settle (an illegible claim number that was inferred, a reference to a claim that
does not exist, low OCR confidence); `info` for context.
"""

from __future__ import annotations

from collections.abc import Sequence

from mapping.model import BBox, IPDocument, Paragraph, Token
from output_schemas.findings import Finding, Severity

TEXT_KINDS = frozenset({"front", "abstract", "description", "claims", "other"})
MIN_WORDS_ON_TEXT_PAGE = 10


def _f(sev: Severity, rule: str, msg: str, path: str = "", page: int | None = None,
       bbox: BBox | None = None) -> Finding:  # fmt: skip
    return Finding(severity=sev, rule=rule, message=msg, path=path, page=page, bbox=bbox)


def check_claims(doc: IPDocument) -> list[Finding]:
    out: list[Finding] = []
    full_text = any(p.kind in {"description", "claims"} for p in doc.pages)
    if not doc.claims:
        if full_text:
            out.append(_f("error", "claims-missing", "no claims were found in the document",
                          "claims"))  # fmt: skip
        return out
    expected = 1
    seen: set[int] = set()
    for i, claim in enumerate(doc.claims):
        src = claim.source
        path = f"claims/{i}"
        if claim.number in seen:
            out.append(_f("error", "claims-numbering", f"claim {claim.number} appears twice",
                          path, src.page, src.bbox))  # fmt: skip
        elif claim.number != expected:
            what = (
                f"claims {expected}-{claim.number - 1} are missing"
                if claim.number > expected + 1
                else f"claim {expected} is missing"
                if claim.number > expected
                else f"claim {claim.number} is out of order (expected {expected})"
            )
            out.append(_f("error", "claims-numbering", f"{what} before claim {claim.number}",
                          path, src.page, src.bbox))  # fmt: skip
        seen.add(claim.number)
        expected = max(expected, claim.number + 1)
        if claim.inferred:
            out.append(_f("review", "claim-number-inferred",
                          f"the number of claim {claim.number} was not legible; it was inferred "
                          "from the claims around it", path, src.page, src.bbox))  # fmt: skip
        bad = [r for r in claim.refers_to if r >= claim.number or r not in _numbers(doc)]
        if bad:
            out.append(_f("review", "claim-reference",
                          f"claim {claim.number} refers to claim(s) "
                          f"{', '.join(map(str, bad))}, which do not precede it",
                          path, src.page, src.bbox))  # fmt: skip
        if not claim.tokens:
            out.append(_f("error", "claim-empty", f"claim {claim.number} has no text", path,
                          src.page, src.bbox))  # fmt: skip
    return out


def _numbers(doc: IPDocument) -> set[int]:
    return {c.number for c in doc.claims}


def check_paragraphs(doc: IPDocument) -> list[Finding]:
    out: list[Finding] = []
    last: int | None = None
    for i, para in enumerate(doc.description):
        if para.kind != "p" or not para.printed or not para.number:
            continue
        try:
            value = int(para.number)
        except ValueError:
            continue
        src = para.source
        if last is not None and value <= last:
            out.append(_f("error", "paragraph-numbers",
                          f"paragraph [{para.number}] follows [{last:04d}]: numbers must increase",
                          f"description/{i}", src.page, src.bbox))  # fmt: skip
        elif last is not None and value > last + 1:
            out.append(_f("review", "paragraph-gap",
                          f"paragraph [{para.number}] follows [{last:04d}]: "
                          f"{value - last - 1} paragraph number(s) not found",
                          f"description/{i}", src.page, src.bbox))  # fmt: skip
        last = value
    return out


def check_pages(doc: IPDocument) -> list[Finding]:
    out: list[Finding] = []
    if not doc.abstract:
        out.append(_f("error", "abstract-missing", "no abstract (57) was found", "abstract"))
    text_pages = [p for p in doc.pages if p.kind in TEXT_KINDS]
    for page in doc.pages:
        path = f"pages/{page.index}"
        if page.kind in TEXT_KINDS and page.words < MIN_WORDS_ON_TEXT_PAGE:
            out.append(_f("error", "page-text-missing",
                          f"page {page.index + 1} ({page.kind}) has only {page.words} word(s)",
                          path, page.index))  # fmt: skip
        elif page.kind == "blank" and len(text_pages) > 1:
            out.append(_f("review", "page-blank", f"page {page.index + 1} is blank", path,
                          page.index))  # fmt: skip
    return out


def _all_tokens(doc: IPDocument) -> list[tuple[str, int, Paragraph | None, Token]]:
    out: list[tuple[str, int, Paragraph | None, Token]] = []
    for section, paras in (("abstract", doc.abstract), ("description", doc.description)):
        for i, para in enumerate(paras):
            out.extend((section, i, para, t) for t in para.tokens)
    for i, claim in enumerate(doc.claims):
        out.extend(("claims", i, None, t) for t in claim.tokens)
    return out


def check_confidence(
    doc: IPDocument,
    *,
    low_word: float,
    min_document_confidence: float,
    max_low_confidence_share: float,
    worst: int = 5,
) -> list[Finding]:
    """Mean word confidence and share of low-confidence words over the whole text; when either
    fails, the least confident paragraphs or claims are listed (info) so a reviewer sees them."""
    tokens = _all_tokens(doc)
    if not tokens:
        return []
    mean = sum(t.confidence for *_, t in tokens) / len(tokens)
    low = sum(1 for *_, t in tokens if t.confidence < low_word) / len(tokens)
    out: list[Finding] = []
    if mean < min_document_confidence:
        out.append(_f("review", "document-confidence",
                      f"mean OCR word confidence {mean:.3f} < {min_document_confidence:.3f}"))  # fmt: skip
    if low > max_low_confidence_share:
        out.append(_f("review", "low-confidence-share",
                      f"{100 * low:.1f} % of the words were read with confidence below "
                      f"{low_word:.2f} (allowed: {100 * max_low_confidence_share:.1f} %)"))  # fmt: skip
    if out:
        out.extend(_worst_units(doc, low_word, worst))
    return out


def _worst_units(doc: IPDocument, low_word: float, n: int) -> list[Finding]:
    units: list[tuple[float, str, str, int | None, BBox | None]] = []

    def add(path: str, label: str, tokens: Sequence[Token], page: int | None,
            bbox: BBox | None) -> None:  # fmt: skip
        if tokens:
            share = sum(1 for t in tokens if t.confidence < low_word) / len(tokens)
            units.append((share, path, label, page, bbox))

    for i, p in enumerate(doc.description):
        add(f"description/{i}", f"paragraph {p.number or p.kind}", p.tokens, p.source.page,
            p.source.bbox)  # fmt: skip
    for i, c in enumerate(doc.claims):
        add(f"claims/{i}", f"claim {c.number}", c.tokens, c.source.page, c.source.bbox)
    for i, p in enumerate(doc.abstract):
        add(f"abstract/{i}", "abstract", p.tokens, p.source.page, p.source.bbox)
    units.sort(key=lambda u: (-u[0], u[1]))
    return [
        _f(
            "info",
            "low-confidence-text",
            f"{label}: {100 * share:.0f} % of its words below {low_word:.2f}",
            path,
            page,
            bbox,
        )  # fmt: skip
        for share, path, label, page, bbox in units[:n]
        if share > 0
    ]


def check_notes(doc: IPDocument) -> list[Finding]:
    """Every note of the mapping, with the field and the page box it concerns."""
    out = []
    for i, n in enumerate(doc.notes):
        page = n.page if n.page is not None else (n.source.page if n.source else None)
        bbox = n.source.bbox if n.source else None
        out.append(_f(n.severity, n.rule, n.message, f"fields/{n.field}" if n.field else f"notes/{i}",
                      page, bbox))  # fmt: skip
    return out


def check_fulltext(
    doc: IPDocument,
    *,
    low_word: float = 0.6,
    min_document_confidence: float = 0.9,
    max_low_confidence_share: float = 0.03,
) -> list[Finding]:
    return (
        check_pages(doc)
        + check_notes(doc)
        + check_claims(doc)
        + check_paragraphs(doc)
        + check_confidence(
            doc,
            low_word=low_word,
            min_document_confidence=min_document_confidence,
            max_low_confidence_share=max_low_confidence_share,
        )  # fmt: skip
    )

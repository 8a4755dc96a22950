"""A self-contained HTML page per document for the reviewer: each finding beside a crop of the
page region it concerns (the box outlined), so a decision takes seconds.

Built with lxml's HTML builder (text is escaped by construction); crops come from a callback so
this module needs no image library (flows passes one that cuts the page images). Deterministic:
findings in gate order, no dates.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence

from lxml import etree, html
from lxml.html import builder as E

from mapping.model import IPDocument
from output_schemas.findings import Finding, Outcome

Crop = Callable[[int, tuple[int, int, int, int] | None], bytes | None]
"""(page index, box or None for the whole page) -> PNG bytes, or None when no image is at hand."""

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; margin-bottom: .2em; }
.outcome { display: inline-block; padding: .1em .6em; border-radius: .3em; color: #fff; }
.outcome.published { background: #2e7d32; } .outcome.review { background: #ef6c00; }
.outcome.quarantine { background: #c62828; }
table { border-collapse: collapse; margin: .8em 0; }
td, th { border: 1px solid #ccc; padding: .3em .5em; vertical-align: top; text-align: left; }
.finding { display: flex; gap: 1em; border-top: 1px solid #ddd; padding: .8em 0; }
.finding .what { flex: 0 0 30em; }
.sev { font-weight: bold; text-transform: uppercase; font-size: .85em; }
.sev.error { color: #c62828; } .sev.review { color: #ef6c00; } .sev.info { color: #555; }
code { background: #f3f3f3; padding: 0 .2em; }
img.crop { max-width: 900px; border: 1px solid #999; }
"""


def _img(png: bytes | None, alt: str) -> etree._Element:
    if png is None:
        return E.P(E.I("(no page image available)"))
    src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return E.IMG(src=src, alt=alt, **{"class": "crop"})


def render(
    doc: IPDocument | None,
    findings: Sequence[Finding],
    outcome: Outcome,
    *,
    doc_id: str,
    crop: Crop | None = None,
    links: Sequence[tuple[str, str]] = (),
) -> bytes:
    """The review page as UTF-8 bytes. `links` are (label, relative path) of the outputs."""
    body = E.BODY(
        E.H1(f"{doc_id} ", E.SPAN(outcome, **{"class": f"outcome {outcome}"})),
    )
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("error", "review", "info")}
    body.append(E.P(f"{counts['error']} error(s), {counts['review']} point(s) to review, "
                    f"{counts['info']} note(s)."))  # fmt: skip
    if links:
        body.append(E.P("Outputs: ", *_joined([E.A(label, href=href) for label, href in links])))
    if doc is not None and doc.pages:
        rows = [E.TR(E.TH("page"), E.TH("kind"), E.TH("words"), E.TH("mean confidence"))]
        for p in doc.pages:
            rows.append(E.TR(E.TD(str(p.index + 1)), E.TD(p.kind), E.TD(str(p.words)),
                             E.TD(f"{p.mean_confidence:.3f}")))  # fmt: skip
        body.append(E.TABLE(*rows))
        body.append(
            E.P(
                f"Abstract: {len(doc.abstract)} paragraph(s); description: "
                f"{sum(1 for p in doc.description if p.kind == 'p')} paragraph(s), "
                f"{sum(1 for p in doc.description if p.kind == 'heading')} heading(s); "
                f"claims: {len(doc.claims)}."
            )  # fmt: skip
        )
    body.append(E.H2("Findings"))
    if not findings:
        body.append(E.P("None: the document passed every check."))
    for f in findings:
        where = f"page {f.page + 1}" if f.page is not None else "whole document"
        if f.line:
            where += f", output line {f.line}"
        what = E.DIV(
            E.DIV(f.severity, **{"class": f"sev {f.severity}"}),
            E.DIV(E.CODE(f.rule), " ", E.CODE(f.path) if f.path else ""),
            E.P(f.message),
            E.DIV(where),
            **{"class": "what"},
        )
        if doc is not None and f.path:
            text = _excerpt(doc, f.path)
            if text:
                what.append(E.P(E.I(text)))
        item = E.DIV(what, **{"class": "finding"})
        if f.page is not None and crop is not None:
            item.append(E.DIV(_img(crop(f.page, f.bbox), f"page {f.page + 1}")))
        body.append(item)
    page = E.HTML(E.HEAD(E.META(charset="utf-8"), E.TITLE(f"review {doc_id}"), E.STYLE(STYLE)),
                  body)  # fmt: skip
    return html.tostring(page, doctype="<!DOCTYPE html>", encoding="utf-8", pretty_print=True)


def _joined(items: list[etree._Element]) -> list[object]:
    out: list[object] = []
    for i, item in enumerate(items):
        if i:
            out.append(" · ")
        out.append(item)
    return out


def _excerpt(doc: IPDocument, path: str, limit: int = 300) -> str:
    """The text a finding points at (claims/3, description/12, abstract/0), shortened."""
    section, _, index = path.partition("/")
    if not index.isdigit():
        return ""
    i = int(index)
    items: Sequence[object] = {
        "claims": doc.claims,
        "description": doc.description,
        "abstract": doc.abstract,
    }.get(section, ())
    if i >= len(items):
        return ""
    text = str(getattr(items[i], "text", ""))
    return text if len(text) <= limit else text[: limit - 1] + "…"

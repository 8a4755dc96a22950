"""The validation gate: schema validity and full-text business rules, with their outcome."""

from __future__ import annotations

import pytest

from flows.fulltext_outputs import with_drawing_images
from mapping.document import build_document
from mapping.model import IPDocument, Token
from output_schemas import jsonout, st36, st96
from output_schemas.findings import Finding, ValidationReport
from output_schemas.validate import gate
from tests.conftest import fixture_pages, load_fixture


@pytest.fixture(scope="module")
def ep() -> IPDocument:
    data = load_fixture("EP1000000A1.clean")
    return with_drawing_images(
        build_document(data["doc_id"], fixture_pages(data), non_text_ink=data["ink"])
    )


def run_gate(doc: IPDocument) -> ValidationReport:
    return gate(doc, st96.to_st96(doc), jsonout.to_json_dict(doc), st36=st36.to_st36(doc))


def rules(report: ValidationReport, severity: str | None = None) -> set[str]:
    return {f.rule for f in report.findings if severity is None or f.severity == severity}


def test_clean_document_is_published(ep: IPDocument) -> None:
    report = run_gate(ep)
    assert rules(report, "error") == set() and rules(report, "review") == set()
    assert report.outcome() == "published"


def test_claim_gap_goes_to_review_with_page_and_box(ep: IPDocument) -> None:
    doc = ep.model_copy(update={"claims": ep.claims[:4] + ep.claims[5:]})
    report = run_gate(doc)
    (f,) = [f for f in report.findings if f.rule == "claims-numbering"]
    assert (f.severity, f.path, f.page) == ("error", "claims/4", 5)
    assert f.bbox is not None and "claim 5 is missing" in f.message
    assert report.outcome() == "review"


def test_paragraph_numbers_must_increase(ep: IPDocument) -> None:
    paras = list(ep.description)
    paras[3] = paras[3].model_copy(update={"number": "0002"})
    report = run_gate(ep.model_copy(update={"description": tuple(paras)}))
    (f,) = [f for f in report.findings if f.rule == "paragraph-numbers"]
    assert f.severity == "error" and f.path == "description/3"
    gap = list(ep.description)
    del gap[5]
    assert "paragraph-gap" in rules(run_gate(ep.model_copy(update={"description": tuple(gap)})))


def test_missing_abstract_and_empty_text_page(ep: IPDocument) -> None:
    pages = list(ep.pages)
    pages[2] = pages[2].model_copy(update={"words": 3})
    report = run_gate(ep.model_copy(update={"abstract": (), "pages": tuple(pages)}))
    assert {"abstract-missing", "page-text-missing"} <= rules(report, "error")
    assert report.outcome() == "review"


def test_low_confidence_goes_to_review_and_points_at_the_worst_text(ep: IPDocument) -> None:
    claims = tuple(
        c.model_copy(update={"tokens": tuple(Token(text=t.text, confidence=0.4) for t in c.tokens)})
        if c.number in (3, 7) else c
        for c in ep.claims
    )  # fmt: skip
    doc = ep.model_copy(update={"claims": claims})
    report = gate(doc, st96.to_st96(doc), jsonout.to_json_dict(doc), st36=st36.to_st36(doc),
                  max_low_confidence_share=0.01)  # fmt: skip
    assert "low-confidence-share" in rules(report, "review")
    worst = [f for f in report.findings if f.rule == "low-confidence-text"]
    assert {f.path for f in worst[:2]} == {"claims/2", "claims/6"}
    assert report.outcome() == "review"


def test_inferred_claim_number_and_bad_reference_need_review(ep: IPDocument) -> None:
    claims = list(ep.claims)
    claims[0] = claims[0].model_copy(update={"inferred": True})
    claims[2] = claims[2].model_copy(update={"refers_to": (7,)})
    report = run_gate(ep.model_copy(update={"claims": tuple(claims)}))
    assert {"claim-number-inferred", "claim-reference"} <= rules(report, "review")


def test_outcomes() -> None:
    def report(*rules_: tuple[str, str]) -> ValidationReport:
        return ValidationReport(findings=tuple(Finding(severity=s, rule=r, message="m")  # type: ignore[arg-type]
                                               for s, r in rules_))  # fmt: skip

    assert report().outcome() == "published"
    assert report(("info", "low-confidence-text")).outcome() == "published"
    assert report(("review", "document-confidence")).outcome() == "review"
    assert report(("error", "claims-numbering")).outcome() == "review"
    assert report(("error", "st96-xsd")).outcome() == "review"
    assert report(("error", "xml-parse")).outcome() == "quarantine"
    assert report(("error", "outputs-disagree")).outcome() == "quarantine"


def test_invalid_st96_is_reported_with_its_path(ep: IPDocument) -> None:
    tree = st96.to_st96(ep)
    claim = tree.find(f"{{{st96.PAT}}}Claims/{{{st96.PAT}}}Claim")
    claim.remove(claim[0])  # drop pat:ClaimNumber
    report = gate(ep, tree, jsonout.to_json_dict(ep))
    (f,) = [f for f in report.findings if f.rule == "st96-xsd"]
    assert f.severity == "error" and f.path.endswith("pat:Claim[1]/pat:ClaimText")


def test_warm_up_compiles_the_schema_the_gate_then_uses(ep: IPDocument) -> None:
    from output_schemas import validate

    validate._compile_st96.cache_clear()
    validate.warm_up()
    assert validate._compile_st96.cache_info().currsize == 1
    misses = validate._compile_st96.cache_info().misses
    assert run_gate(ep).findings is not None
    assert validate._compile_st96.cache_info().misses == misses  # not compiled again


def test_warm_up_leaves_a_broken_schema_to_the_documents_validation(
    monkeypatch: pytest.MonkeyPatch, ep: IPDocument
) -> None:
    from output_schemas import validate

    def broken() -> None:
        raise OSError("schema file unreadable")

    monkeypatch.setattr(validate, "st96_schema", broken)
    validate.warm_up()  # no exception in the background thread's place
    with pytest.raises(OSError, match="unreadable"):
        run_gate(ep)

"""The full-text mapping on recorded OCR of whole documents (real text, rendered pages): counts
exact and character error rate per section within the targets (1 % clean, 3 % degraded)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pytest
from rapidfuzz.distance import Levenshtein

from mapping.document import build_document
from mapping.model import IPDocument
from tests.conftest import fixture_pages, load_fixture

CASES = {"EP1000000A1.clean": 0.01, "US20050004437A1.clean": 0.01, "US8930553B2.degraded": 0.03}


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(str.maketrans({"“": '"', "”": '"', "’": "'", "‘": "'", "–": "-"}))
    return re.sub(r"\s+", " ", text).strip()


def cer(ref: str, hyp: str) -> float:
    return Levenshtein.distance(norm(ref), norm(hyp)) / max(1, len(norm(ref)))


@pytest.fixture(scope="module", params=list(CASES))
def case(request: pytest.FixtureRequest) -> tuple[dict[str, Any], IPDocument, float]:
    data = load_fixture(request.param)
    doc = build_document(data["doc_id"], fixture_pages(data), non_text_ink=data["ink"])
    return data, doc, CASES[request.param]


def test_claims_counted_and_numbered(case: tuple[dict[str, Any], IPDocument, float]) -> None:
    data, doc, _ = case
    assert [c.number for c in doc.claims] == list(range(1, len(data["truth"]["claims"]) + 1))


def test_paragraphs_and_headings(case: tuple[dict[str, Any], IPDocument, float]) -> None:
    data, doc, _ = case
    truth = data["truth"]["description"]
    assert [p["heading"] for p in truth] == [p.kind == "heading" for p in doc.description]
    if data["truth"]["numbered_paragraphs"]:
        want = [p["number"] for p in truth if not p["heading"]]
        got = [p.number for p in doc.description if p.kind == "p"]
        assert got == want
        assert all(p.printed for p in doc.description if p.kind == "p")


def test_character_error_rate(case: tuple[dict[str, Any], IPDocument, float]) -> None:
    data, doc, limit = case
    truth = data["truth"]
    sections = {
        "abstract": (" ".join(truth["abstract"]), " ".join(p.text for p in doc.abstract)),
        "description": (
            " ".join(p["text"] for p in truth["description"]),
            " ".join(p.text for p in doc.description),
        ),  # fmt: skip
        "claims": (" ".join(truth["claims"]), " ".join(c.text for c in doc.claims)),
    }
    for name, (ref, hyp) in sections.items():
        assert cer(ref, hyp) <= limit, name


def test_claim_references_parsed(case: tuple[dict[str, Any], IPDocument, float]) -> None:
    _, doc, _ = case
    dependent = [c for c in doc.claims if c.refers_to]
    assert dependent, "some claims refer to others"
    assert all(max(c.refers_to) < c.number for c in dependent)

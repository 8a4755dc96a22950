"""Serialisers: ST.96 valid against the official V6_0 XSD, ST.36 against our subset DTD, ALTO."""

from __future__ import annotations

import math

import pytest
from lxml import etree

from flows.fulltext_outputs import with_drawing_images
from mapping.document import build_document
from mapping.model import IPDocument, Paragraph, Party, Token
from output_schemas import alto, st36, st96
from output_schemas.validate import check_st36, check_st96
from output_schemas.xmltext import parse_ignoring_dtd, parse_untrusted
from tests.conftest import fixture_pages, load_fixture

NS = {"pat": st96.PAT, "com": st96.COM}
APPLICANT = (Party(role="applicant", name="Boer B.V.", kind="organisation"),)


@pytest.fixture(scope="module")
def ep() -> IPDocument:
    data = load_fixture("EP1000000A1.clean")
    doc = build_document(data["doc_id"], fixture_pages(data), non_text_ink=data["ink"])
    return with_drawing_images(doc)


def test_full_document_st96_is_valid(ep: IPDocument) -> None:
    tree = st96.to_st96(ep)
    assert check_st96(tree) == []
    reparsed = parse_untrusted(st96.serialise(tree))
    assert check_st96(reparsed) == []
    claims = reparsed.findall("pat:Claims/pat:Claim", NS)
    assert [c.findtext("pat:ClaimNumber", namespaces=NS) for c in claims] == [
        str(i) for i in range(1, 12)]  # fmt: skip
    paras = reparsed.findall("pat:Description/com:P", NS)
    assert [p.get(f"{{{st96.COM}}}pNumber") for p in paras] == [f"{i:04d}" for i in range(1, 23)]
    images = reparsed.findall("pat:Drawings/pat:PageImage/com:FileName", NS)
    assert [i.text for i in images] == ["pages/page-0007.tif", "pages/page-0008.tif"]


def test_front_page_only_st96_is_valid() -> None:
    abstract = (Paragraph(tokens=(Token(text="An abstract.", confidence=0.9),)),)
    doc = IPDocument(doc_id="x", parties=APPLICANT, abstract=abstract)
    tree = st96.to_st96(doc)
    assert check_st96(tree) == []
    assert tree.find("pat:Claims/com:P", NS) is not None


def test_low_confidence_words_are_wrapped() -> None:
    tokens = (Token(text="a", confidence=0.99), Token(text="smudged", confidence=0.3),
              Token(text="word", confidence=0.5), Token(text="here", confidence=0.95))  # fmt: skip
    doc = IPDocument(doc_id="x", parties=APPLICANT,
                     description=(Paragraph(number="0001", tokens=tokens),))  # fmt: skip
    tree = st96.to_st96(doc, low_confidence=0.6)
    assert check_st96(tree) == []
    p = tree.find("pat:Description/com:P", NS)
    (ocr,) = p.findall("com:OCRConfidenceData", NS)
    assert ocr.text == "smudged word"
    assert ocr.get(f"{{{st96.COM}}}ocrConfidenceCode") == "3"  # ceil(9 x 0.3)
    assert "".join(p.itertext()) == "a smudged word here"


@pytest.mark.parametrize(("conf", "code"), [(0.0, 1), (0.11, 1), (0.12, 2), (0.5, 5),
                                            (0.88, 8), (0.89, 9), (1.0, 9)])  # fmt: skip
def test_confidence_code_mapping(conf: float, code: int) -> None:
    assert st96.confidence_code(conf) == code == max(1, min(9, math.ceil(conf * 9 - 1e-9)))


def test_st36_is_valid_against_the_subset_dtd(ep: IPDocument) -> None:
    data = st36.serialise(st36.to_st36(ep))
    assert data.splitlines()[1] == b'<!DOCTYPE patent-document SYSTEM "st36_subset.dtd">'
    tree = parse_ignoring_dtd(data)
    assert check_st36(tree) == []
    root = tree.getroot()
    assert root.tag == "patent-document"
    assert [c.get("num") for c in root.iterfind("claims/claim")] == [str(i) for i in range(1, 12)]
    assert root.find("description/p").get("num") == "0001"
    assert root.find("claims/claim/claim-text").text.startswith("Apparatus for manufacturing")
    assert len(root.findall("drawings/figure/img")) == 2


def test_st36_dtd_rejects_what_it_should() -> None:
    root = etree.fromstring(b'<patent-document lang="en" country="EP" dtd-version="x">'
                            b"<bibliographic-data><application-reference><document-id>"
                            b"<country>EP</country><doc-number>1</doc-number></document-id>"
                            b"</application-reference></bibliographic-data>"
                            b'<claims><claim num="1"/></claims></patent-document>')  # fmt: skip
    findings = check_st36(root.getroottree())
    assert findings and findings[0].rule == "st36-dtd" and "claim" in findings[0].message


def test_alto_has_every_word_with_box_and_confidence() -> None:
    data = load_fixture("EP1000000A1.clean")
    page = fixture_pages(data)[1]
    first = alto.serialise(alto.to_alto(page, kind="description", source_name="ep.pdf"))
    assert first == alto.serialise(alto.to_alto(page, kind="description", source_name="ep.pdf"))
    root = etree.fromstring(first)
    ns = {"a": alto.ALTO_NS}
    strings = root.findall(".//a:String", ns)
    assert len(strings) == len(page.words)
    s, w = strings[0], page.words[0]
    assert s.get("CONTENT") == w.text
    assert (int(s.get("HPOS")), int(s.get("VPOS"))) == w.bbox[:2]
    assert int(s.get("WIDTH")) == w.bbox[2] - w.bbox[0]
    assert float(s.get("WC")) == pytest.approx(w.confidence, abs=1e-4)
    assert root.find(".//a:Page", ns).get("PHYSICAL_IMG_NR") == "2"
    assert root.find(".//a:OtherTag", ns).get("VALUE") == "description"

"""ST.96 and JSON serialisation, and the validation gate, on hand-built documents."""

from __future__ import annotations

from lxml import etree

from mapping.model import Field, IPDocument, PageInfo, Paragraph, Party, Provenance, Token
from output_schemas import jsonout, st96
from output_schemas.st96 import COM, confidence_code
from output_schemas.validate import check_json, check_rules, check_st96, gate
from output_schemas.xmltext import clean_text

SRC = Provenance(page=0, bbox=(10, 10, 100, 40), confidence=0.95, raw="x")


def _doc(**overrides: object) -> IPDocument:
    fields = {
        "office": Field(name="office", inid="19", value="US", source=SRC),
        "publication_number": Field(
            name="publication_number", inid="11", value="10231003", source=SRC
        ),
        "kind": Field(name="kind", inid="13", value="B2", source=SRC),
        "publication_date": Field(
            name="publication_date", inid="45", value="2019-03-12", source=SRC
        ),
        "application_number": Field(
            name="application_number", inid="21", value="15/947,048", source=SRC
        ),
        "filing_date": Field(name="filing_date", inid="22", value="2018-04-06", source=SRC),
        "title": Field(name="title", inid="54", value="CAMERA DATA ACCESS", source=SRC),
    }
    base: dict[str, object] = {
        "doc_id": "us_10231003",
        "fields": fields,
        "ipc": (Field(name="ipc", inid="51", value="G06F 3/00 (2006.01)", source=SRC),),
        "parties": (
            Party(
                role="applicant",
                name="Google LLC",
                kind="organisation",
                residence="Mountain View, CA",
                country="US",
                source=SRC,
            ),
            Party(
                role="inventor",
                name="Igor Karp",
                residence="Sunnyvale, CA",
                country="US",
                source=SRC,
            ),
        ),  # fmt: skip
        "abstract": (
            Paragraph(
                number="0001",
                tokens=(
                    Token(text="A", confidence=0.99),
                    Token(text="camr&<", confidence=0.31),
                    Token(text="]]>", confidence=0.2),
                    Token(text="device.", confidence=0.97),
                ),
            ),  # fmt: skip
        ),
        "pages": (
            PageInfo(
                index=0,
                kind="front",
                words=400,
                mean_confidence=0.9,
                width=2548,
                height=3297,
                dpi=300,
            ),
        ),  # fmt: skip
    }
    base.update(overrides)
    return IPDocument.model_validate(base)


def test_full_front_page_is_valid_st96_and_json() -> None:
    clean = Paragraph(number="0001", tokens=(Token(text="A", confidence=0.99),
                                             Token(text="device.", confidence=0.97)))  # fmt: skip
    doc = _doc(abstract=(clean,))
    tree = st96.to_st96(doc)
    assert check_st96(tree) == []
    assert check_json(jsonout.to_json_dict(doc)) == []
    report = gate(doc, tree, jsonout.to_json_dict(doc))
    assert report.outcome() == "published", report.findings


def test_low_confidence_words_are_wrapped_with_a_code() -> None:
    tree = st96.to_st96(_doc(), low_confidence=0.6)
    marks = tree.getroot().findall(f".//{{{COM}}}OCRConfidenceData")
    assert len(marks) == 1  # the two consecutive doubtful words form one run
    assert marks[0].text == "camr&< ]]>"
    assert marks[0].get(f"{{{COM}}}ocrConfidenceCode") == str(confidence_code(0.2)) == "2"
    paragraph = marks[0].getparent()
    assert "".join(paragraph.itertext()) == "A camr&< ]]> device."
    # escaped correctly in the bytes, and the bytes parse back
    data = st96.serialise(tree)
    assert b"camr&amp;&lt; ]]&gt;" in data
    etree.fromstring(data)


def test_confidence_code_mapping_is_monotonic_and_bounded() -> None:
    codes = [confidence_code(c / 100) for c in range(0, 101)]
    assert codes[0] == 1 and codes[-1] == 9
    assert codes == sorted(codes)
    assert confidence_code(0.5) == 5


def test_xml_forbidden_characters_are_removed() -> None:
    assert clean_text("a\x00b\x0bc\ufffed\ud800e\tf") == "abcde\tf"
    doc = _doc(
        fields={**_doc().fields, "title": Field(name="title", inid="54", value="T\x0cITLE\x00")}
    )
    tree = st96.to_st96(doc)
    assert check_st96(tree) == []
    assert "TITLE" in st96.serialise(tree).decode()


def test_missing_required_field_keeps_the_document_out_of_published() -> None:
    fields = dict(_doc().fields)
    del fields["application_number"]
    doc = _doc(fields=fields)
    report = gate(doc, st96.to_st96(doc), jsonout.to_json_dict(doc))
    assert report.outcome() == "review"
    assert any(
        f.rule == "field-missing" and "application_number" in f.message for f in report.findings
    )


def test_business_rules() -> None:
    fields = dict(_doc().fields)
    fields["filing_date"] = Field(name="filing_date", inid="22", value="2020-01-01", source=SRC)
    fields["kind"] = Field(name="kind", inid="13", value="Q7", source=SRC)
    fields["office"] = Field(name="office", inid="19", value="QQ", source=SRC)
    low = Provenance(page=0, bbox=(1, 2, 3, 4), confidence=0.3, raw="?")
    fields["title"] = Field(name="title", inid="54", value="MAYBE", source=low)
    doc = _doc(fields=fields, ipc=(Field(name="ipc", inid="51", value="G06F3", source=SRC),))
    rules = {
        (f.rule, f.severity)
        for f in check_rules(doc, min_field_confidence=0.7, min_page_confidence=0.6)
    }
    assert ("date-order", "review") in rules
    assert ("kind-code", "review") in rules
    assert ("office-code", "error") in rules
    assert ("ipc-format", "error") in rules
    assert ("low-confidence", "review") in rules
    finding = next(
        f for f in check_rules(doc, min_field_confidence=0.7, min_page_confidence=0.6)
        if f.rule == "low-confidence"
    )  # fmt: skip
    assert finding.page == 0 and finding.bbox == (1, 2, 3, 4)


def test_schema_error_is_reported_with_a_line_number() -> None:
    tree = st96.to_st96(_doc())
    root = tree.getroot()
    root.insert(0, etree.Element(f"{{{COM}}}Unexpected"))
    findings = check_st96(etree.ElementTree(etree.fromstring(etree.tostring(root))))
    assert findings and findings[0].rule == "st96-xsd" and findings[0].severity == "error"
    assert "Unexpected" in findings[0].message and findings[0].line


def test_committed_json_schema_matches_the_model() -> None:
    import json
    from importlib import resources

    committed = json.loads(
        resources.files("output_schemas").joinpath("ipdocument.schema.json").read_text()
    )
    assert committed == jsonout.json_schema(), "regenerate output_schemas/ipdocument.schema.json"


def test_json_output_is_deterministic() -> None:
    a = jsonout.dumps(jsonout.to_json_dict(_doc()))
    b = jsonout.dumps(jsonout.to_json_dict(_doc()))
    assert a == b and a.endswith(b"\n")
    assert st96.serialise(st96.to_st96(_doc())) == st96.serialise(st96.to_st96(_doc()))


def test_vendored_schemas_are_unchanged() -> None:
    import hashlib
    import re
    from importlib import resources

    text = resources.files("output_schemas").joinpath("PROVENANCE.md").read_text()
    listed = dict(re.findall(r"\| `([\w.]+\.xsd)` \| ([0-9a-f]{64}) \|", text))
    assert len(listed) == 4
    folder = resources.files("output_schemas").joinpath("st96_v6_0")
    for name, digest in listed.items():
        assert hashlib.sha256(folder.joinpath(name).read_bytes()).hexdigest() == digest, name

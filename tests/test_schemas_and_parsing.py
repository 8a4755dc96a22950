"""The committed JSON Schema is the one generated from the model; hardened XML parsing."""

from __future__ import annotations

import pytest
from lxml import etree

from output_schemas import jsonout
from output_schemas.xmltext import parse_ignoring_dtd, parse_untrusted
from tests.conftest import REPO, needs_shared


def test_committed_json_schema_is_generated_from_the_model() -> None:
    committed = (REPO / "output_schemas" / "ipdocument.schema.json").read_bytes()
    assert committed == jsonout.schema_bytes(), "run: python -m output_schemas.jsonout"


BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>"""
PARAMETER = b"""<?xml version="1.0"?><!DOCTYPE a [<!entity % p SYSTEM "http://x.invalid/p.dtd">
%p;]><a/>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, XXE, PARAMETER])
def test_entities_are_refused(data: bytes) -> None:
    with pytest.raises((ValueError, etree.XMLSyntaxError)):
        parse_ignoring_dtd(data)
    with pytest.raises((ValueError, etree.XMLSyntaxError)):
        parse_untrusted(data)


def test_external_dtd_is_named_but_never_loaded() -> None:
    data = (b'<?xml version="1.0"?><!DOCTYPE us-patent-grant SYSTEM "http://x.invalid/g.dtd" [ ]>'
            b"<us-patent-grant><p>text</p></us-patent-grant>")  # fmt: skip
    assert parse_ignoring_dtd(data).getroot().findtext("p") == "text"
    with pytest.raises(ValueError):
        parse_untrusted(data)


@needs_shared
def test_ground_truth_reader_on_real_xml() -> None:
    from bench.fulltext_gt import SOURCES, load

    docs = {s.key: load(s) for s in SOURCES}
    us = docs["US8930553B2"]
    assert len(us.claims) == 8 and us.claims[1][0].startswith("The system according to claim 1")
    assert [p.text for p in us.description if p.heading][0] == "FIELD OF THE INVENTION"
    assert not us.numbered_paragraphs
    ep = docs["EP1000000A1"]
    assert len(ep.claims) == 11 and [p.number for p in ep.description][:2] == ["0001", "0002"]
    wo = docs["WO2018148832A1"]
    assert len(wo.claims) == 45 and wo.description[0].heading

"""Multiple values become sequenced ST.96 elements that validate against the official XSD."""

from __future__ import annotations

from mapping.model import Field, IPDocument, Party, Priority, Provenance
from output_schemas import st96
from output_schemas.st96 import COM, PAT
from output_schemas.validate import check_st96

SRC = Provenance(page=0, bbox=(1, 1, 10, 10), confidence=0.9, raw="x")


def _doc() -> IPDocument:
    def f(name: str, inid: str, value: str) -> Field:
        return Field(name=name, inid=inid, value=value, source=SRC)

    return IPDocument(
        doc_id="d",
        fields={
            "office": f("office", "19", "US"),
            "publication_number": f("publication_number", "11", "10055715"),
            "kind": f("kind", "13", "B1"),
            "application_number": f("application_number", "21", "15/713,322"),
            "filing_date": f("filing_date", "22", "2017-09-22"),
            "title": f("title", "54", "CRYPTOCURRENCY PAYMENT NETWORK"),
        },
        ipc=(f("ipc", "51", "G06Q 40/00 (2012.01)"), f("ipc", "51", "G06Q 20/06 (2012.01)")),
        parties=(
            Party(
                role="inventor",
                name="Brian Grassadonia",
                residence="San Francisco, CA",
                country="US",
                source=SRC,
            ),
            Party(role="inventor", name="Christopher Michael Brock", country="US", source=SRC),
        ),  # fmt: skip
        priorities=(
            Priority(country="EP", number="16425086", date="2016-08-11", source=SRC),
            Priority(country=None, number="17425018", date="2017-02-17", source=SRC),
            Priority(country="EP", number="123", date=None, source=SRC),  # no date: left out
        ),
    )


def test_sequenced_elements_validate() -> None:
    tree = st96.to_st96(_doc())
    assert check_st96(tree) == []
    ns = {"pat": PAT, "com": COM}
    claims = tree.findall(".//pat:PriorityClaimBag/pat:PriorityClaim", ns)
    assert [c.get(f"{{{COM}}}sequenceNumber") for c in claims] == ["1", "2"]
    assert [c.findtext("com:IPOfficeCode", namespaces=ns) for c in claims] == ["EP", "XX"]
    ipcs = tree.findall(".//pat:IPCRClassification", ns)
    assert [c.get(f"{{{COM}}}sequenceNumber") for c in ipcs] == ["1", "2"]
    inventors = tree.findall(".//pat:InventorBag/pat:Inventor", ns)
    assert len(inventors) == 2

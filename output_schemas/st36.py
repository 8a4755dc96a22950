"""IPDocument -> WIPO ST.36 element names (patent-document), checked against st36_subset.dtd.

The same content as the ST.96 output: bibliographic data, abstract, description paragraphs with
their numbers (p/@num) and headings, claims (claim/@num, claim-text) with claim references kept
as text, and drawing sheets as page images. ST.36 has no element for OCR confidence, so the text
is plain (the ST.96 and JSON outputs carry the confidences).
"""

from __future__ import annotations

import functools
from importlib import resources

from lxml import etree

from mapping.model import IPDocument, Party
from output_schemas.xmltext import clean_text

DTD_NAME = "st36_subset.dtd"
DTD_VERSION = "ipdigitise-st36-subset-1"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag)
    for key, value in attrs.items():
        el.set(key.replace("_", "-"), value)
    if text is not None:
        el.text = clean_text(text)
    return el


def _date(iso: str | None) -> str | None:
    return iso.replace("-", "") if iso else None


def _document_id(parent: etree._Element, country: str, number: str, kind: str | None,
                 date: str | None) -> None:  # fmt: skip
    did = _sub(parent, "document-id")
    _sub(did, "country", country)
    _sub(did, "doc-number", number)
    if kind:
        _sub(did, "kind", kind)
    if date:
        _sub(did, "date", date)


def _addressbook(parent: etree._Element, party: Party) -> None:
    book = _sub(parent, "addressbook")
    _sub(book, "orgname" if party.kind == "organisation" else "name", party.name)
    if party.residence or party.country:
        address = _sub(book, "address")
        if party.residence:
            city, _, region = party.residence.partition(",")
            _sub(address, "city", city.strip())
            if region.strip():
                _sub(address, "state", region.strip())
        if party.country:
            _sub(address, "country", party.country)


def to_st36(doc: IPDocument) -> etree._ElementTree:
    office = doc.value("office") or "XX"
    root = etree.Element("patent-document")
    root.set("lang", doc.language)
    root.set("country", office)
    for attr, value in (
        ("doc-number", doc.value("publication_number")),
        ("kind", doc.value("kind")),
        ("date-publ", _date(doc.value("publication_date"))),
    ):
        if value:
            root.set(attr, value)
    root.set("file", f"{doc.doc_id}.st36.xml")
    root.set("dtd-version", DTD_VERSION)

    bib = _sub(root, "bibliographic-data", lang=doc.language)
    if doc.value("publication_number"):
        pub = _sub(bib, "publication-reference")
        _document_id(pub, office, doc.value("publication_number") or "", doc.value("kind"),
                     _date(doc.value("publication_date")))  # fmt: skip
    if doc.ipc:
        bag = _sub(bib, "classifications-ipcr")
        for i, ipc in enumerate(doc.ipc, 1):
            _sub(_sub(bag, "classification-ipcr", sequence=str(i)), "text", ipc.value)
    app = _sub(bib, "application-reference")
    _document_id(app, office, doc.value("application_number") or "", None,
                 _date(doc.value("filing_date")))  # fmt: skip
    if doc.value("title"):
        _sub(bib, "invention-title", doc.value("title"), lang=doc.language)
    groups = (("applicant", "applicants"), ("inventor", "inventors"), ("agent", "agents"))
    if any(doc.parties_of(role) for role, _ in groups):
        parties = _sub(bib, "parties")
        for role, bag_tag in groups:
            members = doc.parties_of(role)
            if not members:
                continue
            bag = _sub(parties, bag_tag)
            for i, party in enumerate(members, 1):
                el = _sub(bag, role, sequence=str(i))
                if role == "agent":
                    el.set("rep-type", "agent")
                _addressbook(el, party)
    assignees = doc.parties_of("assignee")
    if assignees:
        bag = _sub(bib, "assignees")
        for i, party in enumerate(assignees, 1):
            _addressbook(_sub(bag, "assignee", sequence=str(i)), party)

    if doc.abstract:
        abstract = _sub(root, "abstract", lang=doc.language)
        for i, para in enumerate(doc.abstract, 1):
            _sub(abstract, "p", para.text, num=f"{i:04d}")
    if doc.description:
        desc = _sub(root, "description", lang=doc.language)
        count = 0
        for para in doc.description:
            if para.kind == "heading":
                _sub(desc, "heading", para.text, level="1")
                continue
            count += 1
            _sub(desc, "p", para.text, num=para.number or f"{count:04d}")
    if doc.claims:
        claims = _sub(root, "claims", lang=doc.language)
        for claim in doc.claims:
            el = _sub(claims, "claim", id=f"CLM-{claim.number:05d}", num=str(claim.number))
            _sub(el, "claim-text", claim.text)
    sheets = [p for p in doc.pages if p.kind == "drawing" and p.image]
    if sheets:
        drawings = _sub(root, "drawings")
        for n, page in enumerate(sheets, 1):
            dpi = page.dpi or 300.0
            fmt = "jpg" if (page.image or "").lower().endswith((".jpg", ".jpeg")) else "tif"
            _sub(_sub(drawings, "figure", num=str(n)), "img",
                 he=f"{page.height / dpi * 25.4:.2f}mm", wi=f"{page.width / dpi * 25.4:.2f}mm",
                 file=page.image or "", alt=f"drawing sheet, page {page.index + 1}",
                 img_content="drawing", img_format=fmt)  # fmt: skip
    return etree.ElementTree(root)


def serialise(tree: etree._ElementTree) -> bytes:
    """UTF-8 with a DOCTYPE naming the subset DTD (never fetched by our own parsers)."""
    return etree.tostring(
        tree,
        xml_declaration=True,
        encoding="UTF-8",
        pretty_print=True,
        doctype=f'<!DOCTYPE patent-document SYSTEM "{DTD_NAME}">',
    )


@functools.lru_cache(maxsize=1)
def st36_dtd() -> etree.DTD:
    """The vendored subset DTD, loaded once from the package (never from the network)."""
    with resources.files("output_schemas").joinpath(DTD_NAME).open("rb") as fh:
        return etree.DTD(fh)

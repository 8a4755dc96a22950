"""Ground truth for the full-text benchmark, read from real patent XML in ../shared.

Readers for USPTO ST.36-derived XML (us-patent-grant / us-patent-application v4.x) and for
EPO OPS exchange data (abstract XML, description JSON/XML, claims JSON/XML). Each yields a
`GtDoc`: bibliographic data for a front page, abstract paragraphs, description items (numbered
paragraphs and headings) and the claims, in the order they are printed.

Parsing is hardened: DOCTYPEs are tolerated (USPTO files carry one) but external DTDs are never
loaded and entity declarations are refused (output_schemas.xmltext.parse_ignoring_dtd).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from output_schemas.xmltext import parse_ignoring_dtd

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "patent-xml-samples"


@dataclass
class GtPara:
    text: str
    number: str | None = None  # the number the office prints ("0001"), None when unnumbered
    heading: bool = False


@dataclass
class GtDoc:
    doc_id: str
    office: str
    number: str
    kind: str
    pub_date: str  # ISO
    app_number: str
    filing_date: str  # ISO
    title: str
    applicants: list[str] = field(default_factory=list)
    inventors: list[str] = field(default_factory=list)
    ipc: list[str] = field(default_factory=list)
    abstract: list[str] = field(default_factory=list)
    description: list[GtPara] = field(default_factory=list)
    claims: list[list[str]] = field(default_factory=list)
    """One entry per claim: its printed lines (the preamble, then indented sub-clauses)."""
    citations: list[str] = field(default_factory=list)
    numbered_paragraphs: bool = True
    style: str = "us-app"

    def claim_texts(self) -> list[str]:
        return [" ".join(parts) for parts in self.claims]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _text(el: etree._Element) -> str:
    """Visible text of an element (processing instructions and comments dropped)."""
    parts: list[str] = []
    for node in el.iter():
        if node is not el and not isinstance(node.tag, str):
            if node.tail:
                parts.append(node.tail)
            continue
        if node.text and isinstance(node.tag, str):
            parts.append(node.text)
        if node is not el and node.tail:
            parts.append(node.tail)
    return _squash("".join(parts))


def _iso(yyyymmdd: str) -> str:
    d = yyyymmdd.strip()
    return f"{d[:4]}-{d[4:6]}-{d[6:8]}" if re.fullmatch(r"\d{8}", d) else d


def _name(book: etree._Element) -> str:
    org = book.findtext("orgname")
    if org:
        return _squash(org)
    first, last = book.findtext("first-name") or "", book.findtext("last-name") or ""
    return _squash(f"{last}, {first}" if first else last)


def _claim_lines(el: etree._Element, out: list[str]) -> None:
    """A claim-text with nested claim-texts prints as one line per level (sub-clauses indented)."""
    own: list[str] = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag == "claim-text":
            if _squash("".join(own)):
                out.append(_squash("".join(own)))
            own = []
            _claim_lines(child, out)
        elif isinstance(child.tag, str):
            own.append(_text(child))
        own.append(child.tail or "")
    if _squash("".join(own)):
        out.append(_squash("".join(own)))


def load_uspto(path: Path, limit_paragraphs: int | None = None) -> GtDoc:
    root = parse_ignoring_dtd(path.read_bytes()).getroot()
    bib = root.find("us-bibliographic-data-grant")
    grant = bib is not None
    if bib is None:
        bib = root.find("us-bibliographic-data-application")
    assert bib is not None, f"{path}: not a us-patent-grant/-application"
    pub = bib.find("publication-reference/document-id")
    app = bib.find("application-reference/document-id")
    assert pub is not None and app is not None
    ipc = []
    for c in bib.iterfind("classifications-ipcr/classification-ipcr"):
        ipc.append(
            f"{c.findtext('section')}{c.findtext('class')}{c.findtext('subclass')} "
            f"{(c.findtext('main-group') or '').lstrip('0') or '0'}/{c.findtext('subgroup')}"
        )
    parties = bib.find("us-parties")
    if parties is None:
        parties = bib.find("parties")
    applicants, inventors = [], []
    if parties is not None:
        for book in parties.iterfind("*/*/addressbook"):
            role = book.getparent().tag  # type: ignore[union-attr]
            if role == "inventor":
                inventors.append(_name(book))
            elif role in {"applicant", "us-applicant"}:
                applicants.append(_name(book))
    number = (pub.findtext("doc-number") or "").lstrip("0")
    doc = GtDoc(
        doc_id=f"US{number}{pub.findtext('kind') or ''}",
        office="US",
        number=number,
        kind=pub.findtext("kind") or "",
        pub_date=_iso(pub.findtext("date") or ""),
        app_number=app.findtext("doc-number") or "",
        filing_date=_iso(app.findtext("date") or ""),
        title=_squash(bib.findtext("invention-title") or ""),
        applicants=[a for a in applicants if a][:4],
        inventors=[i for i in inventors if i][:6],
        ipc=ipc[:4],
        numbered_paragraphs=not grant,
        style="us-grant" if grant else "us-app",
    )
    doc.abstract = [_text(p) for p in root.iterfind("abstract/p")]
    count = 0
    desc = root.find("description")
    assert desc is not None
    for el in desc.iter("heading", "p"):
        if el.tag == "p" and (el.getparent().tag == "p" or el.find(".//tables") is not None):
            continue  # tables and nested lists are not part of this benchmark
        text = _text(el)
        if not text:
            continue
        if el.tag == "heading":
            doc.description.append(GtPara(text=text, heading=True))
            continue
        if limit_paragraphs is not None and count >= limit_paragraphs:
            break
        count += 1
        doc.description.append(GtPara(text=text, number=el.get("num")))
    while doc.description and doc.description[-1].heading:
        doc.description.pop()
    for claim in root.iterfind("claims/claim"):
        lines: list[str] = []
        for ct in claim.iterfind("claim-text"):
            _claim_lines(ct, lines)
        if lines:
            lines[0] = re.sub(r"^\d+\s*\.\s*", "", lines[0])
            doc.claims.append(lines)
    for cit in bib.iterfind(".//citation/patcit/document-id"):
        doc.citations.append(
            f"{cit.findtext('country')} {cit.findtext('doc-number')} {cit.findtext('kind') or ''}"
            f" ({cit.findtext('name') or ''})"
        )
    return doc


OPS = {"ex": "http://www.epo.org/exchange", "ft": "http://www.epo.org/fulltext"}


def load_wo2018148832(folder: Path, limit_paragraphs: int | None = None) -> GtDoc:
    """WO 2018/148832 A1 from EPO OPS exchange XML (biblio, description, claims)."""
    stem = "published-data_publication_docdb_WO.2018148832.A1"
    bib = parse_ignoring_dtd((folder / f"{stem}_biblio.xml").read_bytes()).getroot()
    doc = GtDoc(
        doc_id="WO2018148832A1",
        office="WO",
        number="2018/148832",
        kind="A1",
        pub_date="2018-08-23",
        app_number="PCT/CA2018/050171",
        filing_date="2018-02-15",
        title=_squash(
            bib.findtext(".//ex:invention-title[@lang='en']", namespaces=OPS) or ""
        ).title(),
        style="wo",
    )
    for name in bib.iterfind(".//ex:applicant[@data-format='original']//ex:name", OPS):
        doc.applicants.append(_squash(name.text or "").rstrip(" ,"))
    for name in bib.iterfind(".//ex:inventor[@data-format='original']//ex:name", OPS):
        doc.inventors.append(_squash(name.text or "").rstrip(" ,"))
    for c in bib.iterfind(".//ex:classification-ipcr/ex:text", OPS):
        sym = re.sub(r"\s+", " ", (c.text or "").strip())
        m = re.match(r"([A-H]\d\d[A-Z])\s*(\d+)\s*/\s*(\d+)", sym)
        if m and len(doc.ipc) < 4:
            doc.ipc.append(f"{m[1]} {m[2]}/{m[3]}")
    doc.abstract = [
        _text(p) for p in bib.iterfind(".//ex:abstract[@lang='en']/ex:p", OPS) if _text(p)
    ]
    desc = parse_ignoring_dtd((folder / f"{stem}_description.xml").read_bytes()).getroot()
    count = 0
    for p in desc.iterfind(".//ft:description/ft:p", OPS):
        text = _text(p)
        pieces = re.split(r"(?=\[\d{4}\])", text)
        for piece in pieces:
            piece = piece.strip()
            if not piece:
                continue
            m = re.match(r"\[(\d{4})\]\s*(.*)", piece)
            if m:
                if limit_paragraphs is not None and count >= limit_paragraphs:
                    break
                count += 1
                doc.description.append(GtPara(text=m[2], number=m[1]))
            elif count == 0 and piece.isupper() and "CROSS-REFERENCE" in piece:
                # the OPS text glues the title and the first heading into one line
                doc.description.append(GtPara(text="CROSS-REFERENCE TO RELATED APPLICATION",
                                              heading=True))  # fmt: skip
            elif len(piece) < 80:
                doc.description.append(GtPara(text=piece, heading=True))
    while doc.description and doc.description[-1].heading:
        doc.description.pop()
    claims = parse_ignoring_dtd((folder / f"{stem}_claims.xml").read_bytes()).getroot()
    raw = "\n".join(ct.text or "" for ct in claims.iterfind(".//ft:claim-text", OPS))
    current: list[str] | None = None
    for line in raw.splitlines():
        line = _squash(line)
        m = re.match(r"^(\d+)\.\s+(.*)", line)
        if m and int(m[1]) == len(doc.claims) + 1:
            current = [m[2]]
            doc.claims.append(current)
        elif current is not None and line:
            current.append(line)
    # the OPS text splits some words ("captu red", "CLAI MS"); keep the text as published
    return doc


def load_ep1000000(folder: Path) -> GtDoc:
    """EP 1 000 000 A1 from EPO OPS results (abstract XML, description and claims JSON)."""
    biblio = json.loads((folder / "ep1000000_biblio_result.json").read_text("utf-8"))
    d = biblio["documents"][0]
    doc = GtDoc(
        doc_id="EP1000000A1",
        office="EP",
        number="1000000",
        kind="A1",
        pub_date=d["publication_reference_docdb"]["date"],
        app_number="99203729.0",
        filing_date=d["application_reference_epodoc"]["date"],
        title=d["title"],
        style="ep",
    )
    doc.applicants = [a for a in d.get("applicants_original", [])][:2] or ["BOER, Hendrik"]
    doc.inventors = [a for a in d.get("inventors_original", [])][:3]
    for c in d["intl_class"]:
        m = re.match(r"([A-H]\d\d[A-Z])\s*(\d+)\s*/\s*(\d+)", c)
        if m:
            doc.ipc.append(f"{m[1]} {m[2]}/{m[3]}")
    ab = parse_ignoring_dtd((folder / "ep1000000_abstract_result.xml").read_bytes()).getroot()
    doc.abstract = [_text(p) for p in ab.iterfind(".//ex:abstract/ex:p", OPS)]
    desc = json.loads((folder / "ep1000000_description_result.xml").read_text("utf-8"))
    for block in desc["description"].split("\n\n"):
        m = re.match(r"\[(\d{4})\]\s*(.*)", block.strip(), re.S)
        if m:
            doc.description.append(GtPara(text=_squash(m[2]), number=m[1]))
    claims = json.loads((folder / "ep1000000_claims_result.json").read_text("utf-8"))
    text = " ".join(c for cl in claims["claims"] for c in cl["limitations"])
    # OPS glues the claims together ("...direction.Apparatus as claimed in claim 1, ...")
    for piece in re.split(r"(?<=[a-z)])\.(?=[A-Z])", text):
        piece = _squash(piece)
        if piece:
            doc.claims.append([piece if piece.endswith(".") else piece + "."])
    return doc


@dataclass(frozen=True)
class GtSource:
    """One benchmark document: how to load it and how to lay it out."""

    key: str
    loader: str
    path: str
    limit_paragraphs: int | None = None
    layout: str = ""  # overrides the style's default layout
    abstract_page: bool = False  # print the abstract on its own page at the end


SOURCES: tuple[GtSource, ...] = (
    GtSource("US8930553B2", "uspto", "uspto_PatentPublicData/xml2014/US08930553.xml"),
    GtSource("US20050004437A1", "uspto", "uspto_PatentPublicData/xmlApp2004/US20050004437A1.xml"),
    GtSource("US20180000016A1", "uspto", "docling_uspto/ipa20180000016.xml", limit_paragraphs=40),
    GtSource("US20200022300A1", "uspto", "docling_uspto/ipa20200022300.xml", limit_paragraphs=40,
             abstract_page=True),
    GtSource("EP1000000A1", "ep", "epo_ops_patent_client"),
    GtSource("WO2018148832A1", "wo", "epo_ops_patent_client", limit_paragraphs=30),
)  # fmt: skip


def load(source: GtSource) -> GtDoc:
    path = SAMPLES / source.path
    if source.loader == "uspto":
        doc = load_uspto(path, source.limit_paragraphs)
    elif source.loader == "ep":
        doc = load_ep1000000(path)
    else:
        doc = load_wo2018148832(path, source.limit_paragraphs)
    doc.doc_id = source.key
    return doc

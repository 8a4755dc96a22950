"""IPDocument -> WIPO ST.96 V6_0 pat:PatentPublication, built with lxml (never string formatting).

Full text: pat:Description (com:Heading, com:P with com:pNumber), pat:Claims (pat:Claim with
pat:ClaimNumber and pat:ClaimText), pat:Abstract, and pat:Drawings referencing the drawing
sheets as page images. Low-confidence OCR words in running text are wrapped in
com:OCRConfidenceData with a com:ocrConfidenceCode from `confidence_code` (mapping below).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from lxml import etree

from mapping.model import IPDocument, PageInfo, Party, Token
from ocr.models import PreprocessReport
from output_schemas.xmltext import clean_text

PAT = "http://www.wipo.int/standards/XMLSchema/ST96/Patent"
COM = "http://www.wipo.int/standards/XMLSchema/ST96/Common"
NSMAP = {"pat": PAT, "com": COM}
VERSION = "V6_0"
UNKNOWN_OFFICE = "XX"  # ST.3 code for 'unknown'; the validation gate flags it


def confidence_code(confidence: float) -> int:
    """ST.96 ocrConfidenceCode 1..9 from a 0..1 OCR confidence: ceil(9 x confidence), at least 1.

    So 0.00-0.11 -> 1, 0.12-0.22 -> 2, ..., 0.78-0.88 -> 8, 0.89-1.00 -> 9.
    """
    return max(1, min(9, math.ceil(confidence * 9 - 1e-9)))


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _sub(
    parent: etree._Element, ns: str, tag: str, text: str | None = None, **attrs: str
) -> etree._Element:
    el = etree.SubElement(parent, _q(ns, tag))
    for key, value in attrs.items():
        el.set(_q(COM, key), value)
    if text is not None:
        el.text = clean_text(text)
    return el


def _running_text(
    parent: etree._Element,
    ns: str,
    tag: str,
    tokens: tuple[Token, ...],
    threshold: float,
    **attrs: str,
) -> etree._Element:
    """An element of running text (com:P, com:Heading, pat:ClaimText) whose low-confidence word
    runs are wrapped in com:OCRConfidenceData."""
    p = _sub(parent, ns, tag, **attrs)
    p.text = ""
    last: etree._Element | None = None
    run: list[str] = []
    run_conf = 1.0

    def append_text(text: str) -> None:
        nonlocal last
        if last is None:
            p.text = (p.text or "") + text
        else:
            last.tail = (last.tail or "") + text

    def flush_run() -> None:
        nonlocal last, run, run_conf
        if run:
            el = _sub(
                p,
                COM,
                "OCRConfidenceData",
                " ".join(run),
                ocrConfidenceCode=str(confidence_code(run_conf)),
            )
            last = el
            run, run_conf = [], 1.0

    for i, tok in enumerate(tokens):
        sep = " " if i else ""
        if tok.confidence < threshold:
            if not run:
                append_text(sep)
            run.append(clean_text(tok.text))
            run_conf = min(run_conf, tok.confidence)
        else:
            flush_run()
            append_text(sep + clean_text(tok.text))
    flush_run()
    return p


def _contact(parent: etree._Element, party: Party) -> None:
    contact = _sub(parent, COM, "PublicationContact")
    name = _sub(contact, COM, "Name")
    if party.kind == "organisation":
        _sub(name, COM, "EntityName", party.name)
    else:
        person = _sub(name, COM, "PersonName")
        _sub(person, COM, "PersonFullName", party.name)
    if party.residence:
        city, _, region = party.residence.partition(",")
        _sub(contact, COM, "CityName", city.strip())
        if region.strip():
            _sub(contact, COM, "GeographicRegionName", region.strip())
    if party.country:
        _sub(contact, COM, "CountryCode", party.country)


def to_st96(doc: IPDocument, *, low_confidence: float = 0.6) -> etree._ElementTree:
    office = doc.value("office") or UNKNOWN_OFFICE
    root = etree.Element(_q(PAT, "PatentPublication"), nsmap=NSMAP)
    root.set(_q(COM, "st96Version"), VERSION)
    root.set(_q(COM, "languageCode"), doc.language)
    _sub(root, COM, "IPOfficeCode", office)
    bib = _sub(root, PAT, "BibliographicData", st96Version=VERSION)

    if doc.value("publication_number"):
        pub = _sub(bib, PAT, "PatentPublicationIdentification")
        _sub(pub, COM, "IPOfficeCode", office)
        _sub(pub, PAT, "PublicationNumber", doc.value("publication_number"))
        if doc.value("kind"):
            _sub(pub, COM, "PatentDocumentKindCode", doc.value("kind"))
        if doc.value("publication_date"):
            _sub(pub, COM, "PublicationDate", doc.value("publication_date"))

    app = _sub(bib, PAT, "ApplicationIdentification")
    _sub(app, COM, "IPOfficeCode", office)
    number = _sub(_sub(app, COM, "ApplicationNumber"), COM, "ApplicationNumberText")
    number.text = clean_text(doc.value("application_number") or "")
    if doc.value("filing_date"):
        _sub(app, PAT, "FilingDate", doc.value("filing_date"))

    claims_with_date = [p for p in doc.priorities if p.date]
    if claims_with_date:  # (30)-(33): sequenced; ST.96 requires each claim's office and date
        bag = _sub(bib, PAT, "PriorityClaimBag")
        for i, prio in enumerate(claims_with_date, 1):
            claim = _sub(bag, PAT, "PriorityClaim", sequenceNumber=str(i))
            _sub(claim, COM, "IPOfficeCode", prio.country or UNKNOWN_OFFICE)
            if prio.number:
                number = _sub(claim, COM, "ApplicationNumber")
                _sub(number, COM, "ApplicationNumberText", prio.number)
            _sub(claim, PAT, "FilingDate", prio.date)

    if doc.ipc:
        bag = _sub(_sub(bib, PAT, "PatentClassificationBag"), PAT, "IPCRClassificationBag")
        for i, ipc in enumerate(doc.ipc, 1):
            cls = _sub(bag, PAT, "IPCRClassification", sequenceNumber=str(i))
            _sub(cls, PAT, "PatentClassificationText", ipc.value)

    titles = _sub(bib, PAT, "InventionTitleBag")
    _sub(titles, PAT, "InventionTitle", doc.value("title") or "", languageCode=doc.language)

    party_bag = _sub(bib, PAT, "PartyBag")
    for role, bag_tag, tag in (
        ("applicant", "ApplicantBag", "Applicant"),
        ("inventor", "InventorBag", "Inventor"),
        ("assignee", "AssigneeBag", "Assignee"),
        ("agent", "RegisteredPractitionerBag", "RegisteredPractitioner"),
    ):
        parties = doc.parties_of(role)
        if not parties:
            continue
        bag = _sub(party_bag, PAT, bag_tag)
        for i, party in enumerate(parties, 1):
            el = _sub(bag, PAT, tag, sequenceNumber=str(i))
            if role == "agent":
                _sub(el, PAT, "RegisteredPractitionerCategory", "Agent")
            _contact(el, party)

    if doc.description:
        desc = _sub(root, PAT, "Description", languageCode=doc.language)
        count = 0
        for para in doc.description:
            if para.kind == "heading":
                _running_text(desc, COM, "Heading", para.tokens, low_confidence,
                              headingLevelCode="H1")  # fmt: skip
                continue
            count += 1
            _running_text(desc, COM, "P", para.tokens, low_confidence,
                          pNumber=para.number or f"{count:04d}")  # fmt: skip
    claims = _sub(root, PAT, "Claims", languageCode=doc.language)
    if doc.claims:
        for claim in doc.claims:
            el = _sub(claims, PAT, "Claim", id=f"CLM-{claim.number:05d}")
            _sub(el, PAT, "ClaimNumber", str(claim.number))
            _running_text(el, PAT, "ClaimText", claim.tokens, low_confidence)
    else:
        # The schema requires pat:Claims next to an abstract; a front page carries none, so it
        # is left as one empty paragraph (the JSON says claims: [] and the report says why).
        _sub(claims, COM, "P", "")
    if doc.abstract:
        abstract = _sub(root, PAT, "Abstract", languageCode=doc.language)
        for i, para in enumerate(doc.abstract, 1):
            _running_text(abstract, COM, "P", para.tokens, low_confidence, pNumber=f"{i:04d}")
    sheets = [p for p in doc.pages if p.kind == "drawing" and p.image]
    if sheets:
        drawings = _sub(root, PAT, "Drawings", id="drawings")
        for sheet in sheets:
            _page_image(drawings, sheet)
    return etree.ElementTree(root)


def _page_image(parent: etree._Element, page: PageInfo) -> None:
    """pat:PageImage for a page kept as an image; sizes in millimetres from pixels and dpi."""
    el = _sub(parent, PAT, "PageImage", id=f"page-{page.index + 1:04d}")
    el.set(_q(PAT, "firstPageNumber"), str(page.index + 1))
    image = page.image or ""
    fmt = {"tif": "TIFF", "tiff": "TIFF", "png": "PNG", "jpg": "JPEG", "jpeg": "JPEG"}
    _sub(el, COM, "ImageFormatCategory", fmt.get(image.rsplit(".", 1)[-1].lower(), "TIFF"))
    _sub(el, COM, "FileName", image)
    dpi = page.dpi or 300.0
    _sub(el, COM, "HeightMeasure", f"{page.height / dpi * 25.4:.2f}", measureUnitCode="Mm")
    _sub(el, COM, "WidthMeasure", f"{page.width / dpi * 25.4:.2f}", measureUnitCode="Mm")
    _sub(el, COM, "Alt", f"drawing sheet, page {page.index + 1}")


def serialise(tree: etree._ElementTree) -> bytes:
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def add_preprocessing(tree: etree._ElementTree, reports: Sequence[PreprocessReport]) -> None:
    """Record what preprocessing did to each page as `<?ipdigitise-preprocess ...?>` processing
    instructions at the top of the root element.

    ST.96 has no element for image processing, and processing instructions are outside what the
    schema validates, so the document stays valid while keeping its provenance next to the data
    (report.json has the full measurements).
    """
    root = tree.getroot()
    for i, report in enumerate(reports):
        attrs = {
            "page": str(report.page + 1),
            "rotation": str(report.rotation),
            "skew": "" if report.skew_angle is None else f"{report.skew_angle:.2f}",
            "dpi": f"{report.input_dpi:.0f}->{report.output_dpi:.0f}",
            "dpi-source": report.dpi_source,
            "binarisation": report.binarisation or "",
            "steps": " ".join(report.steps),
        }
        body = " ".join(f'{k}="{clean_text(v).replace(chr(34), "")}"' for k, v in attrs.items())
        root.insert(i, etree.ProcessingInstruction("ipdigitise-preprocess", body))


def add_ocr_engine(tree: etree._ElementTree, name: str, version: str, language: str) -> None:
    """Record which OCR engine read the pages as `<?ipdigitise-ocr engine=... version=...
    language=...?>` at the top of the root element (before the preprocessing ones): "tesseract"
    is the `tesseract` program, "tesserocr" the same Tesseract library run in-process."""
    attrs = {"engine": name, "version": version, "language": language}
    body = " ".join(f'{k}="{clean_text(v).replace(chr(34), "")}"' for k, v in attrs.items())
    tree.getroot().insert(0, etree.ProcessingInstruction("ipdigitise-ocr", body))

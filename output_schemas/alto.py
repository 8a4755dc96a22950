"""Per-page ALTO 4 (Library of Congress) files: the OCR provenance layer.

Every word Tesseract read, with its box in the OCR'd page image (pixels) and its confidence
(ALTO's WC, 0..1), grouped into Tesseract's blocks and lines. The page's kind (front,
description, claims, drawing, ...) is recorded as an ALTO OtherTag referenced by the page.
Deterministic: no processing date, identifiers derived from positions.
"""

from __future__ import annotations

from lxml import etree

from ocr.models import PageOcr, Word
from output_schemas.xmltext import clean_text

ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{ALTO_NS} http://www.loc.gov/alto/v4/alto-4-4.xsd"


def _q(tag: str) -> str:
    return f"{{{ALTO_NS}}}{tag}"


_TEXT_BLOCK, _TEXT_LINE, _STRING, _SP = (_q(t) for t in ("TextBlock", "TextLine", "String", "SP"))


def _box(words: list[Word]) -> dict[str, str]:
    """ALTO's position attributes of the box around `words` (built as one dict: setting them
    one by one on 30,000 elements a batch cost more than the rest of the file)."""
    x0, y0, x1, y1 = words[0].bbox
    for w in words[1:]:
        bx0, by0, bx1, by1 = w.bbox
        x0, y0, x1, y1 = min(x0, bx0), min(y0, by0), max(x1, bx1), max(y1, by1)
    return {"HPOS": str(x0), "VPOS": str(y0), "WIDTH": str(x1 - x0), "HEIGHT": str(y1 - y0)}


def to_alto(page: PageOcr, *, kind: str, source_name: str) -> etree._ElementTree:
    n = page.index + 1
    root = etree.Element(_q("alto"), nsmap={None: ALTO_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)
    desc = etree.SubElement(root, _q("Description"))
    etree.SubElement(desc, _q("MeasurementUnit")).text = "pixel"
    info = etree.SubElement(desc, _q("sourceImageInformation"))
    etree.SubElement(info, _q("fileName")).text = clean_text(f"{source_name}#page={n}")
    proc = etree.SubElement(desc, _q("OCRProcessing"), ID="OCR_0")
    step = etree.SubElement(proc, _q("ocrProcessingStep"))
    etree.SubElement(
        step, _q("processingStepSettings")
    ).text = f"language={page.language}; dpi={page.dpi:g}"
    software = etree.SubElement(step, _q("processingSoftware"))
    etree.SubElement(software, _q("softwareCreator")).text = "tesseract-ocr"
    etree.SubElement(software, _q("softwareName")).text = page.engine
    etree.SubElement(software, _q("softwareVersion")).text = page.engine_version or "unknown"
    tags = etree.SubElement(root, _q("Tags"))
    etree.SubElement(tags, _q("OtherTag"), ID="KIND", LABEL="page kind", VALUE=kind)

    layout = etree.SubElement(root, _q("Layout"))
    pg = etree.SubElement(layout, _q("Page"), ID=f"P{n}", PHYSICAL_IMG_NR=str(n))
    pg.set("WIDTH", str(page.width))
    pg.set("HEIGHT", str(page.height))
    pg.set("TAGREFS", "KIND")
    if page.words:
        pg.set("PC", f"{page.mean_confidence:.4f}")
    space = etree.SubElement(pg, _q("PrintSpace"), HPOS="0", VPOS="0")
    space.set("WIDTH", str(page.width))
    space.set("HEIGHT", str(page.height))

    blocks: dict[int, dict[tuple[int, int], list[Word]]] = {}
    for w in page.words:
        blocks.setdefault(w.block, {}).setdefault((w.par, w.line), []).append(w)
    sub = etree.SubElement
    for b, lines in enumerate(blocks.values(), 1):
        block = sub(space, _TEXT_BLOCK, {"ID": f"P{n}_B{b}", **_box([w for ws in lines.values() for w in ws])})  # fmt: skip
        for li, words in enumerate(lines.values(), 1):
            line_id = f"P{n}_B{b}_L{li}"
            line = sub(block, _TEXT_LINE, {"ID": line_id, **_box(words)})
            for wi, w in enumerate(words, 1):
                if wi > 1:
                    sub(line, _SP)
                attrs = {"ID": f"{line_id}_W{wi}", **_box([w]), "WC": f"{w.confidence:.4f}",
                         "CONTENT": clean_text(w.text)}  # fmt: skip
                sub(line, _STRING, attrs)
    return etree.ElementTree(root)


def serialise(tree: etree._ElementTree) -> bytes:
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)

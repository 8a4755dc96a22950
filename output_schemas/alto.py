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


def _box(el: etree._Element, words: list[Word]) -> None:
    x0 = min(w.bbox[0] for w in words)
    y0 = min(w.bbox[1] for w in words)
    x1 = max(w.bbox[2] for w in words)
    y1 = max(w.bbox[3] for w in words)
    el.set("HPOS", str(x0))
    el.set("VPOS", str(y0))
    el.set("WIDTH", str(x1 - x0))
    el.set("HEIGHT", str(y1 - y0))


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
    for b, lines in enumerate(blocks.values(), 1):
        block = etree.SubElement(space, _q("TextBlock"), ID=f"P{n}_B{b}")
        _box(block, [w for ws in lines.values() for w in ws])
        for li, words in enumerate(lines.values(), 1):
            line = etree.SubElement(block, _q("TextLine"), ID=f"P{n}_B{b}_L{li}")
            _box(line, words)
            for wi, w in enumerate(words, 1):
                if wi > 1:
                    etree.SubElement(line, _q("SP"))
                s = etree.SubElement(line, _q("String"), ID=f"P{n}_B{b}_L{li}_W{wi}")
                _box(s, [w])
                s.set("WC", f"{w.confidence:.4f}")
                s.set("CONTENT", clean_text(w.text))
    return etree.ElementTree(root)


def serialise(tree: etree._ElementTree) -> bytes:
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)

"""Text that is safe to put in XML 1.0, and a parser that refuses DTDs, entities and the network."""

from __future__ import annotations

import re

from lxml import etree

# XML 1.0 allows #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_FORBIDDEN = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean_text(text: str) -> str:
    """Drop the characters XML 1.0 forbids (control characters, lone surrogates, U+FFFE/FFFF)."""
    return _FORBIDDEN.sub("", text)


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse_untrusted(data: bytes) -> etree._ElementTree:
    """Parse XML from outside; any DOCTYPE (hence any entity or external DTD) is refused."""
    root = etree.fromstring(data, safe_parser())
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise ValueError(
            "XML with a DOCTYPE is refused (entities and external DTDs are not allowed)"
        )
    return tree


def parse_ignoring_dtd(data: bytes) -> etree._ElementTree:
    """Parse XML that carries a DOCTYPE (as USPTO full-text files do) without ever loading it.

    The external DTD is not fetched (no network, no file access), and any ENTITY declaration in an
    internal subset is refused, so no entity can be expanded (no XXE, no "billion laughs").
    """
    head = data[:65536]
    if b"<!ENTITY" in head.upper():
        raise ValueError("XML that declares entities is refused")
    root = etree.fromstring(data, safe_parser())
    tree = root.getroottree()
    internal = tree.docinfo.internalDTD
    if internal is not None and any(True for _ in internal.iterentities()):
        raise ValueError("XML that declares entities is refused")
    return tree

"""Text that is safe to put in XML 1.0, and a loader for XML from outside that refuses DTDs.

`parse_untrusted` is the one way XML that the project did not build itself is read (for example
by `validate` on existing files). Its policy, as in defusedxml and signxml: any DOCTYPE is refused
(so no entity can be declared, hence no entity expansion, no XXE, no external DTD), and the parser
itself never loads a DTD, never substitutes entities, never touches the network and keeps libxml2's
size and depth limits (no `huge_tree`), so even a DOCTYPE that slipped past the check is inert.
Every refusal is an `UntrustedXmlError` with a reason code:

- `too-large`: more than `max_bytes` (checked before parsing);
- `doctype-refused`: the document has a DOCTYPE (internal subset or external DTD);
- `xinclude-refused`: the document holds XInclude elements (never processed here either);
- `malformed-xml`: not well-formed XML 1.0, or over libxml2's depth/size limits; `line` says where.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from ocr.errors import UntrustedXmlError

# XML 1.0 allows #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_FORBIDDEN = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

MAX_XML_BYTES = 50_000_000
"""Largest XML file read (a full-text patent publication is well under 10 MB)."""

# "<!DOCTYPE" in the encodings an XML document may use without a byte order mark saying more.
_XINCLUDE = ("{http://www.w3.org/2001/XInclude}*", "{http://www.w3.org/2003/XInclude}*")
_DOCTYPE_MARKS = tuple(
    "<!DOCTYPE".encode(enc) for enc in ("ascii", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)


def clean_text(text: str) -> str:
    """Drop the characters XML 1.0 forbids (control characters, lone surrogates, U+FFFE/FFFF)."""
    return _FORBIDDEN.sub("", text)


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse_untrusted(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> etree._ElementTree:
    """Parse XML from outside, or raise UntrustedXmlError (see the module's docstring)."""
    if len(data) > max_bytes:
        raise UntrustedXmlError(
            f"XML of {len(data)} bytes is over the limit of {max_bytes}", reason="too-large"
        )
    if any(mark in _prolog(data) for mark in _DOCTYPE_MARKS):
        raise _doctype_refused()
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) else None
        raise UntrustedXmlError(
            f"not well-formed XML: {exc.msg}", reason="malformed-xml", line=line
        ) from exc
    except ValueError as exc:  # e.g. an encoding lxml cannot use
        raise UntrustedXmlError(f"unreadable XML: {exc}", reason="malformed-xml") from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None or tree.docinfo.externalDTD:
        raise _doctype_refused()  # a DOCTYPE in an encoding the byte check above does not know
    for pattern in _XINCLUDE:
        for element in root.iter(pattern):
            raise UntrustedXmlError(
                "XML with XInclude elements is refused", reason="xinclude-refused",
                line=element.sourceline,
            )  # fmt: skip
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


def parse_untrusted_file(path: Path, *, max_bytes: int = MAX_XML_BYTES) -> etree._ElementTree:
    """`parse_untrusted` on a file, reading at most max_bytes + 1 bytes of it."""
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise UntrustedXmlError(
            f"cannot read {path.name}: {exc.strerror or exc}", reason="io-error"
        ) from exc
    return parse_untrusted(data, max_bytes=max_bytes)


def _prolog(data: bytes, limit: int = 65536) -> bytes:
    """What comes before the root element (where a DOCTYPE must be), in the first 64 KB."""
    head = data[:limit]
    root = re.search(rb"<[A-Za-z_:]", head)
    return head[: root.start()] if root else head


def _doctype_refused() -> UntrustedXmlError:
    return UntrustedXmlError(
        "XML with a DOCTYPE is refused (entity declarations and external DTDs are not allowed)",
        reason="doctype-refused",
    )

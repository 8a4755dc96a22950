"""Turn the paths a user gives into documents: a file is a document, a folder of page images
inside an input folder is one document, and each document gets a safe, stable, unique id."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ocr.ingest import natural_key

SCAN_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf"}
MAX_ID_LENGTH = 80


@dataclass(frozen=True)
class DocumentSource:
    doc_id: str
    path: Path
    root: Path | None = None
    """The input folder the document was found in: nothing it leads to may be outside it."""


def safe_id(name: str) -> str:
    """ASCII letters, digits, '.', '_' and '-' only; never starts with '.' or '-'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._-")
    cleaned = re.sub(r"\.{2,}", ".", cleaned)[:MAX_ID_LENGTH].strip("._-")
    return cleaned or "document"


def _stem(path: Path) -> str:
    return path.name if path.is_dir() else path.stem


def discover(inputs: list[Path]) -> list[DocumentSource]:
    """Documents in a stable order. A file is a document; in a folder, each file is a document
    and each sub-folder is one multi-page document. Hidden entries are skipped; anything else is
    tried (a bad file is quarantined later with a reason, never silently dropped)."""
    found: list[tuple[Path, Path | None]] = []
    for given in inputs:
        if given.is_dir():
            found.extend(
                (child, given)
                for child in sorted(given.iterdir(), key=lambda p: natural_key(p.name))
                if not child.name.startswith(".")
            )
        else:
            found.append((given, None))
    taken: set[str] = set()  # compared case-insensitively: outputs may sit on such a disk
    docs = []
    for path, root in found:
        base = safe_id(_stem(path))
        doc_id, n = base, 1
        while doc_id.lower() in taken:
            n += 1
            doc_id = f"{base}-{n}"
        taken.add(doc_id.lower())
        docs.append(DocumentSource(doc_id, path, root))
    return docs

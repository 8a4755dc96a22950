"""Handing a page's OCR from the OCR task to the finish task through a file, not a task result.

A page's `PageOcr` (every word with its box and confidence) is written as JSON next to its page
image in the document's work folder (`<out>/.work/<doc>/page-NNNN.ocr.json`) and the OCR task
returns a `PageRef`: the file's path and the few numbers the flow reports. So the flow never
holds every word of the batch, Prefect never walks them looking for futures in the finish task's
parameters (a quarter of the Python CPU when it did), and the hand-over is the same for every
task runner (a thread pool, or Dask workers sharing the output folder).

The work folder is made afresh by `prepare` and removed when its document is finished or
quarantined (and by recovery after a killed run), so the files live exactly as long as the
page images they sit beside.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from flows.settings import Settings
from flows.stages import PreparedDocument, ocr_page
from ocr.errors import OutputError
from ocr.models import PageOcr

SUFFIX = ".ocr.json"


class PageRef(BaseModel):
    """Where one page's OCR is, and what the flow shows of it (progress, timings)."""

    model_config = ConfigDict(frozen=True)
    index: int
    path: Path
    seconds: float
    words: int
    mean_confidence: float


def ocr_path(image: Path) -> Path:
    """`page-0001.pgm` -> `page-0001.ocr.json`, in the same folder."""
    return image.with_name(image.stem + SUFFIX)


def store(page: PageOcr, image: Path) -> PageRef:
    """Write `page` beside its image (temporary name, then rename: a reader never sees half a
    file) and say where. No fsync: the work folder does not outlive a crash (recovery deletes
    it), so durability would only cost time."""
    target = ocr_path(image)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_bytes(page.model_dump_json().encode("utf-8"))
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(
            f"cannot write the page OCR {target}: {exc.strerror or exc}",
            reason="work-write-failed",
        ) from exc
    return PageRef(
        index=page.index,
        path=target,
        seconds=page.seconds,
        words=len(page.words),
        mean_confidence=round(page.mean_confidence, 4),
    )


def load(
    refs: Iterable[PageRef], redo: Callable[[PageRef], PageOcr] | None = None
) -> list[PageOcr]:
    """The pages behind `refs`, in page order. A missing file is OCR'd again through `redo`
    when given (the work folder was made afresh after the page was read); otherwise, and for
    a file that cannot be read, the error says which page."""
    pages = []
    for ref in sorted(refs, key=lambda r: r.index):
        try:
            data = ref.path.read_bytes()
        except FileNotFoundError:
            if redo is None:
                raise OutputError(f"the page OCR {ref.path} is missing") from None
            pages.append(redo(ref))
            continue
        except OSError as exc:
            raise OutputError(f"cannot read the page OCR {ref.path}: {exc.strerror}") from exc
        pages.append(PageOcr.model_validate_json(data))
    return pages


def load_document(
    prepared: PreparedDocument, refs: Iterable[PageRef], settings: Settings
) -> list[PageOcr]:
    """The document's pages for the finish stage; a page whose file is gone (its work folder
    was made afresh since) is read again from its image, which `prepare` wrote beside it."""
    images = {p.index: p for p in prepared.pages}

    def redo(ref: PageRef) -> PageOcr:
        page = images.get(ref.index)
        if page is None or not page.path.exists():
            raise OutputError(f"neither the page OCR {ref.path} nor its image is there")
        return ocr_page(page, settings)

    return load(refs, redo)

"""The per-document stages as plain functions (no Prefect here, so each is testable alone).

prepare (decode + preprocess, pages written to a work folder) -> ocr_page (one per page) ->
finish (map, serialise, validate, publish) ; any typed error -> quarantine.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import cv2
from pydantic import BaseModel, ConfigDict

from flows.discover import DocumentSource
from flows.faults import ENVIRONMENT_ERRNOS
from flows.fulltext_outputs import with_drawing_images, write_extras
from flows.inputs import check_input, input_problem, is_unsafe
from flows.pageimages import ink_outside_words
from flows.publish import (
    append_manifest,
    copy_input,
    outputs_with_hashes,
    printable,
    sha256_path,
    staged_document,
    write_atomic,
)
from flows.runners import local_ocr_slot
from flows.settings import Settings
from mapping.document import build_document
from ocr.engines import OcrEngine, make
from ocr.errors import IpdError, OutputError
from ocr.ingest import IngestLimits, iter_pages
from ocr.models import PageOcr, PreprocessReport
from ocr.preprocess import PreprocessOptions, preprocess
from ocr.reread import CropReader
from output_schemas import jsonout, st36, st96
from output_schemas.fieldsreport import fields_report
from output_schemas.validate import gate


class PreparedPage(BaseModel):
    model_config = ConfigDict(frozen=True)
    index: int
    path: Path
    dpi: float


class PreparedDocument(BaseModel):
    model_config = ConfigDict(frozen=True)
    doc_id: str
    source: Path
    sha256: str
    pages: tuple[PreparedPage, ...]
    preprocess: tuple[PreprocessReport, ...]
    seconds: float


class DocumentResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    doc_id: str
    status: str
    pages: int
    reason: str | None = None
    mean_confidence: float | None = None
    fields_found: int = 0
    findings: int = 0
    folder: str = ""


def work_folder(out: Path, doc_id: str) -> Path:
    return out / ".work" / doc_id


def prepare_document(doc: DocumentSource, out: Path, settings: Settings) -> PreparedDocument:
    """Decode every page, preprocess it and store it (PGM: no encoding cost) for the OCR tasks."""
    started = time.perf_counter()
    check_input(doc)  # links leaving the input folder, FIFOs, nested folders: refused unread
    digest = sha256_path(doc.path)
    limits = IngestLimits(
        max_pixels=settings.limits.max_pixels,
        max_pages=settings.limits.max_pages,
        max_file_bytes=settings.limits.max_file_bytes,
        pdf_dpi=settings.preprocess.pdf_dpi,
        assumed_dpi=settings.preprocess.assumed_dpi,
    )
    opts = PreprocessOptions(**settings.preprocess.options())
    work = work_folder(out, doc.doc_id)
    shutil.rmtree(work, ignore_errors=True)
    try:
        work.mkdir(parents=True)
    except OSError as exc:
        raise OutputError(f"cannot create {work}: {exc.strerror or exc}") from exc
    pages, reports = [], []
    for page in iter_pages(doc.path, limits):
        ready, report = preprocess(page, opts)
        path = work / f"page-{page.index + 1:04d}.pgm"
        try:
            written = cv2.imwrite(str(path), ready.pixels)
        except cv2.error:
            written = False
        if not written:  # disk full or read-only: not the input's fault
            raise OutputError(f"cannot write the work image {path}", reason="work-write-failed")
        pages.append(PreparedPage(index=page.index, path=path, dpi=ready.dpi))
        reports.append(report)
    return PreparedDocument(
        doc_id=doc.doc_id,
        source=doc.path,
        sha256=digest,
        pages=tuple(pages),
        preprocess=tuple(reports),
        seconds=round(time.perf_counter() - started, 3),
    )


def engine_for(settings: Settings) -> OcrEngine:
    o = settings.ocr
    return make(o.engine, lang=o.lang, psm=o.psm, timeout=o.timeout, cmd=o.tesseract_cmd)


def ocr_page(page: PreparedPage, settings: Settings) -> PageOcr:
    return engine_for(settings).recognise(page.path, index=page.index, dpi=page.dpi)


def field_reader(prepared: PreparedDocument, settings: Settings) -> CropReader | None:
    """Second readings of weak fields from the prepared page images (None when switched off)."""
    if settings.ocr.reread_fields == 0:
        return None
    return CropReader(
        images={p.index: p.path for p in prepared.pages},
        lang=settings.ocr.lang,
        dpi=prepared.pages[0].dpi if prepared.pages else 300.0,
        budget=settings.ocr.reread_fields,
        timeout=min(30.0, settings.ocr.timeout),
        cmd=settings.ocr.tesseract_cmd,
        engine=settings.ocr.engine,
        gate=lambda: local_ocr_slot(settings.ocr.workers),
    )


def finish_document(
    prepared: PreparedDocument,
    pages: list[PageOcr],
    out: Path,
    settings: Settings,
    timings: dict[str, float],
) -> DocumentResult:
    """Map, serialise, validate and publish one document (to published/, review/ or, when an
    output breaks its schema, quarantine/). The same input and settings give byte-identical
    XML, JSON and ALTO files; report.json is the run's record and also holds the timings."""
    started = time.perf_counter()
    pages = sorted(pages, key=lambda p: p.index)
    images = {p.index: p.path for p in prepared.pages}
    inks = [ink_outside_words(images[p.index], p) if p.index in images else None for p in pages]
    reread = field_reader(prepared, settings)
    doc = build_document(
        prepared.doc_id, pages, settings.ocr.lang, non_text_ink=inks,
        reread=reread, reread_below=settings.gate.min_field_confidence,
    )  # fmt: skip
    doc = with_drawing_images(doc)
    mapped = time.perf_counter()
    xml = st96.to_st96(doc, low_confidence=settings.gate.low_confidence_word)
    st96.add_preprocessing(xml, prepared.preprocess)
    engine = (pages[0].engine, pages[0].engine_version) if pages else (settings.engine(), "")
    st96.add_ocr_engine(xml, *engine, settings.ocr.lang)
    st36_tree = st36.to_st36(doc)
    data = jsonout.to_json_dict(doc)
    serialised = time.perf_counter()
    g = settings.gate
    report = gate(
        doc,
        xml,
        data,
        st36=st36_tree,
        min_field_confidence=g.min_field_confidence,
        min_page_confidence=g.min_page_confidence,
        low_word=g.low_confidence_word,
        min_document_confidence=g.min_document_confidence,
        max_low_confidence_share=g.max_low_confidence_share,
    )
    validated = time.perf_counter()
    status = report.outcome()
    timings = {
        **timings,
        "mapping": round(mapped - started, 4),
        "reread": round(reread.seconds, 4) if reread else 0.0,
        "reread_crops": reread.calls if reread else 0,
        "serialise": round(serialised - mapped, 4),
        "validate": round(validated - serialised, 4),
    }
    words = [w for p in pages for w in p.words]
    mean_conf = round(sum(w.confidence for w in words) / len(words), 4) if words else 0.0
    body: dict[str, Any] = {
        "doc_id": doc.doc_id,
        "status": status,
        "source": {"path": str(prepared.source), "sha256": prepared.sha256},
        "settings": settings.fingerprint(),
        "engine": {
            "name": engine[0],
            "version": engine[1],
            "language": settings.ocr.lang,
        },  # fmt: skip
        "pages": [p.model_dump(mode="json") for p in doc.pages],
        "preprocess": [r.model_dump(mode="json") for r in prepared.preprocess],
        "mean_confidence": mean_conf,
        "fields": fields_report(doc),
        "validation": {
            "outcome": status,
            "reasons": [f.message for f in report.findings if f.severity != "info"],
            "findings": [f.model_dump(mode="json") for f in report.findings],
        },
        "timings": timings,
    }
    folder = Path(status) / doc.doc_id
    with staged_document(out, status, doc.doc_id) as staging:
        write_atomic(staging / f"{doc.doc_id}.st96.xml", st96.serialise(xml))
        write_atomic(staging / f"{doc.doc_id}.st36.xml", st36.serialise(st36_tree))
        write_atomic(staging / f"{doc.doc_id}.json", jsonout.dumps(data))
        body["outputs"] = write_extras(
            staging, doc, pages, images, prepared.source.name, report, status
        )
        if status == "quarantine":
            reasons = [f.message for f in report.errors]
            write_atomic(
                staging / "REASON.txt", ("invalid-output: " + "; ".join(reasons) + "\n").encode()
            )
        timings["publish"] = round(time.perf_counter() - validated, 4)
        write_atomic(staging / "report.json", _json_bytes(body))
    append_manifest(
        out,
        {
            "doc_id": doc.doc_id,
            "source": {"path": str(prepared.source), "sha256": prepared.sha256},
            "settings": settings.fingerprint(),
            "status": status,
            "outputs": outputs_with_hashes(out / folder, out),
            "timings": timings,
        },
    )
    shutil.rmtree(work_folder(out, doc.doc_id), ignore_errors=True)
    return DocumentResult(
        doc_id=doc.doc_id,
        status=status,
        pages=len(pages),
        mean_confidence=mean_conf,
        fields_found=len(doc.fields) + bool(doc.ipc) + len({p.role for p in doc.parties}),
        findings=len(report.findings),
        folder=folder.as_posix(),
        reason="; ".join(f.message for f in report.findings if f.severity != "info")[:500] or None,
    )


def quarantine_document(
    doc: DocumentSource, out: Path, error: BaseException, settings: Settings
) -> DocumentResult:
    """Keep a copy of the input and say why; the original is never moved or changed here."""
    if isinstance(error, IpdError):
        err = error.to_dict()
    else:  # an unexpected bug must not stop the batch either
        err = {"error_type": type(error).__name__, "stage": "pipeline", "reason": "internal-error",
               "retryable": False, "message": str(error) or repr(error)}  # fmt: skip
    # An input that is unsafe to read (a link out of the inbox, a FIFO...) is neither hashed nor
    # copied: the record says what it was instead. A folder is copied without its unsafe entries.
    unsafe = is_unsafe(input_problem(doc))
    try:
        digest = None if unsafe else sha256_path(doc.path)
    except OSError:
        digest = None
    body: dict[str, Any] = {
        "doc_id": doc.doc_id,
        "status": "quarantine",
        "source": {"path": str(doc.path), "sha256": digest},
        "settings": settings.fingerprint(),
        "error": err,
    }
    if doc.path.is_symlink():
        body["source"]["link_target"] = str(doc.path.readlink())
    copyable = not unsafe or (doc.path.is_dir() and not doc.path.is_symlink())
    with staged_document(out, "quarantine", doc.doc_id) as staging:
        if copyable:
            try:
                skipped = copy_input(doc.path, staging, doc.root)
            except OSError as exc:
                if exc.errno in ENVIRONMENT_ERRNOS:  # disk full, read-only: not the input
                    raise OutputError(f"cannot copy {doc.path.name}: {exc.strerror}") from exc
                body["copy_error"] = str(exc)
            else:
                if skipped:
                    body["copy_skipped"] = skipped
        else:
            body["copy_error"] = "not copied: the input is not safe to read"
        write_atomic(staging / "report.json", _json_bytes(body))
        write_atomic(
            staging / "REASON.txt", printable(f"{err['reason']}: {err['message']}\n").encode()
        )
    folder = Path("quarantine") / doc.doc_id
    append_manifest(
        out,
        {
            "doc_id": doc.doc_id,
            "source": {"path": str(doc.path), "sha256": digest},
            "settings": settings.fingerprint(),
            "status": "quarantine",
            "reason": err["reason"],
            "outputs": outputs_with_hashes(out / folder, out),
        },
    )
    shutil.rmtree(work_folder(out, doc.doc_id), ignore_errors=True)
    return DocumentResult(
        doc_id=doc.doc_id, status="quarantine", pages=0,
        reason=printable(f"{err['reason']}: {err['message']}"), folder=folder.as_posix(),
    )  # fmt: skip


def _json_bytes(data: dict[str, Any]) -> bytes:
    text = json.dumps(printable(data), ensure_ascii=False, sort_keys=True, indent=1)
    return (text + "\n").encode("utf-8")

"""The Prefect flow: one flow run per batch, a task per document stage and one per page.

Tasks are thin wrappers over `flows.stages`; fan-out stays in the flow; tasks pass paths and
small models, never images. Page OCR runs on a bounded thread pool (one single-threaded
Tesseract process per worker). Any failure of a document ends in quarantine; the batch goes on.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, as_completed
from prefect.task_runners import TaskRunner

from flows import stages
from flows.artifacts import UNCHANGED, RunProgress, publish_results
from flows.discover import DocumentSource, discover
from flows.faults import is_environment_fault
from flows.inputs import holds_output, input_problem, is_unsafe
from flows.progress import sink
from flows.publish import compact_manifest, read_manifest, sha256_path
from flows.recovery import output_lock, recover
from flows.runners import api_url, ensure_ocr_limit, make_task_runner, ocr_slot
from flows.settings import Settings
from ocr.errors import IpdError, OutputError
from ocr.models import PageOcr


def _retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only errors that say they are transient (timeouts, I/O), never bad input."""
    try:
        state.result()
    except IpdError as exc:
        return exc.retryable
    except (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError):
        return False
    except OSError:  # an I/O error (network share, full disk) may pass
        return True
    except Exception:
        return False
    return False


def _page_cache_key(context: Any, parameters: dict[str, Any]) -> str | None:
    """The preprocessed page's content (a function of the input's bytes and the settings) plus
    the settings: a re-run does not OCR a page again, and any change to the input, the settings
    or the preprocessing code gives a new key. Every OCR setting but `workers` is in the key, so
    another Tesseract binary or timeout never reuses a result it did not produce."""
    page, settings = parameters["page"], parameters["settings"]
    try:
        digest = hashlib.sha256(page.path.read_bytes()).hexdigest()
    except OSError:
        return None  # no key, no caching: the task itself reports the problem
    engine = settings.ocr.model_dump(mode="json", exclude={"workers"})
    engine_key = hashlib.sha256(repr(sorted(engine.items())).encode()).hexdigest()[:12]
    # index and dpi are not in the image bytes but are in the result (a blank page may recur)
    return f"ocr-page-{digest}-p{page.index}-{page.dpi:g}dpi-{settings.fingerprint()}-{engine_key}"


@task(name="prepare", cache_policy=NO_CACHE)
def prepare_task(
    doc: DocumentSource, out: Path, settings: Settings
) -> stages.PreparedDocument | IpdError:
    """Bad input is an expected outcome, not a task failure: it is returned, not raised."""
    try:
        return stages.prepare_document(doc, out, settings)
    except IpdError as exc:
        if exc.retryable:
            raise
        return exc


def _ocr(page: stages.PreparedPage, settings: Settings) -> PageOcr:
    with ocr_slot():
        return stages.ocr_page(page, settings)


ocr_task = task(
    name="ocr-page",
    cache_policy=NO_CACHE,
    retry_condition_fn=_retry_transient,
    retry_delay_seconds=1,
)(_ocr)

# With a Prefect server (serve, or run with PREFECT_API_URL) page results are kept in the
# result store and reused. One-off runs on the ephemeral API do without: nothing to resume,
# the manifest already skips unchanged documents, and no stored result can stand in for a
# Tesseract call that a caller expects to happen.
cached_ocr_task = task(
    name="ocr-page",
    cache_key_fn=_page_cache_key,
    cache_expiration=timedelta(days=30),
    persist_result=True,
    retry_condition_fn=_retry_transient,
    retry_delay_seconds=1,
)(_ocr)


@task(name="finish", cache_policy=NO_CACHE)
def finish_task(
    prepared: stages.PreparedDocument, pages: list[PageOcr], out: Path, settings: Settings,
    timings: dict[str, float],
) -> stages.DocumentResult:  # fmt: skip
    return stages.finish_document(prepared, pages, out, settings, timings)


@task(name="quarantine", cache_policy=NO_CACHE)
def quarantine_task(
    doc: DocumentSource, out: Path, error: Any, settings: Settings
) -> stages.DocumentResult:
    return stages.quarantine_document(doc, out, error, settings)


def _unchanged(
    doc: DocumentSource, out: Path, manifest: dict[str, dict[str, Any]], fingerprint: str
) -> bool:
    """A document already processed from the same bytes with the same settings is not redone."""
    entry = manifest.get(doc.doc_id)
    if not entry or entry.get("settings") != fingerprint or is_unsafe(input_problem(doc)):
        return False
    if not all((out / rel).exists() for rel in entry.get("outputs", {})):
        return False
    try:
        return entry["source"]["sha256"] == sha256_path(doc.path)
    except OSError:
        return False


def run_documents(
    docs: list[DocumentSource], out: Path, settings: Settings, wait_for_output: float = 0.0
) -> list[stages.DocumentResult]:
    """The body of the batch flow (kept apart so other flows can reuse it). It holds the output
    folder's lock throughout, and first cleans up whatever a killed run left behind."""
    with output_lock(out, wait=wait_for_output):
        recovered = recover(out)
        if recovered:
            get_run_logger().warning("%s: recovered after an interrupted run: %s", out,
                                     recovered.summary())  # fmt: skip
        return _run_documents(docs, out, settings)


def _run_documents(
    docs: list[DocumentSource], out: Path, settings: Settings
) -> list[stages.DocumentResult]:
    logger = get_run_logger()
    batch_started = time.perf_counter()
    for doc in [d for d in docs if holds_output(d, out)]:
        logger.warning("%s is the output folder (or holds it): not a document", doc.path)
        docs = [d for d in docs if d is not doc]
    manifest = read_manifest(out)
    fingerprint = settings.fingerprint()
    todo, results = [], []
    for doc in docs:
        if _unchanged(doc, out, manifest, fingerprint):
            entry = manifest[doc.doc_id]
            results.append(stages.DocumentResult(doc_id=doc.doc_id, status=entry["status"], pages=0,
                                                 reason=UNCHANGED, folder=f"{entry['status']}/{doc.doc_id}"))  # fmt: skip
        else:
            todo.append(doc)
    if len(results):
        logger.info("%d document(s) unchanged since the last run: skipped", len(results))
    page_task = cached_ocr_task if api_url() else ocr_task
    progress = RunProgress(sink())
    progress.start(len(todo), 0)

    def quarantine(doc: DocumentSource, exc: BaseException) -> None:
        if is_environment_fault(exc):  # not the document's fault: nothing written, retried later
            logger.error("%s failed (input left in place; run again): %s", doc.doc_id, exc)
            results.append(stages.DocumentResult(doc_id=doc.doc_id, status="failed", pages=0,
                                                 reason=f"{type(exc).__name__}: {exc}"))  # fmt: skip
            progress.document_done(doc.doc_id, "failed")
            return
        logger.warning("%s quarantined: %s", doc.doc_id, exc)
        try:
            res = (
                quarantine_task.with_options(task_run_name=f"quarantine {doc.doc_id}")
                .submit(doc, out, exc, settings)
                .result()
            )
        except Exception as qexc:  # e.g. the output disk is full: the input stays where it is
            logger.error("%s could not be quarantined: %s", doc.doc_id, qexc)
            res = stages.DocumentResult(doc_id=doc.doc_id, status="failed", pages=0,
                                        reason=f"{exc}; quarantine failed: {qexc}")  # fmt: skip
        results.append(res)
        progress.document_done(doc.doc_id, res.status)

    started = {doc.doc_id: time.perf_counter() for doc in todo}
    prep: dict[PrefectFuture[Any], DocumentSource] = {
        prepare_task.with_options(task_run_name=f"prepare {doc.doc_id}").submit(
            doc, out, settings
        ): doc
        for doc in todo
    }
    pending: dict[str, tuple[stages.PreparedDocument, list[PrefectFuture[Any]], float]] = {}
    for fut in as_completed(list(prep)):
        doc = prep[fut]
        try:
            prepared = fut.result()
        except Exception as exc:
            quarantine(doc, exc)
            continue
        if isinstance(prepared, BaseException):
            quarantine(doc, prepared)
            continue
        page_futures = [
            page_task.with_options(
                task_run_name=f"ocr {doc.doc_id} page {page.index + 1}",
                retries=settings.ocr.retries,
            ).submit(page, settings)
            for page in prepared.pages
        ]
        pending[doc.doc_id] = (prepared, page_futures, time.perf_counter())
    by_doc = {doc.doc_id: doc for doc in todo}
    for doc_id, (prepared, page_futures, ocr_started) in pending.items():
        doc = by_doc[doc_id]
        try:
            pages = []
            for pf in page_futures:
                page = pf.result()
                pages.append(page)
                progress.page_done(doc_id, page.index)
            timings = {
                "ingest_preprocess": prepared.seconds,
                "ocr_wall": round(time.perf_counter() - ocr_started, 3),
                "ocr_cpu": round(sum(p.seconds for p in pages), 3),
            }
            res = (
                finish_task.with_options(task_run_name=f"finish {doc_id}")
                .submit(prepared, pages, out, settings, timings)
                .result()
            )
            results.append(res)
            progress.document_done(doc_id, res.status)
            logger.info(
                "%s -> %s (%.1f s)", doc_id, res.status, time.perf_counter() - started[doc_id]
            )
        except Exception as exc:
            quarantine(doc, exc)
    try:
        compact_manifest(out)
    except OutputError as exc:  # the appended lines are still there; the next run compacts
        logger.error("the manifest could not be compacted: %s", exc)
    progress.finish()
    publish_results(results, out, time.perf_counter() - batch_started)
    return results


def _batch_run_name() -> str:
    from datetime import datetime

    from prefect.runtime import flow_run

    inputs = (flow_run.parameters or {}).get("inputs") or ["?"]
    more = f" +{len(inputs) - 1} more" if len(inputs) > 1 else ""
    return f"batch {Path(inputs[0]).name}{more} {datetime.now():%Y-%m-%d %H:%M:%S}"


@flow(
    name="ipdigitise-batch",
    flow_run_name=_batch_run_name,
    log_prints=False,
    validate_parameters=False,
)
def batch_flow(inputs: list[str], out: str, settings: Settings) -> list[stages.DocumentResult]:
    """Digitise every document found under `inputs` into `out`."""
    docs = discover([Path(p) for p in inputs])
    get_run_logger().info("%d document(s) found in %s", len(docs), ", ".join(inputs))
    return run_documents(docs, Path(out), settings)


def run_batch(
    inputs: list[Path], out: Path, settings: Settings, runner: TaskRunner[Any] | None = None
) -> list[stages.DocumentResult]:
    ensure_ocr_limit()
    runner = runner or make_task_runner("threads", settings.ocr.workers)
    configured = batch_flow.with_options(task_runner=runner)
    with output_lock(out):  # a busy output folder is refused before any flow run starts
        return configured([str(p) for p in inputs], str(out), settings)

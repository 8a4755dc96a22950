"""The Prefect flow: one flow run per batch, a task per document stage and one per page.

Tasks are thin wrappers over `flows.stages`; fan-out stays in the flow; tasks pass paths and
small models, never images, and a page's OCR reaches the finish task as a file
(`flows.pagefiles`). Without a page cache (the temporary API) a one-page document is prepared,
read and finished in a single task (`digitise_task`). Page OCR runs on a thread pool, with at
most `ocr.workers` single-threaded Tesseract workers reading at once (`flows.runners`), or on a
Dask cluster. A bounded window of documents is in flight at once, so the flow never holds the
whole batch's prepared pages and futures. Any failure of a document ends in quarantine; the
batch goes on.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from queue import SimpleQueue
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from flows import pagefiles, stages
from flows.artifacts import UNCHANGED, RunProgress, publish_results
from flows.discover import DocumentSource, discover
from flows.faults import is_environment_fault
from flows.inputs import holds_output, input_problem, is_unsafe
from flows.memory import release_free_memory
from flows.pagefiles import PageRef
from flows.progress import sink
from flows.publish import compact_manifest, read_manifest, sha256_path
from flows.recovery import output_lock, recover
from flows.runners import (
    api_url,
    ensure_ocr_limit,
    heartbeats_only_for_a_server,
    make_task_runner,
    ocr_slot,
    preparers,
)
from flows.settings import Settings
from ocr.errors import IpdError, OutputError
from ocr.models import PageOcr
from output_schemas.validate import warm_up_in_background


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


def _forget(*results: Any) -> None:
    """Drop finished tasks' results from Prefect's per-flow-run table, which otherwise keeps an
    entry (with its state) for every task run of the batch until the flow run ends."""
    table = getattr(FlowRunContext.get(), "run_results", None)
    if not isinstance(table, dict):
        return
    for obj in results:
        entry = table.get(id(obj))
        ref = entry[-1] if isinstance(entry, tuple) and entry else None
        if callable(ref) and ref() is obj:
            del table[id(obj)]


def _ocr(page: stages.PreparedPage, settings: Settings) -> PageOcr:
    with ocr_slot(settings.ocr.workers):
        return stages.ocr_page(page, settings)


def _ocr_to_file(page: stages.PreparedPage, settings: Settings) -> PageRef:
    """The page's OCR goes to a file beside its image; the task returns where (see pagefiles)."""
    return pagefiles.store(_ocr(page, settings), page.path)


ocr_task = task(
    name="ocr-page",
    cache_policy=NO_CACHE,
    retry_condition_fn=_retry_transient,
    retry_delay_seconds=1,
)(_ocr_to_file)

# With a Prefect server (serve, or run with PREFECT_API_URL) page results are kept in the
# result store and reused. One-off runs on the ephemeral API do without: nothing to resume,
# the manifest already skips unchanged documents, and no stored result can stand in for a
# Tesseract call that a caller expects to happen. The stored result is the PageOcr itself, not
# a PageRef: a re-run makes the work folder afresh, so a stored path would point at nothing;
# the flow writes the page's file from the result instead (`_page_ref`).
cached_ocr_task = task(
    name="ocr-page",
    cache_key_fn=_page_cache_key,
    cache_expiration=timedelta(days=30),
    persist_result=True,
    retry_condition_fn=_retry_transient,
    retry_delay_seconds=1,
)(_ocr)


def _page_ref(result: PageRef | PageOcr, page: stages.PreparedPage) -> PageRef:
    return result if isinstance(result, PageRef) else pagefiles.store(result, page.path)


@task(name="finish", cache_policy=NO_CACHE)
def finish_task(
    prepared: stages.PreparedDocument, pages: list[PageRef], out: Path, settings: Settings,
    timings: dict[str, float],
) -> stages.DocumentResult:  # fmt: skip
    """Gets the pages' files, not their words: Prefect walks a task's parameters looking for
    futures, and every word of every page made that a third of the flow process's CPU."""
    ocr = pagefiles.load_document(prepared, pages, settings)
    try:
        return stages.finish_document(prepared, ocr, out, settings, timings)
    finally:
        del ocr
        release_free_memory()


_PREPARE_GATES: dict[int, threading.Semaphore] = {}
_GATES_LOCK = threading.Lock()


def _prepare_gate(workers: int) -> threading.Semaphore:
    """The process's limit on documents being prepared at once, as `preparers` sets it."""
    with _GATES_LOCK:
        return _PREPARE_GATES.setdefault(workers, threading.Semaphore(preparers(workers)))


@task(
    name="digitise",
    cache_policy=NO_CACHE,
    retry_condition_fn=_retry_transient,
    retry_delay_seconds=1,
)
def digitise_task(
    doc: DocumentSource, out: Path, settings: Settings
) -> stages.DocumentResult | stages.PreparedDocument | IpdError:
    """Prepare a document and, when it has a single page, read and finish it too; used when
    pages are not cached (the temporary API). One task run per page instead of three (each
    costs about 50 ms of CPU between the flow, its task threads and the API server), and the
    page's words reach the finish in memory rather than through a file. A document of several
    pages (or none) comes back prepared, and the flow reads its pages in parallel as usual.

    Bad input is returned, as by `prepare_task`. A transient failure (a timed-out reading, an
    I/O error) repeats the whole task, which is safe, only slower. Preparing waits for the
    process's prepare gate (`preparers`), taken only for the few tenths of a second it lasts."""
    with _prepare_gate(settings.ocr.workers):
        prepared = prepare_task.fn(doc, out, settings)
    if not isinstance(prepared, stages.PreparedDocument) or len(prepared.pages) != 1:
        return prepared
    started = time.perf_counter()
    page = _ocr(prepared.pages[0], settings)
    timings = {"ingest_preprocess": prepared.seconds,
               "ocr_wall": round(time.perf_counter() - started, 3),
               "ocr_cpu": round(page.seconds, 3)}  # fmt: skip
    try:
        return stages.finish_document(prepared, [page], out, settings, timings)
    finally:
        del page
        release_free_memory()


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


def _tasks_run_here() -> bool:
    """True when this flow's tasks run in threads of this process (not on Dask workers)."""
    ctx = FlowRunContext.get()
    return ctx is not None and isinstance(ctx.task_runner, ThreadPoolTaskRunner)


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
    if todo and _tasks_run_here():  # the schemas compile while the first pages are read
        warm_up_in_background()
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

    done = len(results)
    # Without a page cache a document starts with `digitise`, which also reads and finishes
    # a one-page document; with one, every page is its own (cached) task.
    whole = page_task is not cached_ocr_task
    for event in _in_window(todo, out, settings, page_task, whole, window_size(settings)):
        if isinstance(event, _PageDone):
            progress.page_done(event.doc_id, event.index)
        elif isinstance(event, _Failed):
            quarantine(event.doc, event.error)
        else:
            results.append(event.result)
            progress.document_done(event.result.doc_id, event.result.status)
            logger.info("%s -> %s (%.1f s)", event.result.doc_id, event.result.status,
                        event.seconds)  # fmt: skip
    # documents end in the order they complete: report them in input order
    order = {doc.doc_id: i for i, doc in enumerate(todo)}
    results[done:] = sorted(results[done:], key=lambda r: order.get(r.doc_id, len(order)))
    try:
        compact_manifest(out)
    except OutputError as exc:  # the appended lines are still there; the next run compacts
        logger.error("the manifest could not be compacted: %s", exc)
    progress.finish()
    publish_results(results, out, time.perf_counter() - batch_started)
    return results


def window_size(settings: Settings) -> int:
    """Documents in flight at once: enough that every worker has the next document's pages
    queued while one document is finished, few enough that a batch of thousands holds only a
    handful of prepared documents and futures."""
    return 2 * settings.ocr.workers


@dataclass
class _PageDone:
    doc_id: str
    index: int


@dataclass
class _Finished:
    result: stages.DocumentResult
    seconds: float


@dataclass
class _Failed:
    doc: DocumentSource
    error: BaseException


@dataclass
class _InFlight:
    doc: DocumentSource
    started: float = field(default_factory=time.perf_counter)
    prepared: stages.PreparedDocument | None = None
    ocr_started: float = 0.0
    pages: list[PageRef] = field(default_factory=list)
    outstanding: int = 0
    error: BaseException | None = None


def _in_window(
    todo: list[DocumentSource], out: Path, settings: Settings, page_task: Any,
    whole: bool, window: int,
) -> Iterator[_PageDone | _Finished | _Failed]:  # fmt: skip
    """Run prepare -> OCR of each page -> finish for every document, with at most `window`
    documents between their prepare and the end of their finish. Tasks are submitted as the
    previous stage of their document completes (completion callbacks feed one queue, so this
    works with any task runner), so the finish of one document runs beside the OCR of the
    next ones. A document's futures are dropped as soon as it is done. With `whole`, a
    document starts with `digitise_task`, which finishes a one-page document by itself (and
    gates its own preparing); otherwise with `prepare_task`, gated here.

    A failed document is reported once all its tasks have ended (none still uses its work
    folder); the caller quarantines it while this generator waits."""
    queue: deque[DocumentSource] = deque(todo)
    completed: SimpleQueue[PrefectFuture[Any]] = SimpleQueue()
    owner: dict[PrefectFuture[Any], tuple[_InFlight, stages.PreparedPage | None]] = {}
    in_flight: dict[str, _InFlight] = {}
    first_task, first_name = (digitise_task, "digitise") if whole else (prepare_task, "prepare")
    preparing, max_preparing = 0, window if whole else preparers(settings.ocr.workers)

    def track(fut: PrefectFuture[Any], doc: _InFlight, page: stages.PreparedPage | None) -> None:
        owner[fut] = (doc, page)
        doc.outstanding += 1
        fut.add_done_callback(completed.put)

    def admit() -> None:
        nonlocal preparing
        while queue and len(in_flight) < window and preparing < max_preparing:
            preparing += 1
            doc = _InFlight(queue.popleft())
            in_flight[doc.doc.doc_id] = doc
            named = first_task.with_options(task_run_name=f"{first_name} {doc.doc.doc_id}")
            if whole:  # it reads a page: retried as page readings are
                named = named.with_options(retries=settings.ocr.retries)
            track(named.submit(doc.doc, out, settings), doc, None)

    def finish(doc: _InFlight) -> None:
        assert doc.prepared is not None
        timings = {
            "ingest_preprocess": doc.prepared.seconds,
            "ocr_wall": round(time.perf_counter() - doc.ocr_started, 3),
            "ocr_cpu": round(sum(p.seconds for p in doc.pages), 3),
        }
        fut = finish_task.with_options(task_run_name=f"finish {doc.doc.doc_id}").submit(
            doc.prepared, sorted(doc.pages, key=lambda p: p.index), out, settings, timings
        )
        track(fut, doc, None)

    admit()
    while owner:
        fut = completed.get()
        doc, page = owner.pop(fut)
        doc.outstanding -= 1
        if page is None and doc.prepared is None:
            preparing -= 1  # that was the document's prepare
        try:
            if doc.error is not None:
                fut.wait()  # another task of the document failed: this one only had to end
            elif doc.prepared is None:
                prepared = fut.result()
                if isinstance(prepared, BaseException):
                    raise prepared
                if isinstance(prepared, stages.DocumentResult):  # digitised in one task
                    yield _PageDone(doc.doc.doc_id, 0)
                    _forget(prepared)
                    del in_flight[doc.doc.doc_id]
                    yield _Finished(prepared, time.perf_counter() - doc.started)
                else:
                    doc.prepared, doc.ocr_started = prepared, time.perf_counter()
                    for p in prepared.pages:
                        track(page_task.with_options(
                            task_run_name=f"ocr {doc.doc.doc_id} page {p.index + 1}",
                            retries=settings.ocr.retries,
                        ).submit(p, settings), doc, p)  # fmt: skip
                    if not prepared.pages:
                        finish(doc)
            elif page is not None:
                ref = _page_ref(fut.result(), page)
                doc.pages.append(ref)
                yield _PageDone(doc.doc.doc_id, ref.index)
                if len(doc.pages) == len(doc.prepared.pages):
                    finish(doc)
            else:
                result = fut.result()
                _forget(doc.prepared, *doc.pages, result)
                del in_flight[doc.doc.doc_id]
                yield _Finished(result, time.perf_counter() - doc.started)
        except Exception as exc:
            doc.error = doc.error or exc
        del fut
        if doc.error is not None and doc.outstanding == 0 and doc.doc.doc_id in in_flight:
            del in_flight[doc.doc.doc_id]
            yield _Failed(doc.doc, doc.error)
        admit()


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
    with output_lock(out), heartbeats_only_for_a_server():  # a busy folder: refused at once
        return configured([str(p) for p in inputs], str(out), settings)

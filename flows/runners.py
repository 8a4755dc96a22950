"""Where page OCR runs (a bounded thread pool, or a Dask cluster) and how many OCR slots exist.

Within a process, no more than `ocr.workers` pages are read at once (`ocr_slot`), while the
thread pool has a thread or more beyond that (`task_threads`): one prepares the next document
or finishes the last one while every OCR worker reads a page, so no worker waits for Python.

Across processes, the global concurrency limit `OCR_LIMIT` holds one slot per core of the
machine doing OCR, so two overlapping runs (a nightly batch and an inbox arrival, say) never
start more Tesseract processes than there are cores. It lives on the Prefect server; with the
ephemeral API (no `PREFECT_API_URL`) there is one run per process and the slots are not used.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any, Literal

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from flows.slots import Slots

OCR_LIMIT = "ipdigitise-ocr"
RunnerKind = Literal["threads", "dask"]
log = logging.getLogger("ipdigitise.runners")


def api_url() -> str | None:
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


@contextlib.contextmanager
def heartbeats_only_for_a_server() -> Iterator[None]:
    """No flow-run heartbeats on the temporary API. Heartbeats tell a server that a run is
    still alive, so that it can mark runs whose process died as crashed; the temporary server
    dies with this process, so they tell nobody anything. And they cost wall time: Prefect
    joins its heartbeat thread, which sleeps in one-second steps, at the end of every flow
    run (about half a second per run, up to a second). With a server they stay on."""
    if api_url():
        yield
        return
    from prefect.context import SettingsContext

    # a copy of the current settings (Prefect's temporary_settings would read the environment
    # and the profile again: 0.26 s of CPU at the start of every batch)
    current = SettingsContext.get()
    if current is None:  # not inside Prefect's settings (never seen): leave them alone
        yield
        return
    base = current.settings
    quiet = base.model_copy(update={"flows": base.flows.model_copy(update={"heartbeat_frequency": None})})  # fmt: skip
    with SettingsContext(profile=current.profile, settings=quiet):
        yield


def preparers(workers: int) -> int:
    """Documents being prepared at once. Preparing a page (decode, float buffers for
    binarisation and deskew) briefly takes a few hundred MB and costs about a tenth of its OCR:
    one preparer feeds up to four OCR workers, and fewer at once keep a long batch's peak memory
    from stacking these bursts."""
    return max(1, workers // 4)


def task_threads(workers: int) -> int:
    """Task threads for `workers` OCR workers: one per worker, plus the preparers. With one
    thread per worker, a worker's Tesseract waited while its thread prepared or finished a
    document in Python, and when two threads wanted the interpreter at once a core stood idle
    (3 % of a 2-core batch). The extra threads do that work while every worker reads."""
    return workers + preparers(workers)


def make_task_runner(
    kind: RunnerKind, workers: int, dask_address: str | None = None
) -> TaskRunner[Any]:
    """A thread pool of `workers`, or Dask: the cluster at `dask_address`, or a local one with
    `workers` single-threaded worker processes."""
    if kind == "threads":
        if dask_address:
            raise ValueError("--dask-address needs --task-runner dask")
        return ThreadPoolTaskRunner(max_workers=task_threads(workers))
    from flows.dask_runner import LocalAwareDaskTaskRunner

    if dask_address:
        return LocalAwareDaskTaskRunner(address=dask_address)
    return LocalAwareDaskTaskRunner(
        cluster_kwargs={
            "n_workers": workers,
            "threads_per_worker": 1,  # one single-threaded Tesseract per worker process
            "processes": True,
            "dashboard_address": None,  # no fixed port: several runs may share a machine
        }
    )


def ensure_ocr_limit(slots: int | None = None, *, update: bool = False) -> int | None:
    """Create the OCR limit on the server if missing (one slot per core by default).

    An existing limit is left as the operator set it unless `update`. Returns the limit in
    force, or None where there is no server or it cannot be reached (the run goes on without).
    """
    if not api_url():
        return None
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import (
        GlobalConcurrencyLimitCreate,
        GlobalConcurrencyLimitUpdate,
    )
    from prefect.exceptions import ObjectNotFound

    wanted = slots or os.cpu_count() or 1
    try:
        with get_client(sync_client=True) as client:
            try:
                current = client.read_global_concurrency_limit_by_name(OCR_LIMIT)
            except ObjectNotFound:
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=OCR_LIMIT, limit=wanted)
                )
                return wanted
            if update and current.limit != wanted:
                client.update_global_concurrency_limit(
                    OCR_LIMIT, GlobalConcurrencyLimitUpdate(limit=wanted)
                )
                return wanted
            return current.limit
    except Exception as exc:  # an unreachable API must not stop OCR: the thread pool is bounded
        log.warning("OCR concurrency limit not available (%s); going on without it", exc)
        return None


_LOCAL_SLOTS: dict[int, threading.BoundedSemaphore] = {}
_LOCAL_SLOTS_LOCK = threading.Lock()


def local_ocr_slot(workers: int) -> threading.BoundedSemaphore:
    """This process's `workers` OCR slots (hold one with `with`). A short reading (a field's
    crop) takes one of these only, not the server's: no more Tesseracts read at once than
    `ocr.workers`, and no extra worker process is started for a crop."""
    with _LOCAL_SLOTS_LOCK:
        return _LOCAL_SLOTS.setdefault(workers, threading.BoundedSemaphore(max(1, workers)))


@contextlib.contextmanager
def ocr_slot(workers: int) -> Iterator[None]:
    """Hold one of this process's `workers` OCR slots, and with a server one slot of the
    global OCR limit, while the body (a page's reading) runs."""
    with local_ocr_slot(workers):
        if not api_url():
            yield
            return
        with contextlib.ExitStack() as stack:
            try:  # not prefect.concurrency: see flows.slots for why
                stack.enter_context(_OCR_SLOTS.held())
            except Exception as exc:  # the API went away: OCR still works, only unthrottled
                log.warning("no OCR slot (%s); running without the global limit", exc)
            yield


_OCR_SLOTS = Slots(OCR_LIMIT)

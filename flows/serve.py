"""`ipdigitise serve`: two Prefect deployments served from one process, plus the inbox watcher.

- `ipdigitise-inbox/scheduled-batch`: a cron schedule (nightly by default) over the whole inbox;
- `ipdigitise-inbox/on-arrival`: started by the watcher with the names of scans that settled.

Both run `inbox_flow`: claim each settled document (a lock per document), process it with the
batch pipeline, then move the input to `processed/` once its outputs are durable. Stopping
(SIGINT or SIGTERM) cancels runs in flight; nothing was moved for unfinished documents, so a
restart picks them up, and documents published but not yet moved are recognised as unchanged
(manifest: content hash + settings) and only moved.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from flows import stages
from flows.batch import run_documents
from flows.discover import discover
from flows.inbox import DocumentLocks, InboxWatcher, claim, move_to_processed, settled
from flows.publish import STATUSES, read_manifest, sha256_path
from flows.runners import RunnerKind, ensure_ocr_limit, make_task_runner
from flows.settings import Settings

OUTPUT_WAIT_SECONDS = 6 * 3600.0
"""How long a service run waits for another run that is writing to the same output folder."""

FLOW_NAME = "ipdigitise-inbox"
SCHEDULED = "scheduled-batch"
ARRIVAL = "on-arrival"
NIGHTLY = "0 2 * * *"

log = logging.getLogger("ipdigitise.serve")


def _run_name() -> str:
    names = (flow_run.parameters or {}).get("names")
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    if not names:
        return f"inbox batch {stamp}"
    more = f" +{len(names) - 1} more" if len(names) > 1 else ""
    return f"arrival {names[0]}{more} {stamp}"


@flow(name=FLOW_NAME, flow_run_name=_run_name, validate_parameters=False)
def inbox_flow(
    inbox: str,
    out: str,
    processed: str,
    settings: dict[str, Any],
    names: list[str] | None = None,
    settle_seconds: float = 5.0,
) -> list[stages.DocumentResult]:
    """Process the settled scans of INBOX (all of them, or only NAMES) into OUT, then move each
    input to PROCESSED once its outputs are durable."""
    logger = get_run_logger()
    inbox_path, out_path, processed_path = Path(inbox), Path(out), Path(processed)
    config = Settings(**settings)
    docs = discover([inbox_path]) if inbox_path.is_dir() else []
    if names is not None:
        wanted = set(names)
        docs = [d for d in docs if d.path.name in wanted]
    ready_paths, changing = settled([d.path for d in docs], settle_seconds)
    if changing:
        logger.info(
            "%d scan(s) still being written, left for later: %s",
            len(changing),
            ", ".join(p.name for p in changing),
        )
    ready = [d for d in docs if d.path in set(ready_paths)]
    with DocumentLocks(out_path) as locks:
        mine, busy = claim(ready, locks)
        if busy:
            logger.info("%d document(s) already being processed by another run: %s",
                        len(busy), ", ".join(d.doc_id for d in busy))  # fmt: skip
        mine = [d for d in mine if d.path.exists() or d.path.is_symlink()]  # moved meanwhile
        logger.info("%d document(s) to process from %s", len(mine), inbox_path)
        # overlapping runs (a scheduled batch, several arrivals) take turns on the output folder
        results = run_documents(mine, out_path, config, wait_for_output=OUTPUT_WAIT_SECONDS)
        by_id = {d.doc_id: d for d in mine}
        manifest = read_manifest(out_path)
        for res in results:
            doc = by_id.get(res.doc_id)
            if doc is None or res.status not in STATUSES:
                continue  # "failed": not even a quarantine record; it stays in the inbox
            if not _same_bytes(doc.path, manifest.get(res.doc_id)):
                logger.warning("%s: %s was replaced while being processed; left in the inbox "
                               "for the next run", res.doc_id, doc.path.name)  # fmt: skip
                continue
            try:
                target = move_to_processed(doc.path, processed_path)
                logger.info("%s: input moved to %s", res.doc_id, target)
            except OSError as exc:  # outputs are safe; the next run sees it unchanged and retries
                logger.error("%s: could not move %s to %s: %s", res.doc_id, doc.path,
                             processed_path, exc)  # fmt: skip
    return results


def _same_bytes(path: Path, entry: dict[str, Any] | None) -> bool:
    """Is the input still what the manifest says was processed (not a newer copy)?"""
    recorded = ((entry or {}).get("source") or {}).get("sha256")
    if not recorded:
        return True  # nothing to compare with (an unreadable input that was quarantined)
    try:
        return bool(sha256_path(path) == recorded)
    except OSError:
        return False


@dataclass(frozen=True)
class ServeOptions:
    inbox: Path
    out: Path
    processed: Path
    settings: Settings
    schedule: str = NIGHTLY
    task_runner: RunnerKind = "threads"
    dask_address: str | None = None
    settle_seconds: float = 5.0
    poll_seconds: float = 2.0
    max_runs: int = 4
    ocr_slots: int | None = None


def parameters(opts: ServeOptions) -> dict[str, Any]:
    return {
        "inbox": str(opts.inbox.resolve()),
        "out": str(opts.out.resolve()),
        "processed": str(opts.processed.resolve()),
        "settings": opts.settings.model_dump(mode="json"),
        "settle_seconds": opts.settle_seconds,
    }


class ArrivalTrigger:
    """Called by the watcher: one flow run of the on-arrival deployment per group of scans."""

    def __init__(self, deployment: str) -> None:
        self.deployment = deployment

    def __call__(self, paths: list[Path]) -> bool:
        from prefect.deployments import run_deployment

        names = [p.name for p in paths]
        try:
            fr = run_deployment(
                self.deployment, parameters={"names": names}, timeout=0, as_subflow=False
            )
        except Exception as exc:
            log.warning("could not start a run for %s (will retry): %s", ", ".join(names), exc)
            return False
        log.info("started flow run %s for %s", getattr(fr, "name", "?"), ", ".join(names))
        return True


async def _serve(opts: ServeOptions) -> None:
    from prefect.runner import Runner

    runner = Runner(
        name="ipdigitise",
        query_seconds=opts.poll_seconds,
        limit=opts.max_runs,
        pause_on_shutdown=True,
    )
    configured = inbox_flow.with_options(
        task_runner=make_task_runner(opts.task_runner, opts.settings.ocr.workers, opts.dask_address)
    )
    params = parameters(opts)
    await runner.aadd_flow(
        configured,
        name=SCHEDULED,
        cron=opts.schedule,
        paused=False,  # a restart resumes the schedule that the last shutdown paused
        parameters=params,
        description=f"Every scan that has settled in {params['inbox']}, on the schedule "
        f"'{opts.schedule}'.",
        tags=["ipdigitise"],
    )
    await runner.aadd_flow(
        configured,
        name=ARRIVAL,
        parameters=params,
        description=f"Started by the inbox watcher with the scans that just arrived in "
        f"{params['inbox']}.",
        tags=["ipdigitise"],
    )
    if threading_main():
        signal.signal(signal.SIGINT, runner.handle_sigterm)  # Ctrl-C: the same clean stop
    watcher = InboxWatcher(
        opts.inbox, opts.settle_seconds, ArrivalTrigger(f"{FLOW_NAME}/{ARRIVAL}")
    )
    with watcher.running():
        log.info("watching %s; outputs in %s; processed inputs go to %s",
                 opts.inbox, opts.out, opts.processed)  # fmt: skip
        await runner.start()
    log.info("stopped")


def threading_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def serve(opts: ServeOptions) -> None:
    """Register the deployments, watch the inbox and run what comes, until SIGINT/SIGTERM."""
    _console_logging()
    opts.inbox.mkdir(parents=True, exist_ok=True)
    opts.out.mkdir(parents=True, exist_ok=True)
    ensure_ocr_limit(opts.ocr_slots, update=opts.ocr_slots is not None)
    asyncio.run(_serve(opts))


def _console_logging() -> None:
    """The serve process's own messages (watcher, triggers) in Prefect's console format."""
    from prefect.logging.formatters import PrefectFormatter

    handler = logging.StreamHandler()
    handler.setFormatter(
        PrefectFormatter(
            format="%(asctime)s.%(msecs)03d | %(levelname)-7s | %(name)s - %(message)s",
            datefmt="%H:%M:%S",
        )  # fmt: skip
    )
    root = logging.getLogger("ipdigitise")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False  # Prefect's root console handler would print each line again

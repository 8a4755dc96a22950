"""What a batch run shows in the Prefect UI: a progress artifact updated while it runs, then a
table of its documents and a Markdown summary. An artifact that cannot be written (the API is
briefly away) is logged and skipped: it never fails the batch."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

from flows.progress import ProgressSink
from flows.stages import DocumentResult

TABLE_KEY = "ipdigitise-documents"
SUMMARY_KEY = "ipdigitise-summary"
PROGRESS_KEY = "ipdigitise-progress"
WORST = 5
REASON_CHARS = 70

log = logging.getLogger("ipdigitise.artifacts")


def _quietly(what: str, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except Exception as exc:
        log.warning("could not write the %s artifact: %s", what, exc)
        return None


class RunProgress:
    """A progress sink that forwards to another sink and keeps a progress artifact up to date
    (at most one API call per `every` seconds, plus the final one)."""

    def __init__(self, inner: ProgressSink, every: float = 1.0) -> None:
        self.inner = inner
        self.every = every
        self.total = 0
        self.done = 0
        self.pages = 0
        self.counts: Counter[str] = Counter()
        self.artifact: UUID | None = None
        self._last = 0.0

    def start(self, documents: int, pages: int) -> None:
        self.inner.start(documents, pages)
        self.total = documents
        from prefect.artifacts import create_progress_artifact

        self.artifact = _quietly(
            "progress",
            lambda: create_progress_artifact(
                progress=self._percent(), key=PROGRESS_KEY, description=self._describe()
            ),
        )
        self._last = time.monotonic()

    def page_done(self, doc_id: str, page: int) -> None:
        self.inner.page_done(doc_id, page)
        self.pages += 1
        self._update()

    def document_done(self, doc_id: str, status: str) -> None:
        self.inner.document_done(doc_id, status)
        self.done += 1
        self.counts[status] += 1
        self._update(force=self.done >= self.total)

    def _percent(self) -> float:
        return 100.0 if not self.total else round(100.0 * self.done / self.total, 1)

    def _describe(self) -> str:
        c = self.counts
        return (
            f"{self.done} of {self.total} documents done, {self.pages} pages read: "
            f"{c['published']} published, {c['review']} to review, {c['quarantine']} quarantined"
        )

    def _update(self, force: bool = False) -> None:
        if self.artifact is None or (not force and time.monotonic() - self._last < self.every):
            return
        from prefect.artifacts import update_progress_artifact

        artifact = self.artifact
        _quietly(
            "progress",
            lambda: update_progress_artifact(artifact, self._percent(), self._describe()),
        )
        self._last = time.monotonic()

    def finish(self) -> None:
        """The last word, even when no document was left to do."""
        self._update(force=True)


def _status(r: DocumentResult) -> str:
    return f"{r.status} (unchanged, skipped)" if r.reason == UNCHANGED else r.status


UNCHANGED = "unchanged since the last run"


def _short(text: str, limit: int = REASON_CHARS) -> str:
    """Keep the table readable; the full reasons are in each document's report.json."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def document_rows(results: Sequence[DocumentResult]) -> list[dict[str, Any]]:
    """One row per document, in the order a reader looks for trouble: status, then quality."""
    rows = []
    for r in results:
        rows.append(
            {
                "document": r.doc_id,
                "status": _status(r),
                "pages": r.pages,
                "mean OCR confidence": ""
                if r.mean_confidence is None
                else f"{r.mean_confidence:.2f}",  # fmt: skip
                "fields found": r.fields_found,
                "validation findings": r.findings,
                "outputs": f"{r.folder}/" if r.folder else "",
                "reason": _short((r.reason or "") if r.reason != UNCHANGED else ""),
            }
        )
    return rows


def summary_markdown(results: Sequence[DocumentResult], out: Path, seconds: float) -> str:
    done = [r for r in results if r.reason != UNCHANGED]
    counts = Counter(r.status for r in done)  # unchanged documents are counted apart
    pages = sum(r.pages for r in done)
    rate = f"{60 * pages / seconds:.1f} pages/min ({seconds / pages:.2f} s/page)" if pages else "-"
    counted = [
        ("documents", len(results)),
        ("processed in this run", len(done)),
        ("unchanged since an earlier run (skipped)", len(results) - len(done)),
        ("pages read", pages),
        ("published", counts["published"]),
        ("to review", counts["review"]),
        ("quarantined", counts["quarantine"]),
        ("failed (left in place)", counts["failed"]),
        ("time", f"{seconds:.1f} s"),
        ("throughput", rate),
    ]
    lines = ["# Batch summary", "", "| this batch | |", "|---|---:|"]
    lines += [f"| {name} | {value} |" for name, value in counted]
    lines += [
        "",
        f"Outputs in [{out.resolve()}]({out.resolve().as_uri()}): `published/`, `review/`, "
        "`quarantine/`, and `manifest.jsonl` (one line per document).",
    ]
    order = {"failed": 0, "quarantine": 1, "review": 2, "published": 3}
    worst = sorted(
        done,
        key=lambda r: (order.get(r.status, 0), r.mean_confidence or 0.0, -r.findings),
    )[:WORST]
    if worst:
        lines += [
            "",
            f"## Worst {len(worst)} document(s)",
            "",
            "| document | status | mean OCR confidence | findings | why |",
            "|---|---|---:|---:|---|",
        ]
        for r in worst:
            conf = "-" if r.mean_confidence is None else f"{r.mean_confidence:.2f}"
            why = _short(r.reason or "", 90).replace("|", "\\|")
            link = f"[{r.doc_id}]({(out / r.folder).resolve().as_uri()})" if r.folder else r.doc_id
            lines.append(f"| {link} | {r.status} | {conf} | {r.findings} | {why} |")
    return "\n".join(lines) + "\n"


def publish_results(results: Sequence[DocumentResult], out: Path, seconds: float) -> None:
    """The table and the summary of a finished batch."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    rows = document_rows(results)
    if rows:
        _quietly(
            "table",
            lambda: create_table_artifact(
                table=rows,
                key=TABLE_KEY,
                description="One row per document of this run: status, OCR quality, "
                f"validation findings, and its outputs folder under {out.resolve().as_uri()}",
            ),
        )
    _quietly(
        "summary",
        lambda: create_markdown_artifact(
            markdown=summary_markdown(results, out, seconds),
            key=SUMMARY_KEY,
            description="Counts, throughput and the documents that need a look first.",
        ),
    )

"""The `ipdigitise` command line.

Exit codes: 0 the run completed (quarantined documents included); 1 internal error;
2 bad usage or configuration; 3 Tesseract missing or older than 5.0; 4 a language pack is
missing; 5 no input documents found; 6 another run is using the output folder; 7 the Prefect API
in PREFECT_API_URL is unreachable (at start, or it went away during the run); 8 the run finished
but some documents could not be written (disk full, read-only...): their inputs are untouched,
run again. `validate`: 0 every document would be published; 10 some need review; 11 some output
files are unreadable or disagree with each other (quarantine).
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from flows.environment import apply_defaults

if TYPE_CHECKING:
    from flows.settings import Settings

_STARTED = time.perf_counter()  # start-up counts from here (~0.1 s after the interpreter starts)

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_TESSERACT, EXIT_LANGUAGE, EXIT_NO_INPUT = 0, 1, 2, 3, 4, 5
EXIT_BUSY, EXIT_API, EXIT_INCOMPLETE = 6, 7, 8
EXIT_REVIEW, EXIT_INVALID = 10, 11

# Options shared by several commands
ConfigOption = Annotated[
    Path | None, typer.Option(help="TOML settings file", exists=True, dir_okay=False)
]
TaskRunnerOption = Annotated[
    str, typer.Option(help="where pages are OCR'd: threads (this machine) or dask")
]
DaskAddressOption = Annotated[
    str | None,
    typer.Option(help="Dask scheduler, e.g. tcp://HOST:8786 [default: a local cluster]"),
]

app = typer.Typer(
    help="Digitise scanned IP documents into validated WIPO ST.96 XML and JSON.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
console = Console(stderr=True)


def _load_settings_or_exit(
    config: Path | None, overrides: dict[str, Any] | None = None
) -> Settings:
    """Settings from defaults, file, environment and flags; a bad value ends with EXIT_USAGE."""
    from pydantic import ValidationError

    from flows.settings import load_settings

    try:
        return load_settings(config, overrides)
    except (ValidationError, OSError, ValueError) as exc:
        console.print(f"[red]error:[/red] bad configuration: {exc}")
        raise typer.Exit(EXIT_USAGE) from exc


def _check_or_exit(*checks: Callable[[], object]) -> None:
    """Run start-up checks; a fatal typed error ends with its own documented exit code."""
    from ocr.errors import FatalError

    try:
        for check in checks:
            check()
    except FatalError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(exc.exit_code) from exc


@app.callback()
def _root() -> None:
    """Digitise scanned IP documents into validated WIPO ST.96 XML and JSON."""


class BarSink:
    """Drives a rich progress bar from the flow's progress events."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("documents", total=None)
        self.pages = 0
        self.counts: Counter[str] = Counter()
        self.flow_started: float | None = None  # perf_counter when the flow began its work

    def start(self, documents: int, pages: int) -> None:
        self.flow_started = self.flow_started or time.perf_counter()
        self.progress.update(self.task, total=documents)

    def page_done(self, doc_id: str, page: int) -> None:
        self.pages += 1
        self._describe(doc_id)

    def document_done(self, doc_id: str, status: str) -> None:
        self.counts[status] += 1
        self.progress.advance(self.task)
        self._describe(doc_id)

    def _describe(self, doc_id: str) -> None:
        c = self.counts
        self.progress.update(
            self.task,
            description=f"{self.pages} pages · published {c['published']} · review {c['review']}"
            f" · quarantine {c['quarantine']}",
        )


@app.command()
def run(
    inputs: Annotated[
        list[Path],
        typer.Argument(help="scan files or folders (a sub-folder of page images is one document)"),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder")] = Path("out"),
    workers: Annotated[
        int | None, typer.Option(help="pages OCR'd at once [default: number of cores]", min=1)
    ] = None,
    lang: Annotated[
        str | None, typer.Option(help="Tesseract languages, e.g. eng+fra+deu [default: eng]")
    ] = None,
    config: ConfigOption = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="show Prefect's run logs")
    ] = False,
    task_runner: TaskRunnerOption = "threads",
    dask_address: DaskAddressOption = None,
) -> None:
    """Digitise INPUTS into OUT/published, OUT/review and OUT/quarantine, with OUT/manifest.jsonl."""
    from flows import prefect_api

    settings = _load_settings_or_exit(config, {"ocr": {"workers": workers, "lang": lang}})
    # Before Prefect is imported: a reused local server must be in PREFECT_API_URL by then.
    api = prefect_api.choose_api(settings.prefect.reuse_local_server,
                                 settings.prefect.local_server_url)  # fmt: skip
    apply_defaults(verbose)
    runner_kind = _runner_kind(task_runner, dask_address)
    missing = [p for p in inputs if not p.exists() and not p.is_symlink()]
    if missing:
        console.print(f"[red]error:[/red] input not found: {', '.join(map(str, missing))}")
        raise typer.Exit(EXIT_NO_INPUT)
    if settings.prefect.early_start:  # it boots (~5 s) while the rest is imported and checked
        prefect_api.start_early(api)
    from flows.discover import discover
    from ocr.engines import check as check_engine
    from ocr.errors import FatalError, IpdError

    docs = discover(inputs)
    if not docs:
        console.print("[red]error:[/red] no documents found in the inputs")
        raise typer.Exit(EXIT_NO_INPUT)
    from flows.faults import check_prefect_api

    o = settings.ocr
    _check_or_exit(lambda: check_engine(o.engine, o.tesseract_cmd, o.lang), check_prefect_api)
    info = check_engine(o.engine, o.tesseract_cmd, o.lang)

    from flows.batch import run_batch
    from flows.faults import is_api_failure
    from flows.progress import set_sink
    from flows.runners import make_task_runner

    console.print(
        f"ipdigitise: {len(docs)} document(s), {info.label()} ({settings.ocr.lang}), "
        f"{settings.ocr.workers} worker(s) -> {out}"
    )
    console.print(f"  {api.describe()}", highlight=False)
    from output_schemas.validate import warm_up_in_background

    # the schema compiles while the server finishes booting (unless Dask's workers validate)
    prefect_api.hand_over(
        api, while_waiting=warm_up_in_background if runner_kind == "threads" else None
    )
    started = time.perf_counter()
    with Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, transient=False, disable=not console.is_terminal,
    ) as progress:  # fmt: skip
        sink = BarSink(progress)
        set_sink(sink)
        try:
            runner = make_task_runner(runner_kind, settings.ocr.workers, dask_address)
            results = run_batch(inputs, out, settings, runner)
        except IpdError as exc:  # e.g. the output folder is busy or cannot be written at all
            console.print(f"[red]error:[/red] {exc.message}")
            code = exc.exit_code if isinstance(exc, FatalError) else EXIT_INCOMPLETE
            raise typer.Exit(code) from exc
        except Exception as exc:
            if not is_api_failure(exc):
                raise
            console.print(
                f"[red]error:[/red] the Prefect API became unreachable during the run ({exc}). "
                f"Documents finished so far are in {out} and its manifest; nothing else was "
                "written. Run the same command again to finish the rest."
            )
            # Prefect would now spend ~7 s per queued event trying to reach the API before the
            # process may exit (minutes); our outputs are already durable, so leave at once.
            sys.stdout.flush()
            sys.stderr.flush()
            api.close()  # os._exit skips atexit
            os._exit(EXIT_API)
        finally:
            set_sink(None)
    # Start-up (imports, checks, the Prefect API) is reported apart from the batch's own time.
    flow_started = sink.flow_started or started
    seconds = time.perf_counter() - flow_started
    counts = Counter(r.status for r in results)
    pages = sum(r.pages for r in results)
    table = Table(title="ipdigitise run", show_edge=False)
    for col in ("documents", "pages", "published", "review", "quarantine", "seconds", "s/page"):
        table.add_column(col, justify="right")
    table.add_row(
        str(len(results)), str(pages), str(counts["published"]), str(counts["review"]),
        str(counts["quarantine"]), f"{seconds:.1f}", f"{seconds / pages:.2f}" if pages else "-",
    )  # fmt: skip
    Console().print(table)
    console.print(f"start-up {flow_started - _STARTED:.1f} s before the batch (imports, checks, "
                  "Prefect API)", highlight=False)  # fmt: skip
    for r in results:
        if r.status != "published" and r.reason:
            console.print(f"  {r.status:<10} {r.doc_id}: {r.reason[:160]}")
    console.print(f"outputs in {out.resolve()} (manifest: {out / 'manifest.jsonl'})")
    if counts["failed"]:
        console.print(
            f"[red]error:[/red] {counts['failed']} document(s) could not be written (see above); "
            "their inputs are untouched: run again once the cause is fixed"
        )
        raise typer.Exit(EXIT_INCOMPLETE)


@app.command("eval")
def eval_(
    gt: Annotated[Path, typer.Option("--gt", help="ground truth: a folder of *.fields.json "
                                     "(or with gt/ inside)", exists=True, file_okay=False)],
    pred: Annotated[Path, typer.Option("--pred", help="the --out folder of a finished run",
                                       exists=True, file_okay=False)],
    report: Annotated[Path | None, typer.Option(help="Markdown report (JSON beside it) "
                                                "[default: PRED/eval.md]")] = None,
) -> None:  # fmt: skip
    """Score a finished run against ground truth: per-field precision, recall and exact-match
    accuracy, and the worst misses (rules: see the report header)."""
    from flows.evaluate import GroundTruthError, evaluate, print_summary, write_reports

    try:
        ev = evaluate(gt, pred)
    except GroundTruthError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE) from exc
    markdown = report or pred / "eval.md"
    print_summary(ev, markdown, write_reports(ev, markdown))


@app.command()
def validate(
    files: Annotated[
        list[Path],
        typer.Argument(help="output files (<id>.st96.xml, <id>.st36.xml, <id>.json) or folders"),
    ],
    config: Annotated[
        Path | None, typer.Option(help="TOML settings file (gate thresholds)", exists=True,
                                  dir_okay=False)
    ] = None,
    html: Annotated[
        Path | None, typer.Option(help="write a review page per document into this folder")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the findings as JSON")] = False,
) -> None:  # fmt: skip
    """Run the validation gate (schemas and business rules) on existing output files."""
    import json

    from output_schemas.gate_files import Thresholds, validate_paths
    from output_schemas.review_html import render

    missing = [p for p in files if not p.exists()]
    if missing:
        console.print(f"[red]error:[/red] not found: {', '.join(map(str, missing))}")
        raise typer.Exit(EXIT_NO_INPUT)
    g = _load_settings_or_exit(config).gate
    checks = validate_paths(
        files,
        Thresholds(
            min_field_confidence=g.min_field_confidence,
            min_page_confidence=g.min_page_confidence,
            low_word=g.low_confidence_word,
            min_document_confidence=g.min_document_confidence,
            max_low_confidence_share=g.max_low_confidence_share,
        ),
    )
    if not checks:
        console.print("[red]error:[/red] no output files (*.st96.xml, *.st36.xml, *.json) found")
        raise typer.Exit(EXIT_NO_INPUT)
    if as_json:
        payload = [
            {
                "doc_id": c.doc_id,
                "outcome": c.outcome,
                "files": {k: str(v) for k, v in c.files.items()},
                "findings": [f.model_dump(mode="json") for f in c.report.findings],
            }
            for c in checks
        ]
        print(json.dumps(payload, indent=1, ensure_ascii=False))
    else:
        out = Console()
        for c in checks:
            out.print(f"[bold]{c.doc_id}[/bold]: {c.outcome} ({', '.join(sorted(c.files))})")
            for f in c.report.findings:
                where = f" page {f.page + 1}" if f.page is not None else ""
                out.print(f"  {f.severity:<6} {f.rule:<22} {f.path or '-'}{where}: {f.message}",
                          markup=False, highlight=False)  # fmt: skip
    if html is not None:
        html.mkdir(parents=True, exist_ok=True)
        for c in checks:
            page = render(c.document, c.report.findings, c.outcome, doc_id=c.doc_id)
            (html / f"{c.doc_id}.review.html").write_bytes(page)
    outcomes = {c.outcome for c in checks}
    if "quarantine" in outcomes:
        raise typer.Exit(EXIT_INVALID)
    if "review" in outcomes:
        raise typer.Exit(EXIT_REVIEW)


def _api_url() -> str | None:
    """PREFECT_API_URL from the environment or the active Prefect profile."""
    from flows.runners import api_url

    return api_url()


def _runner_kind(task_runner: str, dask_address: str | None) -> Literal["threads", "dask"]:
    if task_runner not in ("threads", "dask"):
        console.print(f"[red]error:[/red] --task-runner must be threads or dask, not {task_runner}")
        raise typer.Exit(EXIT_USAGE)
    if dask_address and task_runner != "dask":
        console.print("[red]error:[/red] --dask-address needs --task-runner dask")
        raise typer.Exit(EXIT_USAGE)
    if dask_address and not _api_url():
        console.print("[red]error:[/red] a remote Dask cluster needs a Prefect server its workers "
                      "can reach: set PREFECT_API_URL here and on the workers")  # fmt: skip
        raise typer.Exit(EXIT_USAGE)
    if task_runner == "dask":
        try:
            import prefect_dask  # noqa: F401
        except ImportError as exc:
            console.print("[red]error:[/red] --task-runner dask needs prefect-dask: "
                          "pip install 'ipdigitise[dask]'")  # fmt: skip
            raise typer.Exit(EXIT_USAGE) from exc
        return "dask"
    return "threads"


@app.command()
def serve(
    inbox: Annotated[Path, typer.Option(help="folder where scans are dropped")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder")],
    processed: Annotated[
        Path | None,
        typer.Option(
            help="where inputs go once their outputs are durable [default: INBOX/../processed]"
        ),
    ] = None,
    schedule: Annotated[
        str, typer.Option(help="cron schedule of the batch over the whole inbox")
    ] = "0 2 * * *",
    workers: Annotated[
        int | None,
        typer.Option(help="pages OCR'd at once per run [default: number of cores]", min=1),
    ] = None,
    settle: Annotated[
        float, typer.Option(help="seconds a scan must stay unchanged before it is read", min=0.5)
    ] = 5.0,
    lang: Annotated[str | None, typer.Option(help="Tesseract languages [default: eng]")] = None,
    config: ConfigOption = None,
    task_runner: TaskRunnerOption = "threads",
    dask_address: DaskAddressOption = None,
    ocr_slots: Annotated[
        int | None,
        typer.Option(
            help="size of the global OCR limit shared by all runs [default: keep, or number of cores]",
            min=1,
        ),
    ] = None,
    poll: Annotated[
        float, typer.Option(help="seconds between checks for runs to start", min=0.2)
    ] = 2.0,
    max_runs: Annotated[int, typer.Option(help="flow runs at once", min=1)] = 4,
) -> None:
    """Serve the scheduled batch and the inbox watcher as Prefect deployments until stopped.

    Needs a Prefect server: start one with `prefect server start` and set PREFECT_API_URL.
    """
    apply_defaults(verbose=True)
    if not _api_url():
        console.print("[red]error:[/red] serve needs a Prefect server for its schedule and UI: "
                      "run `prefect server start` and set PREFECT_API_URL=http://127.0.0.1:4200/api")  # fmt: skip
        raise typer.Exit(EXIT_USAGE)
    runner_kind = _runner_kind(task_runner, dask_address)
    from ocr.engines import check as check_engine

    settings = _load_settings_or_exit(config, {"ocr": {"workers": workers, "lang": lang}})
    o = settings.ocr
    _check_or_exit(lambda: check_engine(o.engine, o.tesseract_cmd, o.lang))
    from flows.serve import ServeOptions
    from flows.serve import serve as serve_forever

    serve_forever(
        ServeOptions(
            inbox=inbox, out=out, processed=processed or inbox.resolve().parent / "processed",
            settings=settings, schedule=schedule, task_runner=runner_kind,
            dask_address=dask_address, settle_seconds=settle, poll_seconds=poll,
            max_runs=max_runs, ocr_slots=ocr_slots,
        )
    )  # fmt: skip


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
    except SystemExit as done:
        leave(done.code)


def leave(code: str | int | None) -> None:
    """Exit with `code` without tearing the interpreter down object by object (about 0.6 s
    after a run, with Prefect, OpenCV and lxml loaded). Everything else a normal exit does
    still happens, in its order: non-daemon threads are waited for and thread pools shut down
    (`threading._shutdown`; without it Prefect's log worker waits 5 s for a reply at exit),
    then the atexit handlers run (Prefect's event and log workers drain, logging is flushed,
    the temporary server stops); every output was written and closed before."""
    import atexit
    import contextlib
    import threading

    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is None:  # another Python: the ordinary exit
        sys.exit(code)
    shutdown()
    if isinstance(code, str):  # as sys.exit("message") does
        print(code, file=sys.stderr)
    status = code if isinstance(code, int) else 0 if code is None else 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(status)


if __name__ == "__main__":
    main()

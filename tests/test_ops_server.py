"""`ipdigitise serve` against a real Prefect server (SQLite in a temporary PREFECT_HOME).

Scans are dropped into the inbox the way operators drop them (one written slowly in chunks, a
folder document written file by file, a corrupt file); the test then reads the runs, task runs
and artifacts back through the REST API and checks every output exists exactly once. A second
test stops the service in the middle of a run and checks a restart finishes the work without
doing anything twice. Inputs are the project's sample scans (see sample_scans/README.md); the
corrupt file is the first 2 kB of one of them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ops_support import (
    PrefectServer,
    copy_slowly,
    prefect_server,
    python_m_flows,
    start,
    stop_group,
    wait_for,
)

pytestmark = [pytest.mark.server, pytest.mark.tesseract, pytest.mark.slow]

SAMPLES = Path(__file__).resolve().parents[1] / "sample_scans" / "documents"
SETTLE = 2.0
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    with prefect_server(tmp_path_factory.mktemp("prefect-home")) as srv:
        yield srv


class Service:
    """One `python -m flows serve` child process and its folders."""

    def __init__(self, server: PrefectServer, root: Path) -> None:
        self.server, self.root = server, root
        self.inbox, self.out, self.processed = root / "inbox", root / "out", root / "processed"
        self.log = root / "serve.log"
        self.proc: Any = None

    def start(self) -> None:
        self.inbox.mkdir(parents=True, exist_ok=True)
        cmd = python_m_flows(
            "serve", "--inbox", str(self.inbox), "--out", str(self.out),
            "--settle", str(SETTLE), "--poll", "0.5", "--workers", "2",
        )  # fmt: skip
        self.proc = start(cmd, self.server.env(), self.log)
        wait_for("the deployments", lambda: self._registered(), 90)

    def _registered(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"serve exited early:\n{self.log.read_text()[-3000:]}")
        return {"scheduled-batch", "on-arrival"} <= set(self.server.deployments())

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        code = stop_group(self.proc, sig, wait=45, group=False)
        self.proc = None
        return code

    def runs(self) -> list[dict[str, Any]]:
        dep = self.server.deployments()["on-arrival"]["id"]
        return self.server.flow_runs(dep)

    def inbox_empty(self) -> bool:
        return not any(self.inbox.iterdir())

    def all_runs_done(self) -> bool:
        runs = self.runs()
        return bool(runs) and all(r["state_type"] in TERMINAL for r in runs)

    def manifest(self) -> list[dict[str, Any]]:
        return [json.loads(x) for x in (self.out / "manifest.jsonl").read_text().splitlines()]


@pytest.fixture
def service(server: PrefectServer, tmp_path: Path) -> Iterator[Service]:
    svc = Service(server, tmp_path)
    try:
        yield svc
    finally:
        if svc.proc is not None:
            svc.stop()
        if svc.log.exists():
            print(svc.log.read_text()[-4000:])  # shown by pytest only when the test fails


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _outputs(out: Path, doc_id: str) -> list[Path]:
    return [out / s / doc_id for s in ("published", "review", "quarantine") if (out / s / doc_id).exists()]  # fmt: skip


def test_inbox_runs_show_in_the_ui_and_publish_each_document_once(service: Service) -> None:
    service.start()
    inbox = service.inbox
    shutil.copy2(SAMPLES / "us_10143085.png", inbox)
    (inbox / "broken.png").write_bytes((SAMPLES / "us_10142403.png").read_bytes()[:2048])
    # A slow copy: 6 chunks, 0.8 s apart (each pause shorter than the settle time).
    copy_slowly(SAMPLES / "us_10142867.pdf", inbox / "us_10142867.pdf", chunks=6, pause=0.8)
    # A folder document written page by page.
    folder = inbox / "us_10142966"
    folder.mkdir()
    for page in ("page-1.png", "page-2.png", "page-10.png"):
        shutil.copy2(SAMPLES / "us_10142966" / page, folder / page)
        time.sleep(0.8)

    expected = {"us_10143085", "broken", "us_10142867", "us_10142966"}
    wait_for("the inbox to empty", service.inbox_empty, 240)
    wait_for("every run to finish", service.all_runs_done, 60)
    runs = service.runs()
    assert [r["state_type"] for r in runs] == ["COMPLETED"] * len(runs)

    # Outputs exactly once; the slow copy was read whole (its recorded hash is the full file's).
    for doc_id in expected:
        assert len(_outputs(service.out, doc_id)) == 1, doc_id
    manifest = service.manifest()
    assert sorted(e["doc_id"] for e in manifest) == sorted(expected)
    by_id = {e["doc_id"]: e for e in manifest}
    assert by_id["us_10142867"]["source"]["sha256"] == sha256(SAMPLES / "us_10142867.pdf")
    assert by_id["broken"]["status"] == "quarantine"
    assert by_id["us_10142966"]["status"] in ("published", "review")
    assert sorted(p.name for p in service.processed.iterdir()) == sorted(
        ["us_10143085.png", "broken.png", "us_10142867.pdf", "us_10142966"]
    )

    # Through the API: each document was finished (or quarantined) by exactly one task run,
    # pages are task runs named after document and page, and each run has its artifacts.
    finished: Counter[str] = Counter()
    table_docs: Counter[str] = Counter()
    ocr_names: set[str] = set()
    for run in runs:
        tasks = service.server.task_runs(run["id"])
        for t in tasks:
            kind, _, rest = t["name"].partition(" ")
            if kind in ("finish", "quarantine") and t["state_type"] == "COMPLETED":
                finished[rest] += 1
            if kind == "ocr":
                ocr_names.add(rest)
        arts = {a["key"]: a for a in service.server.artifacts(run["id"])}
        assert {"ipdigitise-documents", "ipdigitise-summary", "ipdigitise-progress"} <= set(arts)
        assert arts["ipdigitise-progress"]["data"] == 100
        assert "# Batch summary" in arts["ipdigitise-summary"]["data"]
        rows = json.loads(arts["ipdigitise-documents"]["data"])
        for row in rows:
            table_docs[row["document"]] += 1
            assert row["status"] == by_id[row["document"]]["status"]
            assert (service.out / row["outputs"]).is_dir()
            assert set(row) >= {"pages", "mean OCR confidence", "fields found", "validation findings"}  # fmt: skip
    assert finished == Counter(expected)
    assert table_docs == Counter(expected)

    # Every page took a slot of the global OCR limit, created with one slot per core.
    limits = {x["name"]: x for x in service.server.post("/v2/concurrency_limits/filter")}
    assert limits["ipdigitise-ocr"]["limit"] == (os.cpu_count() or 1)
    pages = 5  # us_10143085, us_10142867 and the three pages of us_10142966

    def acquired() -> bool:
        body = {"filter": {"event": {"name": ["prefect.concurrency-limit.acquired"]}}}
        return int(service.server.post("/events/filter", body)["total"]) >= pages

    wait_for("the slot events", acquired, 30)
    assert {"us_10142966 page 1", "us_10142966 page 2", "us_10142966 page 3"} <= ocr_names


def test_stop_mid_run_and_restart_finish_the_work_once(service: Service) -> None:
    service.start()
    # Two-page document: stopped while its pages are being read.
    shutil.copy2(SAMPLES / "us_10142969.tif", service.inbox)

    def prepared() -> bool:
        runs = service.runs()
        return any(
            t["name"] == "prepare us_10142969" and t["state_type"] == "COMPLETED"
            for r in runs
            for t in service.server.task_runs(r["id"])
        )

    wait_for("the document to be prepared", prepared, 120, every=0.2)
    assert service.stop(signal.SIGTERM) is not None, "serve did not stop on SIGTERM"
    assert (service.inbox / "us_10142969.tif").exists(), "an unfinished input left the inbox"
    assert not _outputs(service.out, "us_10142969")
    assert all(r["state_type"] in TERMINAL for r in service.runs())

    # While the service is down, another scan arrives: the restart picks up both.
    shutil.copy2(SAMPLES / "us_10143085.png", service.inbox)
    service.out.mkdir(exist_ok=True)
    service.start()
    wait_for("the inbox to empty", service.inbox_empty, 240)
    wait_for("every run to finish", service.all_runs_done, 60)
    first_round = {e["doc_id"] for e in service.manifest()}
    assert first_round == {"us_10142969", "us_10143085"}
    assert len(_outputs(service.out, "us_10142969")) == 1

    # The same bytes again, as if a stop had come between publishing and moving the input:
    # recognised as unchanged (manifest), moved out without being processed again.
    published_at = (service.out / "manifest.jsonl").stat().st_mtime_ns
    shutil.copy2(SAMPLES / "us_10143085.png", service.inbox)
    wait_for("the inbox to empty", service.inbox_empty, 120)
    wait_for("every run to finish", service.all_runs_done, 60)
    last = service.runs()[-1]
    assert not [t for t in service.server.task_runs(last["id"]) if t["name"].startswith("ocr")]
    rows = json.loads(
        next(a for a in service.server.artifacts(last["id"]) if a["key"] == "ipdigitise-documents")[
            "data"
        ]  # fmt: skip
    )
    assert [r["status"] for r in rows] == [f"{rows[0]['status'].split()[0]} (unchanged, skipped)"]
    assert (service.out / "manifest.jsonl").stat().st_mtime_ns >= published_at
    processed = sorted(p.name for p in service.processed.iterdir())
    assert processed[0] == "us_10142969.tif"
    assert len([p for p in processed if p.startswith("us_10143085")]) == 2

    # The scheduled deployment: nightly by default, active, and runnable on demand (as with
    # **Run** in the UI); over an empty inbox it finishes with an empty summary.
    scheduled = service.server.deployments()["scheduled-batch"]
    crons = [s["schedule"].get("cron") for s in scheduled["schedules"] if s["active"]]
    assert crons == ["0 2 * * *"] and not scheduled["paused"]
    run = service.server.post(f"/deployments/{scheduled['id']}/create_flow_run", {})

    def finished() -> dict[str, Any] | None:
        r = service.server.get(f"/flow_runs/{run['id']}")
        return r if r["state_type"] in TERMINAL else None

    assert wait_for("the scheduled batch", finished, 120)["state_type"] == "COMPLETED"
    keys = {a["key"] for a in service.server.artifacts(run["id"])}
    assert {"ipdigitise-summary", "ipdigitise-progress"} <= keys

    assert service.stop(signal.SIGINT) is not None, "serve did not stop on SIGINT"


def _batch_runs(server: PrefectServer) -> list[dict[str, Any]]:
    body = {"flows": {"name": {"any_": ["ipdigitise-batch"]}}, "sort": "START_TIME_ASC"}
    return list(server.post("/flow_runs/filter", body))


def _contents(out: Path) -> dict[str, bytes]:
    """Every output file but report.json (which records timings) and the manifest."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for status in ("published", "review", "quarantine")
        for p in sorted((out / status).rglob("*"))
        if p.is_file() and p.name != "report.json"
    }


def test_dask_cluster_gives_the_thread_pool_outputs_and_the_cache_skips_pages(
    server: PrefectServer, tmp_path: Path
) -> None:
    import subprocess

    doc = str(SAMPLES / "us_10142969.tif")  # two pages: OCR'd side by side by two workers

    def run(out: str, storage: str, *extra: str) -> str:
        env = server.env(PREFECT_LOCAL_STORAGE_PATH=str(tmp_path / storage))
        cmd = python_m_flows("run", doc, "--out", str(tmp_path / out), "--workers", "2", "-v", *extra)  # fmt: skip
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300,
                              cwd=Path(__file__).resolve().parents[1])  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout + done.stderr

    before = len(_batch_runs(server))
    run("threads", "cache-a")
    log = run("dask", "cache-b", "--task-runner", "dask")
    assert "Dask cluster" in log
    run("again", "cache-a")  # same settings and bytes, result store of the first run

    threads, dask, again = (_contents(tmp_path / d) for d in ("threads", "dask", "again"))
    assert threads and threads == dask == again
    runs = _batch_runs(server)[before:]
    assert [r["state_type"] for r in runs] == ["COMPLETED"] * 3

    def ocr_states(run: dict[str, Any]) -> list[str]:
        tasks = server.task_runs(run["id"])
        return sorted(t["state_name"] for t in tasks if t["name"].startswith("ocr "))

    assert ocr_states(runs[1]) == ["Completed", "Completed"]  # really OCR'd on the cluster
    # The run's INFO logs reach the UI through the run logger (the console stays quiet).
    logs = server.post("/logs/filter", {"logs": {"flow_run_id": {"any_": [runs[0]["id"]]}}})
    assert any("document(s) found" in entry["message"] for entry in logs)
    assert ocr_states(runs[2]) == ["Cached", "Cached"]

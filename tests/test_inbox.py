"""The inbox rules without Prefect or Tesseract: when a scan counts as arrived, per-document
locks, moving inputs to processed/, and what the run artifacts say. Files are made here."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from flows.artifacts import UNCHANGED, document_rows, summary_markdown
from flows.discover import DocumentSource
from flows.inbox import (
    DocumentLocks,
    InboxWatcher,
    StabilityTracker,
    claim,
    move_to_processed,
    settled,
    signature,
)
from flows.stages import DocumentResult


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_file_counts_only_after_it_stopped_changing_for_the_settle_time(tmp_path: Path) -> None:
    clock = Clock()
    tracker = StabilityTracker(settle=3.0, clock=clock)
    scan = tmp_path / "a.png"
    scan.write_bytes(b"x" * 10)
    assert tracker.observe({"a.png": signature(scan)}) == []
    clock.now += 2.0
    with scan.open("ab") as fh:  # still being copied
        fh.write(b"y" * 10)
    assert tracker.observe({"a.png": signature(scan)}) == []
    clock.now += 2.9
    assert tracker.observe({"a.png": signature(scan)}) == []  # 2.9 s since the last change
    clock.now += 0.2
    assert tracker.observe({"a.png": signature(scan)}) == ["a.png"]
    tracker.handed(["a.png"])
    clock.now += 10
    assert tracker.observe({"a.png": signature(scan)}) == []  # handed over once only


def test_a_replaced_file_counts_again_and_a_vanished_one_is_forgotten(tmp_path: Path) -> None:
    clock = Clock()
    tracker = StabilityTracker(settle=1.0, clock=clock)
    scan = tmp_path / "a.png"
    scan.write_bytes(b"one")
    tracker.observe({"a.png": signature(scan)})
    clock.now += 1
    tracker.handed(tracker.observe({"a.png": signature(scan)}))
    scan.write_bytes(b"second version")
    os.utime(scan, ns=(time.time_ns(), time.time_ns() + 10**9))
    tracker.observe({"a.png": signature(scan)})
    clock.now += 1
    assert tracker.observe({"a.png": signature(scan)}) == ["a.png"]
    tracker.observe({})
    assert tracker._seen == {} and tracker._handed == {}


def test_the_same_scan_dropped_again_counts_even_if_never_seen_gone(tmp_path: Path) -> None:
    # The first copy is moved out and an identical one (same size and mtime, as `cp -p` makes)
    # arrives before the watcher looks again: it is a new arrival all the same.
    clock = Clock()
    tracker = StabilityTracker(settle=1.0, clock=clock)
    inbox, processed, original = tmp_path / "inbox", tmp_path / "processed", tmp_path / "a.png"
    inbox.mkdir()
    processed.mkdir()
    original.write_bytes(b"scan bytes")
    shutil.copy2(original, inbox / "a.png")
    tracker.observe({"a.png": signature(inbox / "a.png")})
    clock.now += 1
    tracker.handed(tracker.observe({"a.png": signature(inbox / "a.png")}))
    first = signature(inbox / "a.png")
    move_to_processed(inbox / "a.png", processed)
    time.sleep(0.01)  # ctime has at least the file system's timestamp granularity
    shutil.copy2(original, inbox / "a.png")
    again = signature(inbox / "a.png")
    assert first is not None and again is not None
    assert first[0][1:3] == again[0][1:3]  # same size and mtime
    assert tracker.observe({"a.png": again}) == []
    clock.now += 1
    assert tracker.observe({"a.png": again}) == ["a.png"]


def test_a_folder_document_waits_for_its_last_page(tmp_path: Path) -> None:
    clock = Clock()
    tracker = StabilityTracker(settle=2.0, clock=clock)
    folder = tmp_path / "doc"
    folder.mkdir()
    assert tracker.observe({"doc": signature(folder)}) == []  # empty folder: not a document
    (folder / "page-1.png").write_bytes(b"1")
    tracker.observe({"doc": signature(folder)})
    clock.now += 1.5
    (folder / "page-2.png").write_bytes(b"2")
    assert tracker.observe({"doc": signature(folder)}) == []
    clock.now += 1.5
    assert tracker.observe({"doc": signature(folder)}) == []
    clock.now += 0.5
    assert tracker.observe({"doc": signature(folder)}) == ["doc"]


def test_settled_rechecks_young_entries_and_drops_those_still_growing(tmp_path: Path) -> None:
    old, young, growing = tmp_path / "old.png", tmp_path / "young.png", tmp_path / "grow.png"
    for p in (old, young, growing):
        p.write_bytes(b"data")
    past = time.time() - 3600
    os.utime(old, (past, past))

    def sleep(_: float) -> None:  # the copy goes on while the run waits
        with growing.open("ab") as fh:
            fh.write(b"more")

    ok, waiting = settled([old, young, growing, tmp_path / "gone.png"], 2.0, sleep=sleep)
    assert ok == [old, young]
    assert waiting == [growing, tmp_path / "gone.png"]


def test_settled_does_not_wait_when_everything_is_old(tmp_path: Path) -> None:
    old = tmp_path / "old.png"
    old.write_bytes(b"data")
    os.utime(old, (time.time() - 60, time.time() - 60))
    assert settled([old], 5.0, sleep=lambda _: pytest.fail("waited")) == ([old], [])


def test_a_document_claimed_by_one_run_is_busy_for_another(tmp_path: Path) -> None:
    docs = [DocumentSource("a", tmp_path / "a.png"), DocumentSource("b", tmp_path / "b.png")]
    with DocumentLocks(tmp_path) as first:
        assert claim(docs[:1], first) == (docs[:1], [])
        with DocumentLocks(tmp_path) as second:  # flock conflicts between open files
            assert claim(docs, second) == (docs[1:], docs[:1])
    with DocumentLocks(tmp_path) as third:
        assert claim(docs, third) == (docs, [])


def test_move_to_processed_never_overwrites_an_earlier_input(tmp_path: Path) -> None:
    processed = tmp_path / "processed"
    for content in (b"first", b"second"):
        scan = tmp_path / "inbox" / "a.png"
        scan.parent.mkdir(exist_ok=True)
        scan.write_bytes(content)
        move_to_processed(scan, processed)
        assert not scan.exists()
    folder = tmp_path / "inbox" / "doc"
    folder.mkdir()
    (folder / "page-1.png").write_bytes(b"p")
    assert move_to_processed(folder, processed) == processed / "doc"
    names = {p.name for p in processed.iterdir()} - {"a.png", "doc"}
    assert len(names) == 1 and names.pop().startswith("a.2")  # a.<UTC timestamp>.png
    assert sorted(p.read_bytes() for p in processed.glob("a*.png")) == [b"first", b"second"]


def test_the_watcher_offers_settled_scans_again_if_the_handover_failed(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.png").write_bytes(b"a")
    (inbox / ".a.png.partial").write_bytes(b"hidden copies are ignored")
    answers, offered = [False, True], []

    def on_ready(paths: list[Path]) -> bool:
        offered.append([p.name for p in paths])
        return answers.pop(0)

    watcher = InboxWatcher(inbox, settle=0.0, on_ready=on_ready)
    watcher.tracker.clock = Clock()
    watcher.scan()  # first sight
    watcher.scan()  # settled: handover fails
    watcher.scan()  # offered again, accepted
    watcher.scan()  # nothing new
    assert offered == [["a.png"], ["a.png"]]


def test_the_watcher_thread_reports_a_new_scan_and_stops(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    got = threading.Event()
    seen: list[str] = []

    def on_ready(paths: list[Path]) -> bool:
        seen.extend(p.name for p in paths)
        got.set()
        return True

    watcher = InboxWatcher(inbox, settle=0.5, on_ready=on_ready, tick=0.2)
    with watcher.running() as thread:
        (inbox / "scan.tif").write_bytes(b"II*\0")
        assert got.wait(20)
    assert not thread.is_alive()
    assert seen == ["scan.tif"]


def _result(doc_id: str, status: str, **kw: object) -> DocumentResult:
    return DocumentResult(doc_id=doc_id, status=status, pages=1, folder=f"{status}/{doc_id}", **kw)  # type: ignore[arg-type]


def test_table_rows_and_summary_name_every_document_and_the_worst_first(tmp_path: Path) -> None:
    results = [
        _result("good", "published", mean_confidence=0.95, fields_found=9),
        _result("meh", "review", mean_confidence=0.71, findings=2, reason="low confidence"),
        _result("bad", "quarantine", reason="unreadable-input: truncated"),
        DocumentResult(
            doc_id="old", status="published", pages=0, reason=UNCHANGED, folder="published/old"
        ),  # fmt: skip
    ]
    rows = document_rows(results)
    assert [r["document"] for r in rows] == ["good", "meh", "bad", "old"]
    assert rows[0]["mean OCR confidence"] == "0.95" and rows[0]["fields found"] == 9
    assert rows[3]["status"] == "published (unchanged, skipped)" and rows[3]["reason"] == ""
    assert rows[0]["outputs"] == "published/good/"
    md = summary_markdown(results, tmp_path, seconds=6.0)
    for line in ("| documents | 4 |", "| processed in this run | 3 |", "| pages read | 3 |",
                 "| unchanged since an earlier run (skipped) | 1 |", "| published | 1 |",
                 "| to review | 1 |", "| quarantined | 1 |", "| failed (left in place) | 0 |"):  # fmt: skip
        assert line in md
    assert "30.0 pages/min" in md
    worst = md.split("## Worst")[1]
    assert worst.index("[bad](") < worst.index("[meh](") < worst.index("[good](")
    assert "[old](" not in worst
    assert f"[good]({(tmp_path / 'published' / 'good').resolve().as_uri()})" in worst


def test_long_reasons_are_shortened_in_the_table(tmp_path: Path) -> None:
    row = document_rows([_result("x", "review", reason="word " * 100)])[0]
    assert len(row["reason"]) <= 70 and row["reason"].endswith("…")

"""The batch flow hands each page's OCR to the finish task through a file, keeps a bounded
window of documents in flight, and stays idempotent; with the thread pool and with Dask, with
and without the server's page cache.

The flow runs in this process against the session's Prefect server (`prefect_api`), with the
fake `tesseract` of faketess.py (a recorded front page for every page) and small generated
PNG pages, so no real OCR is needed.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faketess import fake_tesseract
from PIL import Image, ImageDraw
from runcli import PrefectApi

from flows import batch, pagefiles, stages
from flows.artifacts import UNCHANGED
from flows.settings import Settings
from ocr.errors import OutputError
from ocr.models import PageOcr, Word
from output_schemas import validate

pytestmark = pytest.mark.slow


def _png(text: str) -> bytes:
    img = Image.new("L", (640, 720), 255)
    ImageDraw.Draw(img).text((40, 60), text, fill=0, font_size=32)
    buf = io.BytesIO()
    img.save(buf, "PNG", dpi=(300, 300))
    return buf.getvalue()


def _inbox(folder: Path, n: int, two_page_every: int = 0) -> Path:
    """`n` one-page PNG documents; with `two_page_every=k`, every k-th is a two-page TIFF."""
    folder.mkdir(parents=True)
    for i in range(n):
        if two_page_every and i % two_page_every == two_page_every - 1:
            pages = [Image.open(io.BytesIO(_png(f"document {i} page {k}"))) for k in (1, 2)]
            pages[0].save(folder / f"doc-{i:02d}.tif", save_all=True, append_images=pages[1:],
                          dpi=(300, 300))  # fmt: skip
        else:
            (folder / f"doc-{i:02d}.png").write_bytes(_png(f"document {i}"))
    return folder


def _counting_tesseract(folder: Path) -> Path:
    """The `ok` fake, noting every page image it is asked to read."""
    ok = fake_tesseract(folder, "ok")
    script = folder / "tesseract-counting"
    script.write_text(
        f'#!/bin/sh\ncase "$1" in *.pgm|*.png) echo "$1" >> {folder}/calls;; esac\nexec {ok} "$@"\n'
    )
    script.chmod(0o755)
    return script


def _calls(folder: Path) -> int:
    calls = folder / "calls"
    return len(calls.read_text().splitlines()) if calls.exists() else 0


def _outputs(out: Path) -> dict[str, bytes]:
    """Every output file but report.json (it records timings)."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for status in ("published", "review", "quarantine")
        for p in sorted((out / status).rglob("*"))
        if p.is_file() and p.name != "report.json"
    }


@pytest.fixture
def api(prefect_api: PrefectApi, tmp_path: Path) -> Iterator[PrefectApi]:
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_LOCAL_STORAGE_PATH,
        PREFECT_LOGGING_LEVEL,
        temporary_settings,
    )

    with temporary_settings(
        {
            PREFECT_API_URL: prefect_api.url,
            PREFECT_LOCAL_STORAGE_PATH: tmp_path / "results",
            PREFECT_LOGGING_LEVEL: "WARNING",
        }
    ):
        yield prefect_api


@pytest.fixture
def warmed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each batch that compiled the schemas ahead of its first finish, by thread name."""
    calls: list[str] = []
    monkeypatch.setattr(validate, "warm_up", lambda: calls.append(threading.current_thread().name))
    return calls


def _settings(tess: Path, workers: int = 2) -> Settings:
    return Settings.model_validate({"ocr": {"tesseract_cmd": str(tess), "workers": workers}})


# --- the files themselves ---------------------------------------------------------------------


def _page(index: int = 0) -> PageOcr:
    word = Word(text="Patent", bbox=(10, 10, 90, 40), confidence=0.9, block=1, par=1, line=1)
    return PageOcr(index=index, width=640, height=720, dpi=300, words=(word,), seconds=0.5)


def test_a_page_round_trips_through_its_file_beside_the_image(tmp_path: Path) -> None:
    image = tmp_path / "page-0001.pgm"
    ref = pagefiles.store(_page(), image)
    assert ref.path == tmp_path / "page-0001.ocr.json"
    assert (ref.index, ref.seconds, ref.words, ref.mean_confidence) == (0, 0.5, 1, 0.9)
    assert [p.name for p in tmp_path.iterdir()] == ["page-0001.ocr.json"]  # no temporary left
    assert pagefiles.load([ref]) == [_page()]


def test_a_missing_page_file_is_an_output_fault_or_is_read_again(tmp_path: Path) -> None:
    ref = pagefiles.store(_page(1), tmp_path / "page-0002.pgm")
    ref.path.unlink()
    with pytest.raises(OutputError, match="missing"):
        pagefiles.load([ref])
    assert pagefiles.load([ref], redo=lambda r: _page(r.index)) == [_page(1)]


# --- the flow ---------------------------------------------------------------------------------


class _Window:
    """Counts documents between the start of their prepare and the end of their finish."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = self.peak = 0
        self.handed: list[tuple[int, bool]] = []  # (pages, handed over in files) per finish

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        prepare, finish = stages.prepare_document, stages.finish_document

        def counted_prepare(*args: Any) -> Any:
            with self.lock:
                self.now += 1
                self.peak = max(self.peak, self.now)
            return prepare(*args)

        def counted_finish(prepared: stages.PreparedDocument, pages: list[PageOcr], *rest: Any) -> Any:  # fmt: skip
            # how the pages arrived: through their files (still beside the images), or not
            files = [pagefiles.ocr_path(p.path).is_file() for p in prepared.pages]
            assert len(pages) == len(prepared.pages)
            self.handed.append((len(pages), all(files) if any(files) else False))
            try:
                return finish(prepared, pages, *rest)
            finally:
                with self.lock:
                    self.now -= 1

        monkeypatch.setattr(stages, "prepare_document", counted_prepare)
        monkeypatch.setattr(stages, "finish_document", counted_finish)


@pytest.mark.parametrize("cached", [False, True], ids=["no-server-cache", "server-cache"])
def test_threads_hand_pages_over_in_files_within_the_window(
    api: PrefectApi,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cached: bool,
    warmed: list[str],
) -> None:
    inbox = _inbox(tmp_path / "inbox", 9, two_page_every=3)  # 6 one-page, 3 two-page
    tess = _counting_tesseract(tmp_path / "bin")
    settings = _settings(tess, workers=2)
    if not cached:  # as on the ephemeral API: the task itself writes the page's file
        monkeypatch.setattr(batch, "api_url", lambda: None)
    window = _Window()
    window.install(monkeypatch)

    results = batch.run_batch([inbox], tmp_path / "out", settings)

    assert sorted(r.doc_id for r in results) == [f"doc-{i:02d}" for i in range(9)]
    assert {r.status for r in results} <= {"published", "review"}
    assert [r.doc_id for r in results] == sorted(r.doc_id for r in results)  # input order
    assert [r.pages for r in results] == [1, 1, 2] * 3
    # Cached pages always go through files; otherwise a one-page document's OCR and finish
    # are one task and its page never needs a file.
    assert sorted(window.handed) == [(1, cached)] * 6 + [(2, True)] * 3
    assert 2 <= window.peak <= batch.window_size(settings) == 4
    assert not any((tmp_path / "out" / ".work").iterdir())  # work folders cleaned up
    assert _calls(tmp_path / "bin") == 12
    assert warmed == ["ipdigitise-schemas"]  # once, beside the batch, not in its way


def test_a_cached_page_is_used_after_its_work_folder_was_made_afresh(
    api: PrefectApi, tmp_path: Path
) -> None:
    """The server's page cache holds the PageOcr, not a path into a work folder that the next
    run deletes: a second run over the same bytes reads no page again and writes the same."""
    inbox = _inbox(tmp_path / "inbox", 2)
    tess = _counting_tesseract(tmp_path / "bin")
    settings = _settings(tess)
    batch.run_batch([inbox], tmp_path / "a", settings)
    assert _calls(tmp_path / "bin") == 2
    batch.run_batch([inbox], tmp_path / "b", settings)  # another output folder: not "unchanged"
    assert _calls(tmp_path / "bin") == 2
    assert _outputs(tmp_path / "a") and _outputs(tmp_path / "a") == _outputs(tmp_path / "b")


def test_a_rerun_skips_every_document_and_changes_nothing(
    api: PrefectApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, warmed: list[str]
) -> None:
    monkeypatch.setattr(batch, "api_url", lambda: None)
    inbox = _inbox(tmp_path / "inbox", 3)
    (inbox / "broken.png").write_bytes(b"not an image")
    tess = _counting_tesseract(tmp_path / "bin")
    settings = _settings(tess)
    out = tmp_path / "out"
    first = batch.run_batch([inbox], out, settings)
    assert {r.doc_id: r.status for r in first}["broken"] == "quarantine"
    before = {**_outputs(out), "manifest": (out / "manifest.jsonl").read_bytes()}
    again = batch.run_batch([inbox], out, settings)
    assert {r.reason for r in again} == {UNCHANGED}
    assert [r.status for r in again] == [r.status for r in first]
    assert {**_outputs(out), "manifest": (out / "manifest.jsonl").read_bytes()} == before
    assert _calls(tmp_path / "bin") == 3
    assert len(warmed) == 1  # nothing to finish the second time: nothing compiled


def test_dask_workers_hand_pages_over_in_files_like_the_thread_pool(
    api: PrefectApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, warmed: list[str]
) -> None:
    """The OCR tasks run in Dask worker processes and write the pages' files there; the
    finish tasks (also on the workers) read them: the outputs are the thread pool's."""
    pytest.importorskip("prefect_dask")
    from flows.runners import make_task_runner

    monkeypatch.setattr(batch, "api_url", lambda: None)  # the workers' tasks write the files
    inbox = _inbox(tmp_path / "inbox", 3)
    tess = _counting_tesseract(tmp_path / "bin")
    settings = _settings(tess)
    batch.run_batch([inbox], tmp_path / "threads", settings)
    results = batch.run_batch(
        [inbox], tmp_path / "dask", settings, runner=make_task_runner("dask", 2)
    )
    assert {r.status for r in results} <= {"published", "review"}
    assert _calls(tmp_path / "bin") == 6  # really read on the workers, not taken from a cache
    assert _outputs(tmp_path / "threads") == _outputs(tmp_path / "dask") != {}
    assert len(warmed) == 1  # the thread-pool run only: Dask's workers validate, not this process

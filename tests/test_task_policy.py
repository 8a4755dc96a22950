"""Which failures the OCR task retries, and what its cache key depends on. No server needed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from flows.batch import _page_cache_key, _retry_transient
from flows.runners import heartbeats_only_for_a_server, make_task_runner, ocr_slot
from flows.settings import Settings
from flows.stages import PreparedPage
from ocr.errors import InputError, OcrError, OcrTimeoutError, OutputError
from tests.conftest import Overlap


class Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def result(self) -> None:
        raise self.exc


@pytest.mark.parametrize(
    ("exc", "retry"),
    [
        (OcrTimeoutError("Tesseract timed out"), True),
        (OutputError("disk full"), True),
        (OSError(5, "Input/output error"), True),
        (OcrError("Tesseract crashed on bad pixels"), False),
        (InputError("truncated PNG"), False),
        (FileNotFoundError("gone"), False),
        (ValueError("a bug"), False),
    ],
)
def test_only_transient_failures_are_retried(exc: BaseException, retry: bool) -> None:
    assert _retry_transient(None, None, Failed(exc)) is retry


def test_the_page_cache_key_follows_content_settings_index_and_dpi(tmp_path: Path) -> None:
    page = tmp_path / "page-0001.pgm"
    page.write_bytes(b"P5 1 1 255 \x00")
    base = Settings()

    def key(index: int = 0, dpi: float = 300.0, settings: Settings = base) -> str | None:
        return _page_cache_key(None, {"page": PreparedPage(index=index, path=page, dpi=dpi),
                                      "settings": settings})  # fmt: skip

    first = key()
    assert first == key()
    assert first == key(settings=Settings(ocr={"workers": 7}))  # workers do not change outputs
    others = {
        key(index=1),
        key(dpi=200),
        key(settings=Settings(ocr={"psm": 6})),
        key(settings=Settings(ocr={"tesseract_cmd": "/opt/other/tesseract"})),
        key(settings=Settings(ocr={"timeout": 0.5})),
    }
    assert first not in others and len(others) == 5
    page.write_bytes(b"P5 1 1 255 \xff")
    assert key() != first
    page.unlink()
    assert key() is None  # no key: the task runs and reports the missing file itself


def test_without_a_server_there_are_no_ocr_slots_and_the_pool_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with ocr_slot(3):  # must not try to reach any API
        pass
    # one thread per OCR worker plus the preparers (one per four workers)
    assert make_task_runner("threads", 3)._max_workers == 4  # type: ignore[attr-defined]
    assert make_task_runner("threads", 8)._max_workers == 10  # type: ignore[attr-defined]
    with pytest.raises(ValueError):
        make_task_runner("threads", 2, "tcp://127.0.0.1:8786")


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_no_more_pages_are_read_at_once_than_there_are_workers(
    monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """The task pool has more threads than OCR workers; the process's OCR slots hold the
    readings to `workers` at once, whatever the number of threads asking."""
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    overlap = Overlap()

    def read(_: int) -> None:
        with ocr_slot(workers), overlap.inside(hold=0.03):
            pass

    with ThreadPoolExecutor(workers + 3) as pool:
        list(pool.map(read, range(4 * workers + 4)))
    assert overlap.peak == workers


def test_flow_run_heartbeats_are_off_on_the_temporary_api_only() -> None:
    """Prefect's flow engine reads this setting; None starts no heartbeat thread (whose join
    costs up to a second at the end of each run). A server keeps its heartbeats."""
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: None}), heartbeats_only_for_a_server():
        assert get_current_settings().flows.heartbeat_frequency is None
    server = "http://127.0.0.1:4200/api"
    with temporary_settings(updates={PREFECT_API_URL: server}), heartbeats_only_for_a_server():
        assert get_current_settings().flows.heartbeat_frequency == 180  # Prefect's default
    assert get_current_settings().flows.heartbeat_frequency == 180  # and only inside

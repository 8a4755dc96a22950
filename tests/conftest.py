"""Shared test set-up: Prefect kept in a temporary home with telemetry off, paths to fixtures."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from ocr.models import PageOcr, Word

# helper modules of the tests (runcli, badinput, faketess, ...) are imported by their own names
sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SAMPLES = ROOT / "sample_scans"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
RESOURCES = Path(__file__).resolve().parent / "resources"
REPO = ROOT

# Before anything imports Prefect: no ~/.prefect, no telemetry, patient ephemeral server.
_prefect_home = tempfile.mkdtemp(prefix="ipd-test-prefect-")
os.environ["PREFECT_HOME"] = _prefect_home
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.pop("PREFECT_API_URL", None)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_prefect_home, ignore_errors=True)


def shared_path(*parts: str) -> Path:
    """A path in ../shared, or skip the test: a user's clone has no ../shared."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared is not present ({path}); this test needs the shared data set")
    return path


@pytest.fixture(scope="session")
def tesseract_available() -> None:
    if shutil.which("tesseract") is None:
        pytest.skip("Tesseract is not installed (run `make test`, which installs it)")


def draw_label_page(folder: Path) -> Path:
    """A 1400x400 page with two printed labels ("Appl. No.: 15/947,048" at y 80-130 and "Filed:
    Apr. 6, 2018" at y 260-310), for second readings of field crops."""
    import cv2
    import numpy as np

    pixels = np.full((400, 1400), 255, dtype=np.uint8)
    cv2.putText(pixels, "Appl. No.: 15/947,048", (60, 120), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 0, 3)
    cv2.putText(pixels, "Filed: Apr. 6, 2018", (60, 300), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 0, 3)
    path = folder / "page.pgm"
    cv2.imwrite(str(path), pixels)
    return path


class Overlap:
    """The most callers ever inside `inside()` at once (for tests of concurrency limits)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = self.peak = 0

    @contextmanager
    def inside(self, hold: float = 0.0) -> Iterator[None]:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            time.sleep(hold)
            yield
        finally:
            with self._lock:
                self.now -= 1


def load_fixture(name: str) -> dict[str, Any]:
    """A recorded document from tests/resources/fulltext (see its README)."""
    return json.loads(gzip.decompress((RESOURCES / "fulltext" / f"{name}.json.gz").read_bytes()))


def fixture_pages(data: dict[str, Any]) -> list[PageOcr]:
    return [PageOcr.model_validate(p) for p in data["pages"]]


def line_words(text: str, x: int, y: int, *, key: tuple[int, int, int], char: int = 20,
               height: int = 30, conf: float = 0.95) -> list[Word]:  # fmt: skip
    """Words of one printed line starting at (x, y), one character = `char` pixels."""
    out = []
    for token in text.split():
        w = len(token) * char
        out.append(Word(text=token, bbox=(x, y, x + w, y + height), confidence=conf,
                        block=key[0], par=key[1], line=key[2]))  # fmt: skip
        x += w + char
    return out


def page_of(lines: list[tuple[int, int, str]], *, index: int = 0, width: int = 2480,
            height: int = 3508, conf: float = 0.95) -> PageOcr:  # fmt: skip
    """A page whose lines are (x, y, text); each line is its own Tesseract line."""
    words: list[Word] = []
    for i, (x, y, text) in enumerate(lines, 1):
        words += line_words(text, x, y, key=(i, 1, 1), conf=conf)
    return PageOcr(index=index, width=width, height=height, dpi=300.0, words=tuple(words))


def column(texts: list[str], *, x: int = 300, y: int = 400, pitch: int = 45,
           indent: dict[int, int] | None = None) -> list[tuple[int, int, str]]:  # fmt: skip
    """Lines of one column; `indent` maps line numbers to extra pixels; '' is a blank line."""
    out = []
    for i, text in enumerate(texts):
        if text:
            out.append((x + (indent or {}).get(i, 0), y + i * pitch, text))
    return out


needs_shared = pytest.mark.skipif(
    not (SHARED / "data" / "patent-xml-samples").exists(),
    reason=f"needs the shared data folder {SHARED} beside the repository",
)


from runcli import CliResult, PrefectApi, RunCli, cli_command, cli_env, free_port, healthy  # noqa: E402

__all__ = ["CliResult", "RunCli"]


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectApi]:
    """A real Prefect API server on a free port (started once, ~5-10 s)."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    env.pop("PREFECT_API_URL", None)
    log = (home / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
         "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while not healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Prefect server did not start; see {home / 'server.log'}")
            time.sleep(0.5)
        yield PrefectApi(url=url, home=home)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def run_cli(prefect_api: PrefectApi) -> RunCli:
    """Run `python -m flows run ARGS` to completion; returns code and output."""

    def run(
        *args: str,
        tesseract: Path | str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 300,
        preexec_fn: Callable[[], None] | None = None,
    ) -> CliResult:
        proc = subprocess.run(
            cli_command(*args),
            cwd=ROOT,
            env=cli_env(prefect_api, tesseract, **(env or {})),
            capture_output=True,
            text=True,
            errors="backslashreplace",
            timeout=timeout,
            preexec_fn=preexec_fn,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run

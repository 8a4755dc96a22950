"""Shared test set-up: Prefect kept in a temporary home with telemetry off, paths to fixtures."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SAMPLES = ROOT / "sample_scans"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

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

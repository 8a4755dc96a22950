"""Running the real CLI as a child process against a Prefect API (helpers for the tests)."""

from __future__ import annotations

import os
import shutil
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass(frozen=True)
class PrefectApi:
    url: str
    home: Path


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


RunCli = Callable[..., CliResult]


def cli_env(api: PrefectApi, tesseract: Path | str | None = None, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "PREFECT_API_URL": api.url,
        "PREFECT_HOME": str(api.home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "COLUMNS": "200",
    }
    if tesseract is not None:
        env["IPDIGITISE_OCR__TESSERACT_CMD"] = str(tesseract)
    env.update(extra)
    return env


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "flows", "run", *args]


requires_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="needs the real Tesseract binary (tesseract-ocr)"
)

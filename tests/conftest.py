"""Shared fixtures: a Prefect API server for the test session, and a runner for the real CLI.

End-to-end tests run `python -m flows run ...` as a child process from the repository root (so
this checkout's code is imported), against one `prefect server start` shared by the session:
starting Prefect's temporary server in every child would cost ~9 s per run. PREFECT_HOME is a
temporary folder, so nothing lands in ~/.prefect.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from runcli import ROOT, CliResult, PrefectApi, RunCli, cli_command, cli_env, free_port, healthy

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

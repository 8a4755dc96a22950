"""Helpers for the tests that run against a real Prefect server: start it on a free loopback
port with its own PREFECT_HOME (SQLite), run child processes in their own process groups, and
read runs, task runs and artifacts back through the REST API."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_LOGGING_LEVEL="INFO",
        OMP_THREAD_LIMIT="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A child in its own session, so it and everything it starts can be stopped together."""
    fh = log.open("ab")
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip


def stop_group(
    proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, wait: float = 30, group: bool = True
) -> int | None:
    """Send `sig` to the child (and its group, if `group`), wait up to `wait` seconds for it to
    exit, then SIGKILL whatever is left of the group. Returns the exit code, None if it hung."""
    with contextlib.suppress(ProcessLookupError):
        if group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
    try:
        code = proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        code = None
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # stragglers (Tesseract, Dask workers)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
    return code


def wait_for(what: str, check: Callable[[], Any], timeout: float, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


@dataclass
class PrefectServer:
    url: str  # .../api
    home: Path
    proc: subprocess.Popen[bytes]
    log: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = base_env(self.home)
        env["PREFECT_API_URL"] = self.url
        env.update(extra)
        return env

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._call("POST", path, body or {})

    def get(self, path: str) -> Any:
        return self._call("GET", path, None)

    def _call(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        """One API call; a 503 (SQLite busy under load: the server says "try again") is retried
        a few times, as Prefect's own client does, anything else fails the test at once."""
        for attempt in range(6):
            r = httpx.request(method, f"{self.url}{path}", json=body, timeout=30)
            if r.status_code != 503 or attempt == 5:
                break
            time.sleep(1 + attempt)
        r.raise_for_status()
        return r.json()

    def deployments(self) -> dict[str, dict[str, Any]]:
        return {d["name"]: d for d in self.post("/deployments/filter")}

    def flow_runs(self, deployment_id: str | None = None) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"sort": "EXPECTED_START_TIME_ASC"}
        if deployment_id:
            body["flow_runs"] = {"deployment_id": {"any_": [deployment_id]}}
        return list(self.post("/flow_runs/filter", body))

    def task_runs(self, flow_run_id: str) -> list[dict[str, Any]]:
        return list(self.post("/task_runs/filter", {"flow_runs": {"id": {"any_": [flow_run_id]}}}))

    def artifacts(self, flow_run_id: str) -> list[dict[str, Any]]:
        return list(
            self.post("/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}})
        )


@contextlib.contextmanager
def prefect_server(home: Path, timeout: float = 120) -> Iterator[PrefectServer]:
    """`prefect server start` on a free loopback port; stopped (whole group) on exit."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = home / "server.log"
    prefect = Path(sys.executable).with_name("prefect")
    cmd = [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    proc = start(cmd, base_env(home), log)
    server = PrefectServer(f"http://127.0.0.1:{port}/api", home, proc, log)
    try:

        def healthy() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"prefect server exited: {log.read_text()[-2000:]}")
            try:
                return httpx.get(f"{server.url}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for("the Prefect server to answer /api/health", healthy, timeout)
        yield server
    finally:
        stop_group(proc, signal.SIGTERM, wait=15)


def python_m_flows(*args: str) -> list[str]:
    return [sys.executable, "-m", "flows", *args]


def copy_slowly(source: Path, target: Path, chunks: int, pause: float) -> None:
    """Write `target` under its final name in `chunks` pieces, `pause` seconds apart, as a slow
    network copy would: any reader that does not wait sees a truncated file."""
    data = source.read_bytes()
    step = -(-len(data) // chunks)
    with target.open("wb") as fh:
        for i in range(0, len(data), step):
            fh.write(data[i : i + step])
            fh.flush()
            os.fsync(fh.fileno())
            time.sleep(pause)

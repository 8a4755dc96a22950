"""Which Prefect API a command uses, decided before Prefect is imported (importing it takes 1-2 s).

The first rule that applies wins:

1. `PREFECT_API_URL` is set (environment, or the active Prefect profile): that server; nothing
   else is looked at.
2. `[prefect] reuse_local_server` (on by default): a Prefect server answering /health at
   `[prefect] local_server_url` (loopback only; default `http://127.0.0.1:4200/api`) within
   0.3 s, whose `PREFECT_HOME` (from its /admin/settings) is this command's, is used as if
   `PREFECT_API_URL` named it: it is the user's own server, on the database a temporary server
   would use. A server of another home (a test's, another user's) is never picked up, nor is
   one when a Prefect settings file in the working folder could name another API.
3. Prefect's temporary server. With `[prefect] early_start` (on by default) it is started at
   once, with the command line and settings Prefect itself would use, while the command checks
   its inputs and imports Prefect; once it answers it is handed to Prefect's own
   `SubprocessASGIServer`, so Prefect uses it exactly as if it had started it, only sooner.
   Anything unexpected (Prefect configured another way, the server not coming up, another
   Prefect version's internals) stops it and leaves Prefect to start its own, as before.

The early server is stopped when the command exits (normally, on an error or Ctrl-C), and on
Linux also when the command is killed: the kernel sends it SIGTERM when its parent dies.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import ipaddress
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

log = logging.getLogger("ipdigitise.prefect_api")

PROBE_TIMEOUT = 0.3  # seconds for /api/health when looking for a local server
# Then its settings (to compare PREFECT_HOME): a server's first answer there takes ~1 s on a
# busy 2-core machine (measured), later ones ~15 ms.
SETTINGS_TIMEOUT = 3.0
# Files in the working folder from which Prefect may read settings (PREFECT_API_URL included)
# that this module does not parse: with one present the local-server rule stands aside.
PREFECT_CONFIG_FILES = ("prefect.toml", ".env")
# What Prefect's SubprocessASGIServer adds to the environment of its temporary server.
_SERVER_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
               "PREFECT__SERVER_FINAL": "1"}  # fmt: skip

# Services of a temporary server that serve nobody: it has no UI and stops with the command, so
# its task-run records, stored events and automations (those of the home's database) only cost
# CPU: 2.2 of its 7 CPU s in a 60-page batch (bench/README.md). Flow runs, their logs and
# artifacts are still recorded. A server the command finds or is pointed at is left as it is.
_QUIET_SERVICES = {f"PREFECT_SERVER_SERVICES_{name}_ENABLED": "false"
                   for name in ("TASK_RUN_RECORDER", "EVENT_PERSISTER", "TRIGGERS")}  # fmt: skip

ApiKind = Literal["configured", "reused", "temporary"]


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def prefect_home() -> Path:
    return Path(os.environ.get("PREFECT_HOME") or "~/.prefect").expanduser().resolve()


def configured_api_url(cwd: Path | None = None) -> str | None:
    """PREFECT_API_URL as Prefect will see it, from the environment or the active profile.

    Returns "" (configured elsewhere, unknown) when a Prefect settings file in `cwd` or
    pyproject.toml's [tool.prefect] could set it: such a setup is left to Prefect.
    """
    url = os.environ.get("PREFECT_API_URL", "").strip()
    if url:
        return url
    profiles = Path(os.environ.get("PREFECT_PROFILES_PATH") or prefect_home() / "profiles.toml")
    try:
        data = tomllib.loads(profiles.expanduser().read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        data = {}
    active = os.environ.get("PREFECT_PROFILE") or data.get("active") or "ephemeral"
    profile = data.get("profiles", {}).get(active, {})
    if isinstance(profile, dict) and str(profile.get("PREFECT_API_URL") or "").strip():
        return str(profile["PREFECT_API_URL"]).strip()
    here = cwd or Path.cwd()
    if any((here / name).is_file() for name in PREFECT_CONFIG_FILES):
        return ""
    with contextlib.suppress(OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        if "prefect" in tomllib.loads((here / "pyproject.toml").read_text("utf-8")).get("tool", {}):
            return ""
    return None


def _get(url: str, timeout: float) -> tuple[int, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port or 80, timeout=timeout)
    try:
        conn.request("GET", parts.path or "/")
        response = conn.getresponse()
        return response.status, response.read(1_000_000)
    finally:
        conn.close()


def local_server_matches(
    url: str, home: Path, timeout: float = PROBE_TIMEOUT, settings_timeout: float = SETTINGS_TIMEOUT
) -> bool:
    """A Prefect server answers at `url` (loopback only) and runs with PREFECT_HOME `home`."""
    if not url.startswith("http://") or not is_loopback_url(url):
        return False
    base = url.rstrip("/")
    try:
        status, body = _get(f"{base}/health", timeout)
        if status != 200 or body.strip() != b"true":
            return False
        status, body = _get(f"{base}/admin/settings", settings_timeout)
        if status != 200:
            return False
        server_home = json.loads(body).get("home")
    except (OSError, http.client.HTTPException, ValueError, AttributeError):
        return False
    if not isinstance(server_home, str):
        return False
    try:
        return Path(server_home).expanduser().resolve() == home
    except (OSError, RuntimeError):
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn asking Linux to send SIGTERM to the child when this process dies."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before the line above took effect
            os._exit(1)

    return preexec


@dataclass
class EarlyServer:
    """Prefect's temporary API server, started before Prefect is imported."""

    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    started: float = field(default_factory=time.perf_counter)
    ready_after: float | None = None  # seconds from start to the first healthy answer

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> None:
        """The command line of SubprocessASGIServer._run_uvicorn_command (Prefect 3.9), with
        `_QUIET_SERVICES` off unless the environment says otherwise."""
        spec = find_spec("prefect")
        locations = list(spec.submodule_search_locations or []) if spec else []
        app_dir = ["--app-dir", str(Path(locations[0]).parent)] if locations else []
        self.port = _free_port()
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", *app_dir, "--factory",
             "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port",
             str(self.port), "--log-level", "error", "--lifespan", "on"],
            env={**_QUIET_SERVICES, **os.environ, **_SERVER_ENV}, stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches this command, which then stops the server
            preexec_fn=_die_with_parent(),
        )  # fmt: skip
        atexit.register(self.stop)

    def healthy(self) -> bool:
        try:
            return _get(f"{self.api_url}/health", 2.0)[0] == 200
        except (OSError, http.client.HTTPException):
            return False

    def wait_ready(self, timeout: float) -> bool:
        """Wait until the server answers; False if it exited or did not answer in time."""
        deadline = time.monotonic() + timeout
        while self.proc is not None and self.proc.poll() is None:
            if self.healthy():
                self.ready_after = time.perf_counter() - self.started
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class ApiChoice:
    kind: ApiKind
    url: str | None = None  # None: Prefect's temporary server, started early or by Prefect
    server: EarlyServer | None = None

    def describe(self) -> str:
        if self.kind == "configured":
            return f"Prefect API {self.url} (PREFECT_API_URL)" if self.url else \
                "Prefect API as configured in the Prefect settings"  # fmt: skip
        if self.kind == "reused":
            return f"Prefect API {self.url} (local server, reused)"
        return "Prefect API: a temporary local server"

    def close(self) -> None:
        """Stop the early temporary server now (it is also stopped at exit)."""
        if self.server is not None:
            self.server.stop()


def choose_api(reuse_local_server: bool, local_server_url: str) -> ApiChoice:
    """Rules 1 and 2 of the module docstring; sets PREFECT_API_URL when a server is reused.
    Call before Prefect is imported (it reads its settings once, at import)."""
    configured = configured_api_url()
    if configured is not None:
        return ApiChoice("configured", configured or None)
    if reuse_local_server and local_server_matches(local_server_url, prefect_home()):
        os.environ["PREFECT_API_URL"] = local_server_url
        return ApiChoice("reused", local_server_url)
    return ApiChoice("temporary")


def start_early(choice: ApiChoice) -> None:
    """Rule 3: start the temporary server now (call after the process environment is final)."""
    if choice.kind == "temporary" and choice.server is None:
        server = EarlyServer()
        try:
            server.start()
        except OSError as exc:  # Prefect will try again itself
            log.warning("could not start the temporary Prefect server early: %s", exc)
            return
        choice.server = server


def hand_over(choice: ApiChoice, while_waiting: Callable[[], None] | None = None) -> None:
    """Give the early server to Prefect once it answers (Prefect is imported here), or stop it
    and let Prefect start its own. Call just before the first flow run. `while_waiting` is
    started once Prefect is imported, before the wait (with no early server, not at all): work
    that can use the CPU the booting server leaves idle."""
    server = choice.server
    if server is None:
        return
    timeout = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS") or 120)
    try:
        # Imported before waiting (Prefect imports it anyway): ~1.5 s while the server boots.
        from prefect.server.api.server import SubprocessASGIServer  # noqa: F401
        from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

        if while_waiting is not None:
            while_waiting()
        if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
            reason = "Prefect is configured for another API"
        elif not server.wait_ready(timeout):
            reason = "it did not answer"
        elif not _register(server):
            reason = "this Prefect version's temporary-server object is not as expected"
        else:
            log.info("temporary Prefect server on %s ready %.1f s after start", server.api_url,
                     server.ready_after or 0.0)  # fmt: skip
            return
    except BaseException:
        server.stop()
        choice.server = None
        raise
    log.warning("early temporary Prefect server not used (%s); Prefect starts its own", reason)
    server.stop()
    choice.server = None


def _register(server: EarlyServer) -> bool:
    """Make `server` the process's ephemeral server in Prefect (the object get_client uses)."""
    from prefect.server.api.server import SubprocessASGIServer

    ephemeral = SubprocessASGIServer()
    expected = ("running", "server_process", "port")
    if not all(hasattr(ephemeral, name) for name in expected) or ephemeral.running:
        return False
    ephemeral.port = server.port
    ephemeral.server_process = server.proc
    ephemeral.running = True
    return ephemeral.api_url == server.api_url

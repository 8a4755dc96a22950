"""Start-up of `ipdigitise run` against real Prefect servers (flows/prefect_api.py).

A `prefect server start` on a free loopback port with its own PREFECT_HOME stands for the user's
local server: `run` uses it when it belongs to the same PREFECT_HOME, and not when the setting
is off, when the home differs, or when PREFECT_API_URL names another server. Without a server,
the temporary one started at the beginning of `run` must be gone once the command ends: after a
normal run, an error, Ctrl-C (SIGINT) and SIGKILL. OCR is the recorded fake Tesseract
(tests/faketess.py) so the runs are short; the page image is drawn by the test.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from faketess import fake_tesseract
from ops_support import REPO, PrefectServer, base_env, prefect_server, python_m_flows, wait_for
from PIL import Image, ImageDraw
from runcli import free_port

pytestmark = [
    pytest.mark.server,
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc (Linux)"),
]

REUSED = "(local server, reused)"
TEMPORARY = "Prefect API: a temporary local server"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    with prefect_server(tmp_path_factory.mktemp("user-home")) as srv:
        yield srv


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inbox")
    img = Image.new("L", (640, 720), 255)
    ImageDraw.Draw(img).text((40, 60), "US 1,234,567 B2", fill=0, font_size=32)
    buf = io.BytesIO()
    img.save(buf, "PNG", dpi=(300, 300))
    (folder / "doc-1.png").write_bytes(buf.getvalue())
    return folder


@pytest.fixture(scope="module")
def tesseract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fake_tesseract(tmp_path_factory.mktemp("bin"), "ok")


def _env(home: Path, tesseract: Path, **extra: str) -> dict[str, str]:
    env = base_env(home)  # no PREFECT_API_URL, telemetry off
    env.update(IPDIGITISE_OCR__TESSERACT_CMD=str(tesseract), COLUMNS="200",
               PREFECT_LOGGING_LEVEL="WARNING", **extra)  # fmt: skip
    return env


def _run(out: Path, inbox: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        python_m_flows("run", str(inbox), "--out", str(out)), cwd=REPO, env=env,
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def _processes_of(home: Path, needle: str = "") -> list[int]:
    """Processes whose environment has PREFECT_HOME=home (and `needle` in their command line)."""
    marker = f"PREFECT_HOME={home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            if needle.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def _alive(pid: int) -> bool:
    """Running (an exited child whose new parent has not reaped it yet is a zombie, not alive)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _no_processes_left(home: Path) -> None:
    wait_for(f"the processes of {home} to end", lambda: not _processes_of(home), 30, every=0.2)


def _runs(server: PrefectServer) -> int:
    return len(server.flow_runs())


def test_a_local_server_of_the_same_home_is_reused(
    server: PrefectServer, inbox: Path, tesseract: Path, tmp_path: Path
) -> None:
    before = _runs(server)
    env = _env(server.home, tesseract, IPDIGITISE_PREFECT__LOCAL_SERVER_URL=server.url)
    result = _run(tmp_path / "out", inbox, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Prefect API {server.url} {REUSED}" in result.stderr
    assert TEMPORARY not in result.stderr
    assert _runs(server) == before + 1  # the run is in the user's server


def test_the_setting_turns_reuse_off(
    server: PrefectServer, inbox: Path, tesseract: Path, tmp_path: Path
) -> None:
    env = _env(server.home, tesseract, IPDIGITISE_PREFECT__LOCAL_SERVER_URL=server.url,
               IPDIGITISE_PREFECT__REUSE_LOCAL_SERVER="false")  # fmt: skip
    result = _run(tmp_path / "out", inbox, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert TEMPORARY in result.stderr and REUSED not in result.stderr


def test_a_server_of_another_home_is_not_reused(
    server: PrefectServer, inbox: Path, tesseract: Path, tmp_path: Path
) -> None:
    """As in the test suite itself: a temporary PREFECT_HOME never picks up the user's server.
    The temporary server started instead is gone when the command ends."""
    before = _runs(server)
    home = tmp_path / "other-home"
    env = _env(home, tesseract, IPDIGITISE_PREFECT__LOCAL_SERVER_URL=server.url)
    result = _run(tmp_path / "out", inbox, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert TEMPORARY in result.stderr and REUSED not in result.stderr
    assert "start-up " in result.stderr
    assert _runs(server) == before
    assert (tmp_path / "out" / "manifest.jsonl").exists()
    _no_processes_left(home)


def test_prefect_api_url_is_never_replaced_by_the_local_server(
    server: PrefectServer, inbox: Path, tesseract: Path, tmp_path: Path
) -> None:
    before = _runs(server)
    dead = f"http://127.0.0.1:{free_port()}/api"
    env = _env(server.home, tesseract, IPDIGITISE_PREFECT__LOCAL_SERVER_URL=server.url,
               PREFECT_API_URL=dead)  # fmt: skip
    result = _run(tmp_path / "out", inbox, env)
    assert result.returncode == 7, result.stdout + result.stderr
    assert f"the Prefect API at {dead} does not answer" in result.stderr
    assert _runs(server) == before


def test_early_server_is_stopped_when_the_command_fails(
    inbox: Path, tesseract: Path, tmp_path: Path
) -> None:
    """The server starts before Tesseract's languages are checked; a missing one ends the run."""
    home = tmp_path / "home"
    env = _env(home, tesseract, IPDIGITISE_OCR__LANG="xyz")
    result = _run(tmp_path / "out", inbox, env)
    assert result.returncode == 4, result.stdout + result.stderr
    _no_processes_left(home)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "sigkill"])
def test_early_server_does_not_outlive_an_interrupted_command(
    inbox: Path, tesseract: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    """Interrupted while the temporary server boots: the server goes too (SIGKILL leaves no
    chance to clean up; the kernel's parent-death signal stops it)."""
    home = tmp_path / "home"
    log = (tmp_path / "run.log").open("wb")
    proc = subprocess.Popen(
        python_m_flows("run", str(inbox), "--out", str(tmp_path / "out")), cwd=REPO,
        env=_env(home, tesseract), stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        servers = wait_for("the temporary server", lambda: _processes_of(home, "uvicorn"), 60, 0.05)
        assert proc.poll() is None
        proc.send_signal(sig)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    assert code != 0, (tmp_path / "run.log").read_text()
    _no_processes_left(home)
    assert not [pid for pid in servers if _alive(pid)]


def test_help_does_not_import_prefect() -> None:
    """`ipdigitise --help` and the commands without flows stay quick to start."""
    code = (
        "import sys\n"
        "from flows.cli import app\n"
        "try:\n"
        "    app(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('prefect' in sys.modules, 'cv2' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert result.stdout.strip().splitlines()[-1] == "False False", result.stdout + result.stderr


def test_the_server_started_early_serves_the_run(
    inbox: Path, tesseract: Path, tmp_path: Path
) -> None:
    """The run's flow went to the early server (no second temporary server was started)."""
    home = tmp_path / "home"
    env = _env(home, tesseract)
    proc = subprocess.Popen(
        python_m_flows("run", str(inbox), "--out", str(tmp_path / "out")), cwd=REPO, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    seen: set[int] = set()
    while proc.poll() is None:
        seen.update(_processes_of(home, "uvicorn"))
        time.sleep(0.05)
    output = proc.stdout.read() if proc.stdout else ""
    assert proc.returncode == 0, output
    assert len(seen) == 1, f"temporary servers started: {sorted(seen)}"
    _no_processes_left(home)

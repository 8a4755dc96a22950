"""Faults of the environment, injected through the real interfaces: a crashing, failing, hanging
or silent Tesseract (fake scripts through the `ocr.tesseract_cmd` setting), missing language
packs, a full disk (RLIMIT_FSIZE on the child process: writes past the limit fail with EFBIG as
they would with ENOSPC), a Prefect API that is down or goes away mid-run (a TCP forwarder that
is cut), an output folder already in use, and output folders that lead outside --out.

Each must give a clear error, retry what is transient, and lose nothing: every input still ends
exactly once in published/, review/ or quarantine/ once the fault is gone.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import resource
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from faketess import fake_tesseract
from invariants import outcome_folders, settled_problems, visible_problems
from PIL import Image, ImageDraw
from runcli import ROOT, PrefectApi, RunCli, cli_command, cli_env, free_port
from tcpproxy import TcpProxy

from flows.publish import read_manifest
from flows.recovery import output_lock

pytestmark = pytest.mark.slow


def _png(text: str) -> bytes:
    img = Image.new("L", (640, 720), 255)
    ImageDraw.Draw(img).text((40, 60), text, fill=0, font_size=32)
    buf = io.BytesIO()
    img.save(buf, "PNG", dpi=(300, 300))
    return buf.getvalue()


def _inbox(folder: Path, names: list[str]) -> Path:
    folder.mkdir()
    for name in names:
        (folder / f"{name}.png").write_bytes(_png(name))
    return folder


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _reason(out: Path, doc_id: str) -> str:
    return (out / "quarantine" / doc_id / "REASON.txt").read_text()


def test_tesseract_faults_in_one_batch(run_cli: RunCli, tmp_path: Path) -> None:
    """Crash, non-zero exit, hang, transient hang and no output, all in one batch with a good
    document: each gets its typed outcome, the hang is stopped by ocr.timeout and retried."""
    names = ["crash-1", "fail-1", "hang-1", "flaky-1", "silent-1", "good-1"]
    inbox = _inbox(tmp_path / "inbox", names)
    out = tmp_path / "out"
    tess = fake_tesseract(tmp_path / "bin", "by-name")
    env = {"IPDIGITISE_OCR__TIMEOUT": "2", "IPDIGITISE_OCR__RETRIES": "1"}
    result = run_cli(str(inbox), "--out", str(out), "--workers", "2", tesseract=tess, env=env)
    assert result.returncode == 0, result.output
    assert settled_problems(out, set(names)) == []
    where = {doc: statuses[0] for doc, statuses in outcome_folders(out).items()}
    # the two readable documents replay a recorded page: published or review depends on the
    # gate's confidence rules, not on the fault; what matters is that they are not quarantined
    readable = {"flaky-1", "good-1"}
    assert {d: s for d, s in where.items() if d not in readable} == {
        "crash-1": "quarantine", "fail-1": "quarantine", "hang-1": "quarantine",
        "silent-1": "quarantine",
    }  # fmt: skip
    assert {where[d] for d in readable} <= {"published", "review"}
    assert _reason(out, "crash-1").startswith("ocr-crashed: Tesseract crashed (SIGSEGV) on page 1")
    assert _reason(out, "fail-1").startswith("ocr-failed: Tesseract failed (exit 1) on page 1: Error in pixReadStream")  # fmt: skip
    assert _reason(out, "hang-1").startswith("ocr-timeout: Tesseract took longer than 2 s")
    assert _reason(out, "silent-1").startswith("ocr-no-output: Tesseract produced no output")
    for doc in ("crash-1", "fail-1", "hang-1", "silent-1"):  # the input is kept with its reason
        assert (out / "quarantine" / doc / f"{doc}.png").read_bytes() == (inbox / f"{doc}.png").read_bytes()  # fmt: skip
    # a hang is attempted 1 + retries times; every hung process was stopped
    pids = (tmp_path / "bin" / "state-by-name" / "pids").read_text().split()
    assert len(pids) == 3  # hang-1 twice, flaky-1 once (then it answered)
    for pid in map(int, pids):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_language_pack_missing(run_cli: RunCli, tmp_path: Path) -> None:
    inbox = _inbox(tmp_path / "inbox", ["doc-1", "doc-2"])
    before = _digest(inbox)
    out = tmp_path / "out"
    ok = fake_tesseract(tmp_path / "bin", "ok")

    # at start: refused before any work, with the package to install
    result = run_cli(str(inbox), "--out", str(out), "--lang", "eng+fra", tesseract=ok)
    assert result.returncode == 4
    assert "tesseract-ocr-fra" in result.output and "Traceback" not in result.output
    assert not out.exists()

    # at run time (the pack vanished): the documents fail, nothing is written, inputs untouched
    gone = fake_tesseract(tmp_path / "bin", "nolang")
    result = run_cli(str(inbox), "--out", str(out), tesseract=gone)
    assert result.returncode == 8, result.output
    assert "LanguageMissingError" in result.output and "run again" in result.output
    assert outcome_folders(out) == {} and read_manifest(out) == {}
    assert _digest(inbox) == before

    result = run_cli(str(inbox), "--out", str(out), tesseract=ok)
    assert result.returncode == 0, result.output
    assert settled_problems(out, {"doc-1", "doc-2"}) == []


@pytest.mark.parametrize(
    ("cmd", "message"),
    [("/nonexistent/tesseract", "Tesseract was not found"), ("/bin/echo", "does not answer like Tesseract")],
)  # fmt: skip
def test_tesseract_missing_or_not_tesseract(
    run_cli: RunCli, tmp_path: Path, cmd: str, message: str
) -> None:
    inbox = _inbox(tmp_path / "inbox", ["doc-1"])
    result = run_cli(str(inbox), "--out", str(tmp_path / "out"), tesseract=cmd)
    assert result.returncode == 3, result.output
    assert message in result.output and "apt-get install tesseract-ocr" in result.output
    assert "Traceback" not in result.output


def _limit_file_size(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_disk_full_fails_documents_without_losing_them(run_cli: RunCli, tmp_path: Path) -> None:
    """Files over 100 KB cannot be written (a page image for OCR is 460 KB): the good documents
    fail -- not quarantined, since they are not to blame -- and a later run does them."""
    inbox = _inbox(tmp_path / "inbox", ["doc-1", "doc-2"])
    (inbox / "junk.png").write_bytes(b"junk")
    before = _digest(inbox)
    out = tmp_path / "out"
    tess = fake_tesseract(tmp_path / "bin", "ok")
    full = run_cli(
        str(inbox), "--out", str(out), tesseract=tess, preexec_fn=lambda: _limit_file_size(100_000)
    )
    assert full.returncode == 8, full.output
    assert "2 document(s) could not be written" in full.output
    assert "cannot write the work image" in full.output
    assert {d: s[0] for d, s in outcome_folders(out).items()} == {"junk": "quarantine"}
    assert visible_problems(out) == []
    assert _digest(inbox) == before

    again = run_cli(str(inbox), "--out", str(out), tesseract=tess)
    assert again.returncode == 0, again.output
    assert settled_problems(out, {"doc-1", "doc-2", "junk"}) == []


def test_prefect_api_unreachable_at_start(run_cli: RunCli, tmp_path: Path) -> None:
    inbox = _inbox(tmp_path / "inbox", ["doc-1"])
    dead = f"http://127.0.0.1:{free_port()}/api"
    tess = fake_tesseract(tmp_path / "bin", "ok")
    result = run_cli(
        str(inbox), "--out", str(tmp_path / "out"), tesseract=tess, env={"PREFECT_API_URL": dead}
    )
    assert result.returncode == 7, result.output
    assert f"the Prefect API at {dead} does not answer" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_prefect_api_lost_mid_run(prefect_api: PrefectApi, tmp_path: Path) -> None:
    """The API goes away once the first document is out: the run ends with a clear error (or
    finishes, if Prefect needed the API no more), and the next run completes the batch."""
    names = [f"doc-{i}" for i in range(1, 9)]
    inbox = _inbox(tmp_path / "inbox", names)
    out = tmp_path / "out"
    tess = fake_tesseract(tmp_path / "bin", "ok")
    proxy = TcpProxy(urlparse(prefect_api.url).port or 80)
    env = cli_env(
        prefect_api, tess,
        PREFECT_API_URL=f"http://127.0.0.1:{proxy.port}/api",
        PREFECT_CLIENT_MAX_RETRIES="0",
        IPDIGITISE_OCR__WORKERS="1",
    )  # fmt: skip
    proc = subprocess.Popen(
        cli_command(str(inbox), "--out", str(out)),
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while not outcome_folders(out) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proxy.cut()
    stdout, stderr = proc.communicate(timeout=300)
    output = stdout + stderr
    print(f"\nAPI cut after the first outcome: exit {proc.returncode}, "
          f"{len(outcome_folders(out))} of {len(names)} documents done")  # fmt: skip
    assert proc.returncode in (0, 7), output
    if proc.returncode == 7:
        assert "the Prefect API became unreachable during the run" in output
        assert "Run the same command again" in output
    assert visible_problems(out) == []

    again = subprocess.run(
        cli_command(str(inbox), "--out", str(out)),
        cwd=ROOT, env=cli_env(prefect_api, tess), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    assert settled_problems(out, set(names)) == []


def test_second_run_on_the_same_output_is_refused(run_cli: RunCli, tmp_path: Path) -> None:
    inbox = _inbox(tmp_path / "inbox", ["doc-1"])
    out = tmp_path / "out"
    tess = fake_tesseract(tmp_path / "bin", "ok")
    with output_lock(out):
        result = run_cli(str(inbox), "--out", str(out), tesseract=tess)
    assert result.returncode == 6, result.output
    assert "another ipdigitise run is writing to" in result.output
    assert "Traceback" not in result.output
    assert outcome_folders(out) == {}


def test_output_folders_leading_outside_out_are_refused(run_cli: RunCli, tmp_path: Path) -> None:
    """A status folder replaced by a link to elsewhere: nothing is written through it."""
    inbox = _inbox(tmp_path / "inbox", ["doc-1"])
    (inbox / "junk.png").write_bytes(b"junk")
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "review").symlink_to(elsewhere)
    (out / "quarantine").symlink_to(elsewhere)
    tess = fake_tesseract(tmp_path / "bin", "ok")
    result = run_cli(str(inbox), "--out", str(out), tesseract=tess)
    assert result.returncode == 8, result.output
    assert "refusing to write outside the output folder" in result.output
    assert list(elsewhere.iterdir()) == []
    assert json.loads(json.dumps(read_manifest(out))) == {}

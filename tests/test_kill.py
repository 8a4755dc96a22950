"""SIGKILL at random moments, then run again: nothing lost, nothing half-written, nothing twice.

The real CLI (`python -m flows run`) runs as a child process on a small inbox and is killed with
SIGKILL (its whole process group, as a power cut or `kill -9` of the service would) after a delay
drawn from a seeded generator, at least 20 times in one test. OCR uses the fake `tesseract`
script in `ok` mode (a recorded TSV written at once) through the real setting, so each run takes
seconds; everything else -- decoding, preprocessing, Prefect tasks, mapping, XML, validation,
publishing, the manifest -- is the production code.

Between kills the inbox changes as a live inbox would: new scans arrive, and one file flips
between a good scan and junk, so its outputs move between review/ and quarantine/ (the
replace-previous-outputs path is killed too). After every kill the visible state is checked;
every tenth trial, and after the last kill, a run is let finish and the settled state is
checked.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from faketess import fake_tesseract
from invariants import outcome_folders, settled_problems, visible_problems
from PIL import Image, ImageDraw
from runcli import ROOT, PrefectApi, cli_command, cli_env

pytestmark = pytest.mark.slow

SEED = 20_240_611
KILLS = 20


def _page(n: int) -> bytes:
    img = Image.new("L", (640, 720), 255)
    ImageDraw.Draw(img).text((50, 50), f"page {n}", fill=0, font_size=40)
    buf = io.BytesIO()
    img.save(buf, "PNG", dpi=(300, 300))
    return buf.getvalue()


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _written_since(out: Path, since: float) -> int:
    """Documents whose outputs were placed after `since` (by the run that was killed)."""
    return sum(
        1
        for status, folders in ((s, out / s) for s in ("published", "review", "quarantine"))
        if folders.is_dir()
        for doc in folders.iterdir()
        if (doc / "report.json").stat().st_mtime >= since
    )


READABLE = "readable"
"""A readable scan: published or review, whichever an uninterrupted run gives it."""


class Inbox:
    """A folder of scans that grows between runs; knows each document's expected outcome."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir()
        self.expected: dict[str, str] = {}
        self.count = 0
        for _ in range(6):
            self.add_scan()
        pages = folder / "folder-doc"
        pages.mkdir()
        for i in (1, 2):
            (pages / f"page-{i}.png").write_bytes(_page(100 + i))
        self.expected["folder-doc"] = READABLE
        (folder / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
        self.expected["junk"] = "quarantine"
        self.flip_good = False
        self.flip()

    def add_scan(self) -> None:
        self.count += 1
        (self.folder / f"scan-{self.count:03d}.png").write_bytes(_page(self.count))
        self.expected[f"scan-{self.count:03d}"] = READABLE

    def flip(self) -> None:
        self.flip_good = not self.flip_good
        data = _page(999) if self.flip_good else b"not an image at all\n"
        tmp = self.folder / ".flip.png.part"  # hidden while being written, like an upload
        tmp.write_bytes(data)
        os.replace(tmp, self.folder / "flip.png")
        self.expected["flip"] = READABLE if self.flip_good else "quarantine"


def _run(api: PrefectApi, tess: Path, inbox: Path, out: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as err:
        return subprocess.Popen(
            cli_command(str(inbox), "--out", str(out), "--workers", "2"),
            cwd=ROOT,
            env=cli_env(api, tess),
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )


def _manifest_size(out: Path) -> int:
    try:
        return (out / "manifest.jsonl").stat().st_size
    except FileNotFoundError:
        return 0


def _working(out: Path, since: float) -> bool:
    """A page image written by this run is in .work/ (a killed run's leftovers do not count)."""
    try:  # the run creates and deletes these folders while we look
        return any(p.stat().st_mtime >= since for p in (out / ".work").glob("*/page-*.pgm"))
    except FileNotFoundError:
        return False


def _manifest_grew(out: Path, size: int) -> bool:
    return _manifest_size(out) > size


def _wait_for(proc: subprocess.Popen[bytes], condition: Callable[[], bool], limit: float) -> bool:
    """Poll until `condition` holds (True) or the run ends or `limit` seconds pass (False)."""
    deadline = time.monotonic() + limit
    while proc.poll() is None and time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False


def test_sigkill_at_random_moments_loses_nothing(prefect_api: PrefectApi, tmp_path: Path) -> None:
    """Three kinds of moment, drawn by the seeded generator: `anytime` (a delay from the start,
    so start-up and recovery are hit too), `working` (a delay after the run's first page image
    appears in .work/), and `writing` (a few milliseconds after the run's first manifest line,
    while the next documents are being placed)."""
    rng = random.Random(SEED)
    tess = fake_tesseract(tmp_path / "bin", "ok")
    inbox = Inbox(tmp_path / "inbox")
    out = tmp_path / "out"
    logs = tmp_path / "logs"
    logs.mkdir()

    started = time.monotonic()
    ref = _run(prefect_api, tess, inbox.folder, out, logs / "reference.log")
    ref.wait(timeout=300)
    full_run = time.monotonic() - started
    assert ref.returncode == 0, (logs / "reference.log").read_text(errors="replace")
    assert settled_problems(out, set(inbox.expected)) == []
    (reference,) = out.glob("*/scan-001/scan-001.st96.xml")  # published or review
    reference_xml = reference.read_bytes()
    readable_status = reference.parent.parent.name

    kills, trials, finished_early, recovered_runs = 0, 0, 0, 0
    moments: list[tuple[str, float, int]] = []
    typical = full_run  # how long a run lasts lately: delays are drawn within it
    while kills < KILLS:
        trials += 1
        assert trials <= 3 * KILLS, "runs keep finishing before the kill: the delays are too long"
        for _ in range(1 + trials % 2):
            inbox.add_scan()
        if trials % 3 == 0:
            inbox.flip()
        inputs_before = _digest(inbox.folder)
        kind = rng.choice(["anytime", "working", "writing"])
        t0 = time.time()
        log = logs / f"trial-{trials:02d}.log"
        proc = _run(prefect_api, tess, inbox.folder, out, log)
        if kind == "anytime":
            triggered = not _wait_for(proc, lambda: False, rng.uniform(0.2, typical))
        elif kind == "working":
            triggered = _wait_for(proc, partial(_working, out, t0), 120)
            triggered = triggered and not _wait_for(
                proc, lambda: False, rng.uniform(0, typical / 2)
            )
        else:
            triggered = _wait_for(proc, partial(_manifest_grew, out, _manifest_size(out)), 120)
            triggered = triggered and not _wait_for(proc, lambda: False, rng.uniform(0, 0.05))
        if triggered and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            kills += 1
            moments.append((kind, round(time.time() - t0, 2), _written_since(out, t0)))
        else:
            proc.wait(timeout=300)
            assert proc.returncode == 0, log.read_text(errors="replace")
            finished_early += 1
            typical = time.time() - t0
        if "recovered after an interrupted run" in log.read_text(errors="replace"):
            recovered_runs += 1

        assert visible_problems(out) == [], f"trial {trials} ({moments[-1:]})"
        assert _digest(inbox.folder) == inputs_before, "an input was changed or removed"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "inbox", "logs", "out"]

        if trials % 10 == 0 or kills == KILLS:
            t0 = time.time()
            log = logs / f"settle-{trials:02d}.log"
            proc = _run(prefect_api, tess, inbox.folder, out, log)
            proc.wait(timeout=300)
            typical = time.time() - t0
            text = log.read_text(errors="replace")
            assert proc.returncode == 0, text
            if "recovered after an interrupted run" in text:
                recovered_runs += 1
            assert settled_problems(out, set(inbox.expected)) == [], f"after trial {trials}"
            where = outcome_folders(out)
            want = {d: readable_status if s == READABLE else s for d, s in inbox.expected.items()}
            assert {d: where[d][0] for d in inbox.expected} == want
            for doc_id, status in inbox.expected.items():
                if status == READABLE and doc_id.startswith("scan-"):
                    folder = out / readable_status / doc_id
                    xml = (folder / f"{doc_id}.st96.xml").read_bytes()
                    assert xml == reference_xml, f"{doc_id}: XML differs from an uninterrupted run"

    print(
        f"\nSIGKILL trials: {kills} kills survived in {trials} trials ({finished_early} runs "
        f"finished before their kill), {recovered_runs} runs recovered leftovers; "
        f"{len(inbox.expected)} documents; full run {full_run:.1f} s; "
        f"kills by kind {dict(Counter(m[0] for m in moments))}, "
        f"{sum(1 for m in moments if m[2])} after the killed run had placed outputs; "
        f"(kind, seconds, documents placed by the killed run): {moments}"
    )
    assert kills >= KILLS

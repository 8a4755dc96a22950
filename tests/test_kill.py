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
every fifth trial a run is let finish and the settled state is checked.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import signal
import subprocess
import time
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
        self.expected["folder-doc"] = "review"
        (folder / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
        self.expected["junk"] = "quarantine"
        self.flip_good = False
        self.flip()

    def add_scan(self) -> None:
        self.count += 1
        (self.folder / f"scan-{self.count:03d}.png").write_bytes(_page(self.count))
        self.expected[f"scan-{self.count:03d}"] = "review"

    def flip(self) -> None:
        self.flip_good = not self.flip_good
        data = _page(999) if self.flip_good else b"not an image at all\n"
        tmp = self.folder / ".flip.png.part"  # hidden while being written, like an upload
        tmp.write_bytes(data)
        os.replace(tmp, self.folder / "flip.png")
        self.expected["flip"] = "review" if self.flip_good else "quarantine"


def _run(api: PrefectApi, tess: Path, inbox: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        cli_command(str(inbox), "--out", str(out), "--workers", "2"),
        cwd=ROOT,
        env=cli_env(api, tess),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def test_sigkill_at_random_moments_loses_nothing(prefect_api: PrefectApi, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    tess = fake_tesseract(tmp_path / "bin", "ok")
    inbox = Inbox(tmp_path / "inbox")
    out = tmp_path / "out"

    started = time.monotonic()
    ref = _run(prefect_api, tess, inbox.folder, out)
    _, err = ref.communicate(timeout=300)
    full_run = time.monotonic() - started
    assert ref.returncode == 0, err.decode(errors="replace")
    assert settled_problems(out, set(inbox.expected)) == []
    reference_xml = (out / "review/scan-001/scan-001.st96.xml").read_bytes()

    kills, trials, finished_early, recovered_runs = 0, 0, 0, 0
    moments: list[tuple[float, int]] = []
    typical = full_run  # how long a run lasts lately: kills are drawn within it
    while kills < KILLS:
        trials += 1
        assert trials <= 3 * KILLS, "runs keep finishing before the kill: the delays are too long"
        inbox.add_scan()
        if trials % 2 == 0:
            inbox.add_scan()
        if trials % 3 == 0:
            inbox.flip()
        inputs_before = _digest(inbox.folder)
        delay = rng.uniform(0.2, typical)
        t0 = time.time()
        proc = _run(prefect_api, tess, inbox.folder, out)
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            kills += 1
            moments.append((round(delay, 2), _written_since(out, t0)))
        else:
            finished_early += 1
            typical = time.time() - t0
        assert proc.stderr is not None
        if b"recovered after an interrupted run" in proc.stderr.read():
            recovered_runs += 1

        assert visible_problems(out) == [], f"trial {trials} (delay {delay:.2f} s)"
        assert _digest(inbox.folder) == inputs_before, "an input was changed or removed"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "inbox", "out"]

        if trials % 5 == 0 or kills == KILLS:
            t0 = time.time()
            proc = _run(prefect_api, tess, inbox.folder, out)
            _, err = proc.communicate(timeout=300)
            typical = time.time() - t0
            text = err.decode(errors="replace")
            assert proc.returncode == 0, text
            if "recovered after an interrupted run" in text:
                recovered_runs += 1
            assert settled_problems(out, set(inbox.expected)) == [], f"after trial {trials}"
            where = outcome_folders(out)
            assert {d: where[d][0] for d in inbox.expected} == inbox.expected
            for doc_id, status in inbox.expected.items():
                if status == "review" and doc_id.startswith("scan-"):
                    xml = (out / status / doc_id / f"{doc_id}.st96.xml").read_bytes()
                    assert xml == reference_xml, f"{doc_id}: XML differs from an uninterrupted run"

    print(
        f"\nSIGKILL trials: {kills} kills survived in {trials} trials ({finished_early} runs "
        f"finished before their kill), {recovered_runs} runs recovered leftovers; "
        f"{len(inbox.expected)} documents; full run {full_run:.1f} s; "
        f"kills (delay s, documents the killed run had written): {moments}"
    )
    assert kills >= KILLS

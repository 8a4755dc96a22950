"""Where the CPU goes in a batch run with the ephemeral API and against a `prefect server start`:
the flow process itself, its Tesseract children, the API server (the ephemeral one is a child of
the flow process; a real server is its own process tree), and how much of the machine stayed
idle. Not part of the test run.

    flock /tmp/ipd-bench.lock .venv/bin/python -m bench.server_cpu [--pages 20] [--modes ...]

Modes are `ephemeral` and `server`, optionally with environment settings for the flow process
after a colon, e.g. `server:PREFECT_LOGGING_TO_API_ENABLED=false`. Every run gets a new output
folder and result store (no page from the cache). CPU seconds come from psutil: the flow
process's own and its reaped children's (Tesseract; with the ephemeral API the temporary server
too, which is sampled while alive and subtracted), and the server's process tree before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench.throughput import build_pages

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from ops_support import base_env, prefect_server  # noqa: E402


@dataclass
class Usage:
    wall: float
    batch: float
    flow: float  # the flow process's own CPU
    tesseract: float  # reaped children other than the ephemeral server (OCR workers included)
    api: float  # the API server (ephemeral child, or the real server's tree)
    idle: float  # share of the machine's CPU time left idle during the run

    def line(self, name: str, pages: int) -> str:
        total = self.flow + self.tesseract + self.api
        return (
            f"{name:<44} {self.wall:6.1f} {pages / self.wall * 60:6.1f} {self.batch:6.1f} "
            f"{self.flow:6.1f} {self.tesseract:6.1f} {self.api:6.1f} {total:6.1f} {self.idle:6.1%}"
        )


def tree_cpu(pid: int) -> float:
    total = 0.0
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid)
        for p in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                total += t.user + t.system
    return total


def _ocr_worker(proc: psutil.Process) -> bool:
    """A worker process of the libtesseract engine (python -m ocr.tessworker): Tesseract's CPU."""
    return "ocr.tessworker" in proc.cmdline()


def run(env: dict[str, str], folder: Path, out: Path, server_pid: int | None) -> Usage:
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "flows", "run", str(folder), "--out", str(out)]
    srv0 = tree_cpu(server_pid) if server_pid else 0.0
    m0 = psutil.cpu_times()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    root = psutil.Process(proc.pid)
    own = children = 0.0
    python_kids: dict[int, float] = {}  # live non-Tesseract children (the ephemeral server)
    out_text: list[str] = []
    reader = threading.Thread(target=lambda: out_text.append(proc.stdout.read()))  # type: ignore[union-attr]
    reader.start()
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            t = root.cpu_times()
            own, children = t.user + t.system, t.children_user + t.children_system
            for kid in root.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    if "tesseract" not in kid.name() and not _ocr_worker(kid):
                        k = kid.cpu_times()
                        python_kids[kid.pid] = k.user + k.system
        time.sleep(0.1)
    wall = time.perf_counter() - started
    m1 = psutil.cpu_times()
    reader.join()
    text = "".join(out_text)
    if proc.returncode != 0:
        sys.exit(f"run failed ({proc.returncode}):\n{text[-3000:]}")
    eph = sum(python_kids.values())
    api = tree_cpu(server_pid) - srv0 if server_pid else eph
    rows = [line for line in text.splitlines() if re.match(r"\s*\d+\s*│", line)]
    batch = float(rows[-1].split("│")[5])
    idle = (m1.idle + m1.iowait) - (m0.idle + m0.iowait)
    total = sum(m1) - sum(m0)
    return Usage(wall, batch, own, max(0.0, children - eph), api, idle / total)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--modes", nargs="+", default=["ephemeral", "server"])
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--work", type=Path, default=Path("/tmp/ipd-bench-server-cpu"))
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    folder, _ = build_pages(args.work, max(1, args.pages - 7))
    warm, _ = build_pages(args.work, 1, multi=False)
    eph_env = base_env(args.work / "ephemeral-home")
    with prefect_server(args.work / "server-home") as server:
        srv_env = server.env()
        for name, env in (("ephemeral", eph_env), ("server", srv_env)):  # databases created
            env = {**env, "PREFECT_LOCAL_STORAGE_PATH": str(args.work / f"warm-{name}")}
            run(env, warm, args.work / f"warm-out-{name}", None)
        print(f"{args.pages} pages; CPU seconds, idle share of the machine during the run")
        head = ("mode", "wall", "p/min", "batch", "flow", "tess", "api", "cpu", "idle")
        print(f"{head[0]:<44} " + " ".join(f"{h:>6}" for h in head[1:]))
        for rep in range(args.reps):
            for mode in args.modes:
                base, _, extra = mode.partition(":")
                env = dict(srv_env if base == "server" else eph_env)
                for kv in filter(None, extra.split(",")):
                    key, _, value = kv.partition("=")
                    env[key] = value
                store = args.work / f"store-{rep}-{abs(hash(mode))}"
                shutil.rmtree(store, ignore_errors=True)
                env["PREFECT_LOCAL_STORAGE_PATH"] = str(store)
                pid = server.proc.pid if base == "server" else None
                usage = run(env, folder, args.work / "out", pid)
                print(usage.line(mode, args.pages), flush=True)


if __name__ == "__main__":
    main()

"""Where the Python process spends its CPU during a batch (every thread: Prefect's task threads
included), with yappi. Tesseract's own time is in its child processes and is not counted here;
what is counted is what the pipeline adds around OCR. Not part of the test run.

    .venv/bin/pip install yappi   # bench only
    flock /tmp/ipd-bench.lock .venv/bin/python -m bench.throughput_profile [--pages 20]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import time
from pathlib import Path

import psutil
import yappi

from bench.throughput import build_pages


def _children_cpu() -> dict[tuple[int, str], float]:
    """CPU seconds so far of each live child process, by pid and kind: the OCR workers and
    Prefect's temporary API server live on from the warm-up run."""
    cpu = {}
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            kind = "api" if "uvicorn" in " ".join(child.cmdline()) else "tesseract"
            t = child.cpu_times()
            cpu[child.pid, kind] = t.user + t.system
    return cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--work", type=Path, default=Path("/tmp/ipd-bench-profile"))
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--save", type=Path, help="also write the stats here (pstats format)")
    args = ap.parse_args()
    os.environ.setdefault("PREFECT_HOME", str(args.work / "home"))
    from flows.environment import apply_defaults

    apply_defaults()  # as the CLI does: telemetry off, one Tesseract thread
    from flows.batch import run_batch
    from flows.settings import load_settings

    folder, _ = build_pages(args.work, max(1, args.pages - 7))
    settings = load_settings(overrides={"ocr": {"workers": os.cpu_count() or 1}})
    warm, _ = build_pages(args.work, 1, 1, multi=False)
    # imports, database, first-call costs (compiled schemas); a fresh folder, or the run would
    # skip the already published page and leave those costs to the measured batch
    shutil.rmtree(args.work / "out-warm", ignore_errors=True)
    run_batch([warm], args.work / "out-warm", settings)
    out = args.work / "out"
    shutil.rmtree(out, ignore_errors=True)
    yappi.set_clock_type("cpu")
    workers0 = _children_cpu()  # the OCR worker processes started by the warm-up run live on
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    self0 = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    yappi.start(builtins=False, profile_threads=True)
    results = run_batch([folder], out, settings)
    yappi.stop()
    wall = time.perf_counter() - started
    self1 = resource.getrusage(resource.RUSAGE_SELF)
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    py_cpu = (self1.ru_utime + self1.ru_stime) - (self0.ru_utime + self0.ru_stime)
    ch_cpu = (children1.ru_utime + children1.ru_stime) - (children0.ru_utime + children0.ru_stime)
    live = {key: cpu - workers0.get(key, 0.0) for key, cpu in _children_cpu().items()}
    api_cpu = sum(cpu for (_, kind), cpu in live.items() if kind == "api")
    ch_cpu += sum(cpu for (_, kind), cpu in live.items() if kind == "tesseract")
    pages = sum(r.pages for r in results)
    print(f"{pages} pages, wall {wall:.1f} s; CPU: Python process {py_cpu:.1f} s (profiled), "
          f"Tesseract {ch_cpu:.1f} s, temporary API server {api_cpu:.1f} s; Python share "
          f"{py_cpu / (py_cpu + ch_cpu + api_cpu):.1%}")  # fmt: skip
    stats = yappi.get_func_stats()
    if args.save:
        stats.save(str(args.save), type="pstat")
    stats.sort("ttot", "desc")
    print(f"\ntop {args.top} by inclusive CPU (ttot), all threads:")
    print(f"{'ttot s':>8} {'tsub s':>8} {'calls':>7}  function")
    for st in stats[: args.top]:
        where = f"{Path(st.module).name}:{st.lineno}"
        print(f"{st.ttot:8.2f} {st.tsub:8.2f} {st.ncall:7d}  {st.name} ({where})")
    stats.sort("tsub", "desc")
    print(f"\ntop {args.top} by own CPU (tsub):")
    for st in stats[: args.top]:
        where = f"{Path(st.module).name}:{st.lineno}"
        print(f"{st.ttot:8.2f} {st.tsub:8.2f} {st.ncall:7d}  {st.name} ({where})")


if __name__ == "__main__":
    main()

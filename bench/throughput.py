"""Pages per minute and peak memory: the pipeline against Tesseract alone and OCRmyPDF, on the
same pages, in one run. Not part of the test run.

    flock /tmp/ipd-bench.lock .venv/bin/python -m bench.throughput [--pages 60] [--rounds 3]
    flock /tmp/ipd-bench.lock .venv/bin/python -m bench.throughput --memory 50,300
    flock /tmp/ipd-bench.lock .venv/bin/python -m bench.throughput --memory 50,300 --repeat 3 --trace

Pages: the first front pages of `../shared/data/us-frontpages/images` (one document each) plus
the multi-page TIFF, PDF and page folder of `sample_scans/documents`. Variants:

- `tesseract-cli`: the `tesseract` CLI alone on the pipeline's own preprocessed pages (prepared
  before timing), one single-threaded process per core through `xargs -P`, TSV to /dev/null;
- `ipd-ephemeral`: `python -m flows run` end to end, Prefect's ephemeral API, 2 and 1 workers
  (the default engine; 1 worker also pinned to one core with `taskset`, so that the scaling
  from 1 to 2 workers is also measured without a spare core for the pipeline's own Python),
  and at 2 with the `tesseract` program (`IPDIGITISE_OCR__ENGINE=cli`) and
  with the optional in-process engine (`IPDIGITISE_OCR__ENGINE=tesserocr`);
- `ipd-server`: the same against a `prefect server start` started before timing;
- `ocrmypdf`: `ocrmypdf --jobs <cores> --sidecar` on one PDF of the same preprocessed pages.

Wall time is the whole command (interpreter and Prefect start-up included); peak memory is the
largest sum of RSS over the command's process tree, sampled every 0.1 s with psutil.
`--memory` runs only `ipd-ephemeral` (2 workers) on batches of the given sizes (pages reused;
a size given twice is run twice). `--trace` adds the RSS of each kind of process (the command,
Prefect's temporary API server, Tesseract, forks) and writes it as CSV under `--work`. A fork is a
child of the command caught between its fork and the exec of its program (Tesseract): it shares
the command's pages, so its RSS counts them a second time; "total peak without forks" leaves it
out.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FRONT = SHARED / "data" / "us-frontpages" / "images"
MULTI = [REPO / "sample_scans" / "documents" / n for n in ("us_10135921.tif", "us_10142867.pdf",
                                                           "us_10142966", "us_10142969.tif")]  # fmt: skip
sys.path.insert(0, str(REPO / "tests"))

from ops_support import base_env, prefect_server  # noqa: E402


def _kind(proc: psutil.Process, root: psutil.Process, root_cmd: list[str]) -> str:
    """Which part of the command a process is: the command itself, Prefect's temporary API
    server (uvicorn), a Tesseract call, a `fork` (a child of the command that has not yet
    replaced itself by its program: its pages are the command's own, so its RSS counts them a
    second time), or anything else."""
    if proc.pid == root.pid:
        return "flow"
    try:
        argv = proc.cmdline()
        cmd = " ".join(argv)
        name = proc.name()
    except psutil.Error:
        return "other"
    if argv == root_cmd:
        return "fork"
    if "uvicorn" in cmd or "prefect.server" in cmd:
        return "server"
    if "ocr.tessworker" in argv:  # a worker process of the default (libtesseract) engine
        return "tesseract"
    return "tesseract" if "tesseract" in name else "other"


KINDS = ("flow", "server", "tesseract", "other", "fork")


@dataclass
class Trace:
    """RSS samples (seconds from start, MiB per kind) of one command."""

    samples: list[tuple[float, dict[str, float]]] = field(default_factory=list)

    def peak(self, kind: str) -> float:
        return max((s.get(kind, 0.0) for _, s in self.samples), default=0.0)

    def peak_without_forks(self) -> float:
        return max((sum(v for k, v in s.items() if k != "fork") for _, s in self.samples),
                   default=0.0)  # fmt: skip

    def level(self, kind: str, start: float, end: float) -> float:
        """Median RSS of `kind` over the given fraction of the run (where it was running)."""
        n = len(self.samples)
        vals = sorted(s[kind] for _, s in self.samples[int(n * start) : max(int(n * end), 1)]
                      if s.get(kind))  # fmt: skip
        return vals[len(vals) // 2] if vals else 0.0

    def summary(self) -> str:
        parts = []
        for kind in ("flow", "server"):
            parts.append(f"{kind} {self.level(kind, 0.05, 0.15):.0f}->"
                         f"{self.level(kind, 0.85, 0.95):.0f} (peak {self.peak(kind):.0f})")  # fmt: skip
        parts.append(f"tesseract peak {self.peak('tesseract'):.0f}")
        parts.append(f"forks peak {self.peak('fork'):.0f} in "
                     f"{sum(1 for _, s in self.samples if s.get('fork'))} of {len(self.samples)} "
                     f"samples; total peak without forks {self.peak_without_forks():.0f}")  # fmt: skip
        return "; ".join(parts)

    def write(self, path: Path) -> None:
        lines = ["t," + ",".join(KINDS) + ",total"]
        for t, s in self.samples:
            vals = [s.get(k, 0.0) for k in KINDS]
            lines.append(f"{t:.1f}," + ",".join(f"{v:.1f}" for v in vals) + f",{sum(vals):.1f}")
        path.write_text("\n".join(lines) + "\n")


def measure(
    cmd: list[str] | str, env: dict[str, str], cwd: Path = REPO, trace: Trace | None = None
) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) of the whole process tree, and stdout; with `trace`, the
    RSS of each kind of process (`_kind`) at every sample."""
    peak = 0
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            shell=isinstance(cmd, str), text=True)  # fmt: skip
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.append(proc.stdout.read()))  # type: ignore[union-attr]
    reader.start()
    root = psutil.Process(proc.pid)
    root_cmd: list[str] = []
    while proc.poll() is None:
        try:
            root_cmd = root_cmd or root.cmdline()
            procs = [root, *root.children(recursive=True)]
            rss = 0
            kinds: dict[str, float] = {}
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    one = p.memory_info().rss
                    rss += one
                    if trace is not None:
                        kind = _kind(p, root, root_cmd)
                        kinds[kind] = kinds.get(kind, 0.0) + one / 2**20
            peak = max(peak, rss)
            if trace is not None:
                trace.samples.append((time.perf_counter() - started, kinds))
        except psutil.Error:
            pass
        time.sleep(0.1)
    wall = time.perf_counter() - started
    reader.join()
    text = "".join(out)
    if proc.returncode != 0:
        sys.exit(f"{cmd} failed ({proc.returncode}):\n{text[-3000:]}")
    return wall, peak / 2**20, text


def build_pages(work: Path, n_front: int, copies: int = 1, multi: bool = True) -> tuple[Path, int]:
    """A folder of documents: n_front front pages plus the multi-page ones, `copies` times."""
    folder = work / f"docs-{n_front}x{copies}{'' if multi else '-single'}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    fronts = sorted(FRONT.glob("*.png"))[:n_front]
    for c in range(copies):
        for src in [*fronts, *(MULTI if multi else [])]:
            dst = folder / f"c{c:02d}_{src.name}"
            if src.is_dir():
                shutil.copytree(src, dst)
            else:
                shutil.copy2(src, dst)
    return folder, 0


def prepare(folder: Path, work: Path) -> list[tuple[Path, float]]:
    """The pipeline's own preprocessed pages (PGM) with their dpi, for Tesseract alone."""
    from flows.discover import discover
    from flows.settings import load_settings
    from flows.stages import prepare_document

    settings = load_settings()
    out = work / "prepared"
    shutil.rmtree(out, ignore_errors=True)
    pages = []
    for doc in discover([folder]):
        prepared = prepare_document(doc, out, settings)
        pages += [(p.path, p.dpi) for p in prepared.pages]
    return pages


def to_pdf(pages: list[tuple[Path, float]], target: Path) -> None:
    import img2pdf
    from PIL import Image

    pngs = []
    for i, (path, dpi) in enumerate(pages):
        png = target.parent / "pdfpages" / f"{i:04d}.png"
        png.parent.mkdir(parents=True, exist_ok=True)
        Image.open(path).save(png, dpi=(dpi, dpi))
        pngs.append(str(png))
    target.write_bytes(img2pdf.convert(pngs))


def ipd_run(
    env: dict[str, str], folder: Path, out: Path, workers: int, trace: Trace | None = None,
    cpus: str = "",
) -> tuple[float, float, float]:  # fmt: skip
    """Wall, peak MiB, and the batch seconds the command prints. `cpus`: run on these CPUs
    only (taskset's list, e.g. "0"), the command and every process it starts."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [*(["taskset", "-c", cpus] if cpus else []), sys.executable, "-m", "flows", "run",
           str(folder), "--out", str(out), "--workers", str(workers)]  # fmt: skip
    wall, peak, text = measure(cmd, env, trace=trace)
    rows = [line for line in text.splitlines() if re.match(r"\s*\d+\s*│", line)]
    pages = int(rows[-1].split("│")[1])
    batch = float(rows[-1].split("│")[5])
    return wall, peak, batch if pages else float("nan")


def row(name: str, pages: int, wall: float, peak: float, ref: float | None, note: str = "") -> None:
    ppm = pages / wall * 60
    ratio = f"{ppm / ref:5.2f}" if ref else "    -"
    print(f"{name:<28} {pages:5d} {wall:8.1f} {ppm:8.1f} {ratio} {peak:8.0f}  {note}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=60, help="about this many pages (main table)")
    ap.add_argument("--memory", type=str, default="", help="e.g. 50,300: memory growth only")
    ap.add_argument("--repeat", type=int, default=1, help="--memory: runs of each size")
    ap.add_argument("--trace", action="store_true",
                    help="--memory: RSS per kind of process (flow, API server, Tesseract), "
                         "also written as CSV under --work")  # fmt: skip
    ap.add_argument("--work", type=Path, default=Path("/tmp/ipd-bench-throughput"))
    ap.add_argument("--rounds", type=int, default=1,
                    help="main table: run the limit and the default 2-worker run this many "
                    "times, alternating, and report the median ratio")  # fmt: skip
    ap.add_argument("--skip", type=str, default="",
                    help="variants to leave out, comma-separated: w1, cli, tesserocr, server, "
                    "ocrmypdf")  # fmt: skip
    args = ap.parse_args()
    if not FRONT.is_dir():
        sys.exit(f"{FRONT} is missing")
    cores = os.cpu_count() or 1
    args.work.mkdir(parents=True, exist_ok=True)
    env = base_env(args.work / "ephemeral-home")
    env["PREFECT_LOCAL_STORAGE_PATH"] = str(args.work / "store")
    header = (
        f"{'variant':<28} {'pages':>5} {'wall s':>8} {'pages/min':>8} {'ratio':>5} {'peak MiB':>8}"
    )

    if args.memory:
        sizes = [int(s) for s in args.memory.split(",")]
        warm, _ = build_pages(args.work, 1, multi=False)
        ipd_run(env, warm, args.work / "out-warm", 2)  # the ephemeral database exists
        print(header)
        for run, size in enumerate(sizes):
            copies = max(1, round(size / 60))
            folder, _ = build_pages(args.work, max(1, size // copies - 7), copies)
            n = len(prepare_count(folder))
            for rep in range(args.repeat):
                trace = Trace() if args.trace else None
                wall, peak, batch = ipd_run(env, folder, args.work / f"out-mem-{size}", 2, trace)
                row(f"ipd-ephemeral w2 ({n} p)", n, wall, peak, None, f"batch {batch:.1f} s")
                if trace is not None:
                    trace.write(args.work / f"trace-{run:02d}-{size}-{rep}.csv")
                    print(f"    {trace.summary()}", flush=True)
        return

    folder, _ = build_pages(args.work, max(1, args.pages - 7))
    pages = prepare(folder, args.work)
    n = len(pages)
    skip = set(args.skip.split(","))
    # warm-up: databases created, files in the page cache, not timed
    ipd_run(env, build_pages(args.work, 1, multi=False)[0], args.work / "out-warm", cores)
    print(f"{n} pages, {cores} cores\n{header}", flush=True)
    listing = args.work / "pages.txt"
    listing.write_text("".join(f"{p} {round(d)}\n" for p, d in pages))
    tcmd = (f"xargs -P {cores} -n 2 sh -c 'tesseract \"$0\" stdout --psm 3 --dpi \"$1\" "
            f"-l eng -c preserve_interword_spaces=0 tsv > /dev/null 2>&1' < {listing}")  # fmt: skip
    pdf = args.work / "pages.pdf"
    to_pdf(pages, pdf)
    ocrmypdf = Path(sys.executable).with_name("ocrmypdf")
    ocmd = [str(ocrmypdf), "--jobs", str(cores), "--sidecar", str(args.work / "side.txt"),
            "-l", "eng", "--force-ocr", str(pdf), str(args.work / "ocrmypdf-out.pdf")]  # fmt: skip
    limits, ratios, ipds, ocrs = [], [], [], []
    for rnd in range(args.rounds):  # the limit, the default run (and OCRmyPDF) alternate
        wall, peak, _ = measure(tcmd, {**env, "OMP_THREAD_LIMIT": "1"})
        limits.append(n / wall * 60)
        row(f"tesseract-cli -P{cores}", n, wall, peak, limits[-1], "the limit")
        wall, peak, batch = ipd_run(env, folder, args.work / f"out-eph-{cores}-{rnd}", cores)
        row(f"ipd-ephemeral w{cores}", n, wall, peak, limits[-1], f"batch {batch:.1f} s")
        ipds.append(n / wall * 60)
        ratios.append(ipds[-1] / limits[-1])
        if args.rounds > 1 and "ocrmypdf" not in skip:
            wall, peak, _ = measure(ocmd, env)
            row(f"ocrmypdf --jobs {cores}", n, wall, peak, limits[-1], "PDF/A output, sidecar text")
            ocrs.append(n / wall * 60)
    limit = statistics.median(limits)
    if args.rounds > 1:
        summary = (f"{args.rounds} rounds: limit {min(limits):.1f}-{max(limits):.1f} pages/min "
                   f"(median {limit:.1f}); ipd-ephemeral w{cores} ratio "
                   f"{' '.join(f'{r:.2f}' for r in ratios)}, median {statistics.median(ratios):.2f}")  # fmt: skip
        if ocrs:
            against = [i / o for i, o in zip(ipds, ocrs, strict=True)]
            summary += (f"; ipd / OCRmyPDF {' '.join(f'{r:.2f}' for r in against)}, "
                        f"median {statistics.median(against):.2f}")  # fmt: skip
        print(f"{summary}; the rows below are against the median limit", flush=True)
    if "w1" not in skip:
        # Scaling from 1 to 2 workers: against 1 worker on the whole machine (where the
        # pipeline's own Python runs on the other core for free) and against 1 worker with the
        # command pinned to one core (the pipeline alone on one core, as 2 workers on 2)
        w2 = statistics.median(ipds)
        for name, cpus in (("", ""), (" on 1 core", "0")):
            wall, peak, batch = ipd_run(env, folder, args.work / "out-eph-1", 1, cpus=cpus)
            w1 = n / wall * 60
            row(f"ipd-ephemeral w1{name}", n, wall, peak, limit,
                f"batch {batch:.1f} s; w{cores} / ({cores} x this) = {w2 / (cores * w1):.2f}")  # fmt: skip
    for engine in ("cli", "tesserocr"):  # the program, and the optional in-process engine
        if engine not in skip:
            eenv = {**env, "IPDIGITISE_OCR__ENGINE": engine}
            wall, peak, batch = ipd_run(eenv, folder, args.work / f"out-eph-{engine}", cores)
            row(f"ipd-ephemeral w{cores} {engine}", n, wall, peak, limit, f"batch {batch:.1f} s")
    if "server" not in skip:
        with prefect_server(args.work / "server-home") as server:
            senv = {**server.env(), "PREFECT_LOCAL_STORAGE_PATH": str(args.work / "store-srv")}
            ipd_run(
                senv, build_pages(args.work, 1, multi=False)[0], args.work / "out-warm-srv", cores
            )
            shutil.rmtree(args.work / "store-srv", ignore_errors=True)  # no cached page reused
            wall, peak, batch = ipd_run(senv, folder, args.work / "out-srv", cores)
            row(f"ipd-server w{cores}", n, wall, peak, limit, f"batch {batch:.1f} s")
    if "ocrmypdf" not in skip and args.rounds == 1:
        wall, peak, _ = measure(ocmd, env)
        row(f"ocrmypdf --jobs {cores}", n, wall, peak, limit, "PDF/A output, sidecar text")
    # start-up: one page end to end against one Tesseract call on the same page
    one = build_pages(args.work, 1, multi=False)[0]
    wall1, _, batch1 = ipd_run(env, one, args.work / "out-one", cores)
    p, d = pages[0]
    t1, _, _ = measure(["tesseract", str(p), "stdout", "--psm", "3", "--dpi", str(round(d)), "tsv"],
                       {**env, "OMP_THREAD_LIMIT": "1"})  # fmt: skip
    print(f"\none-page run (ephemeral): wall {wall1:.1f} s, batch {batch1:.1f} s; "
          f"tesseract alone on that page {t1:.1f} s")  # fmt: skip


def prepare_count(folder: Path) -> list[int]:
    """Pages in a folder of documents (without preprocessing them)."""
    from flows.discover import discover
    from ocr.ingest import IngestLimits, iter_pages

    return [p.index for d in discover([folder]) for p in iter_pages(d.path, IngestLimits())]


if __name__ == "__main__":
    main()

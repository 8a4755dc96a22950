"""Seconds per page of the two OCR engines on the same preprocessed front pages, in one run:
the `tesseract` program (pytesseract, a process per page) against Tesseract in-process
(tesserocr, one initialised instance per thread), single-threaded and with 2 threads; then the
second readings of field crops both ways, and the words both engines agree on. Not part of the
test run.

    flock /tmp/ipd-bench.lock .venv/bin/python -m bench.engine_bench [--pages 20]

The pages are the first front pages of `../shared/data/us-frontpages/images`, decoded and
preprocessed by the pipeline (to 300 dpi) before timing and stored as PGM under
/tmp/ipd-engine-bench; both engines read the same files. "2 threads" is wall time over the same
pages with a pool of two threads: if recognition held the GIL, tesserocr would not scale.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2

from ocr.ingest import IngestLimits, iter_pages
from ocr.models import PageOcr
from ocr.preprocess import PreprocessOptions, preprocess
from ocr.reread import PROFILES
from ocr.tesseract import TesseractEngine
from ocr.tesseract import recognise_crop as cli_crop
from ocr.tesserocr_engine import TesserocrEngine
from ocr.tesserocr_engine import recognise_crop as tr_crop

REPO = Path(__file__).resolve().parents[1]
FRONT = REPO.parent / "shared" / "data" / "us-frontpages" / "images"
CACHE = Path("/tmp/ipd-engine-bench")


def prepared_pages(n: int) -> list[tuple[Path, float]]:
    CACHE.mkdir(exist_ok=True)
    out = []
    for image in sorted(FRONT.glob("*.png"))[:n]:
        target = CACHE / (image.stem + ".pgm")
        dpi_file = target.with_suffix(".dpi")
        if not target.exists():
            page = next(iter_pages(image, IngestLimits()))
            ready, _ = preprocess(page, PreprocessOptions())
            cv2.imwrite(str(target), ready.pixels)
            dpi_file.write_text(str(ready.dpi))
        out.append((target, float(dpi_file.read_text())))
    return out


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the `tesseract` processes)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed(fn: Callable[[tuple[Path, float]], PageOcr], pages: list, threads: int) -> tuple[float, float, list[PageOcr]]:  # fmt: skip
    started, cpu = time.perf_counter(), cpu_seconds()
    if threads == 1:
        results = [fn(p) for p in pages]
    else:
        with ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(fn, pages))
    return time.perf_counter() - started, cpu_seconds() - cpu, results


def agreement(a: PageOcr, b: PageOcr) -> float:
    ca, cb = Counter(w.text for w in a.words), Counter(w.text for w in b.words)
    return sum((ca & cb).values()) / max(1, sum(ca.values()), sum(cb.values()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=20)
    args = parser.parse_args()
    pages = prepared_pages(args.pages)
    cli, inproc = TesseractEngine(), TesserocrEngine()
    engines = {
        "cli": lambda p: cli.recognise(p[0], index=0, dpi=p[1]),
        "tesserocr": lambda p: inproc.recognise(p[0], index=0, dpi=p[1]),
    }
    engines["tesserocr"](pages[0])  # load the models once (each thread loads its own below)
    rows, results = [], {}
    for threads in (1, 2):
        for name, fn in engines.items():
            wall, cpu, res = timed(fn, pages, threads)
            results[name] = res
            rows.append((name, threads, wall, wall / len(pages), cpu / len(pages)))
    print(f"{len(pages)} preprocessed front pages (300 dpi), psm 3, eng\n")
    print("| engine | threads | wall s | s/page | pages/min | CPU s/page |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, threads, wall, per, cpu in rows:
        print(f"| {name} | {threads} | {wall:.1f} | {per:.2f} | {60 / per:.1f} | {cpu:.2f} |")
    by = {(r[0], r[1]): r[2] for r in rows}
    for t in (1, 2):
        print(f"tesserocr / cli wall time, {t} thread(s): {by[('tesserocr', t)] / by[('cli', t)]:.2f}")  # fmt: skip
    for name in engines:
        print(f"{name}: 2 threads speed-up over 1: {by[(name, 1)] / by[(name, 2)]:.2f}")
    agree = [agreement(a, b) for a, b in zip(results["cli"], results["tesserocr"], strict=True)]
    print(f"bag-of-words agreement cli vs tesserocr: mean {sum(agree) / len(agree):.3f}, "
          f"min {min(agree):.3f}")  # fmt: skip

    # second readings: the first few lines of each page as crops, psm 7 with the number profile
    crops = []
    for (path, dpi), page in zip(pages, results["cli"], strict=True):
        pixels = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        for w in page.words[:5]:
            x0, y0, x1, y1 = w.bbox
            crops.append((pixels[max(0, y0 - 8) : y1 + 8, max(0, x0 - 20) : x1 + 20].copy(), dpi))
    prof = PROFILES["number"]
    for name, crop_fn in (("cli", cli_crop), ("tesserocr", tr_crop)):
        started, cpu = time.perf_counter(), cpu_seconds()
        for pixels, dpi in crops:
            crop_fn(pixels, psm=prof.psm, whitelist=prof.whitelist, dpi=dpi)
        per = (time.perf_counter() - started) / len(crops)
        cpu_per = (cpu_seconds() - cpu) / len(crops)
        print(f"crop re-read, {name}: {per * 1000:.0f} ms per crop, CPU {cpu_per * 1000:.0f} ms "
              f"({len(crops)} crops)")  # fmt: skip
    gil_check(pages[0])


def gil_check(page: tuple[Path, float]) -> None:
    """A pure-Python counter thread keeps its pace while tesserocr recognises a page only if
    recognition releases the GIL."""
    engine, stop, count = TesserocrEngine(), threading.Event(), [0]

    def spin() -> None:
        while not stop.is_set():
            count[0] += 1

    thread = threading.Thread(target=spin)
    thread.start()
    time.sleep(1.0)
    alone = count[0]
    count[0] = 0
    started = time.perf_counter()
    engine.recognise(page[0], index=0, dpi=page[1])
    during = count[0] / (time.perf_counter() - started)
    stop.set()
    thread.join()
    print(f"GIL: counter thread {alone:.0f}/s alone, {during:.0f}/s while a page is recognised")


if __name__ == "__main__":
    main()

"""Seconds per page of the OCR engines on the same preprocessed front pages, in one run: the
`tesseract` program (pytesseract, a process per page), Debian's libtesseract in worker processes
(the default, one worker per thread kept between pages) and Tesseract in-process (tesserocr, one
initialised instance per thread), single-threaded and with 2 threads; then the second readings of
field crops each way, and how far each engine's words agree with the program's. Not part of the
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
import psutil

from ocr.ingest import IngestLimits, iter_pages
from ocr.library_engine import LibraryEngine
from ocr.library_engine import recognise_crop as lib_crop
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
    """CPU time of this process, its finished children (the `tesseract` processes) and its live
    OCR worker processes (libtesseract)."""
    t = os.times()
    workers = 0.0
    for kid in psutil.Process().children():
        try:
            if "ocr.tessworker" in kid.cmdline():
                c = kid.cpu_times()
                workers += c.user + c.system
        except psutil.Error:
            continue
    return t.user + t.system + t.children_user + t.children_system + workers


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
    cli, library, inproc = TesseractEngine(), LibraryEngine(), TesserocrEngine()
    engines = {
        "cli": lambda p: cli.recognise(p[0], index=0, dpi=p[1]),
        "libtesseract": lambda p: library.recognise(p[0], index=0, dpi=p[1]),
        "tesserocr": lambda p: inproc.recognise(p[0], index=0, dpi=p[1]),
    }
    engines["tesserocr"](pages[0])  # load the models once (each thread loads its own below)
    engines["libtesseract"](pages[0])  # the first worker
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
    for other in ("libtesseract", "tesserocr"):
        for t in (1, 2):
            print(f"{other} / cli wall time, {t} thread(s): {by[(other, t)] / by[('cli', t)]:.2f}")  # fmt: skip
    for name in engines:
        print(f"{name}: 2 threads speed-up over 1: {by[(name, 1)] / by[(name, 2)]:.2f}")
    for other in ("libtesseract", "tesserocr"):
        pairs = list(zip(results["cli"], results[other], strict=True))
        agree = [agreement(a, b) for a, b in pairs]
        same = sum(
            [(w.text, w.bbox, w.confidence) for w in a.words]
            == [(w.text, w.bbox, w.confidence) for w in b.words]
            for a, b in pairs
        )
        print(f"cli vs {other}: bag-of-words agreement mean {sum(agree) / len(agree):.3f}, "
              f"min {min(agree):.3f}; pages with identical words, boxes and confidences "
              f"{same}/{len(pairs)}")  # fmt: skip

    # second readings: the first few lines of each page as crops, psm 7 with the number profile
    crops = []
    for (path, dpi), page in zip(pages, results["cli"], strict=True):
        pixels = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        for w in page.words[:5]:
            x0, y0, x1, y1 = w.bbox
            crops.append((pixels[max(0, y0 - 8) : y1 + 8, max(0, x0 - 20) : x1 + 20].copy(), dpi))
    prof = PROFILES["number"]
    for name, crop_fn in (("cli", cli_crop), ("libtesseract", lib_crop), ("tesserocr", tr_crop)):
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

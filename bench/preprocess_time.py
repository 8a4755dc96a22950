"""Preprocessing time alone (no OCR) on the degraded set, to compare two versions of the code.

Imports `ocr` from the current directory, so the same script times any checkout:

    cd <checkout> && flock /tmp/ipd-bench.lock python <this repo>/bench/preprocess_time.py \
        --data /tmp/ipd-degraded --pages 2

Prints the mean over pages of each page's best of `--repeats` runs, overall and per type.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))

from ocr import preprocess as pp  # noqa: E402
from ocr.ingest import iter_pages  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True, help="folder written by bench/degrade.py")
    ap.add_argument("--pages", type=int, default=2, help="pages per type")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    manifest = json.loads((args.data / "manifest.json").read_text())
    seen: dict[str, int] = {}
    pages = []
    for entry in manifest["pages"]:
        seen[entry["kind"]] = seen.get(entry["kind"], 0) + 1
        if seen[entry["kind"]] <= args.pages:
            pages.append((entry["kind"], next(iter_pages(args.data / entry["file"]))))
    best = [float("inf")] * len(pages)
    for _ in range(args.repeats):
        for i, (_, page) in enumerate(pages):
            started = time.perf_counter()
            pp.preprocess(page)
            best[i] = min(best[i], time.perf_counter() - started)
    by_kind: dict[str, list[float]] = {}
    for (kind, _), seconds in zip(pages, best, strict=True):
        by_kind.setdefault(kind, []).append(seconds)
    means = {k: round(sum(v) / len(v), 3) for k, v in by_kind.items()}
    print(pp.__file__, "mean", round(sum(best) / len(best), 4), json.dumps(means))


if __name__ == "__main__":
    main()

"""What field extraction costs per page in a finished run, from each report.json's timings.

python bench/fields_timing.py /tmp/fields-run
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path


def main() -> None:
    run = Path(sys.argv[1])
    rows = []
    for path in sorted(run.glob("*/*/report.json")):
        report = json.loads(path.read_text())
        t = report.get("timings") or {}
        pages = max(1, len(report.get("pages") or []))
        if "mapping" in t:
            rows.append((t["mapping"] / pages, t.get("reread", 0.0) / pages,
                         t.get("reread_crops", 0) / pages, t.get("ocr_cpu", 0.0) / pages))  # fmt: skip
    if not rows:
        sys.exit(f"no report.json with timings under {run}")
    mapping, reread, crops, ocr = (list(col) for col in zip(*rows, strict=True))
    print(f"documents: {len(rows)}")
    print(
        f"extraction (mapping incl. second readings): mean {statistics.mean(mapping):.3f} s/page, "
        f"median {statistics.median(mapping):.3f}, max {max(mapping):.3f}"
    )
    print(
        f"  of which second readings: mean {statistics.mean(reread):.3f} s/page, "
        f"{statistics.mean(crops):.2f} crops/page, max {max(reread):.3f} s"
    )
    print(f"page OCR (Tesseract CPU): mean {statistics.mean(ocr):.3f} s/page")
    print(f"extraction / OCR: {statistics.mean(mapping) / statistics.mean(ocr):.1%}")


if __name__ == "__main__":
    main()

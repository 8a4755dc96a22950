"""Does the show-through measurement decide the same at half size as at full size? (no OCR)

    python bench/showthrough_decisions.py /tmp/ipd-degraded /tmp/ipd-degraded-gt

Every grey page of the given degraded sets goes through invert and denoise as in
ocr/preprocess.py, then is measured twice: half size only from 240 dpi (the former rule) and
half size above `HALF_SIZE_ABOVE` (the current one). Prints the pages whose decision (grey share
over 1 %) differs and the ranges of the measured share on each side of the threshold.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ocr.showthrough as st  # noqa: E402
from ocr.denoise import denoise, measure_noise  # noqa: E402
from ocr.ingest import iter_pages  # noqa: E402
from ocr.invert import invert, is_inverted  # noqa: E402
from ocr.sharpen import is_bitonal  # noqa: E402

THRESHOLD = 0.01


def main() -> None:
    current = st.HALF_SIZE_ABOVE
    for folder in map(Path, sys.argv[1:]):
        rows = []
        for entry in json.loads((folder / "manifest.json").read_text())["pages"]:
            page = next(iter_pages(folder / entry["file"]))
            gray = page.pixels
            if is_bitonal(gray):
                continue
            if is_inverted(gray):
                gray = invert(gray)
            gray, _ = denoise(gray, measure_noise(gray))
            st.HALF_SIZE_ABOVE = 239.99
            old = st.measure_showthrough(gray, page.dpi).fraction
            st.HALF_SIZE_ABOVE = current
            new = st.measure_showthrough(gray, page.dpi).fraction
            rows.append((entry["id"], old, new))
        differ = [r for r in rows if (r[1] > THRESHOLD) != (r[2] > THRESHOLD)]
        print(f"{folder}: {len(rows)} grey pages, decisions differ on {len(differ)}: {differ}")
        for i, name in ((1, "former (half size from 240 dpi)"), (2, "current")):
            fired = [r[i] for r in rows if r[i] > THRESHOLD]
            other = [r[i] for r in rows if r[i] <= THRESHOLD]
            print(f"  {name}: fired on {len(fired)} ({min(fired, default=0):.2%}-"
                  f"{max(fired, default=0):.2%}), others at most {max(other, default=0):.2%}")  # fmt: skip


if __name__ == "__main__":
    main()

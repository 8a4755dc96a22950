"""The degraded set with human ground truth: ../shared/data/tesseract-test-pages through bench/degrade.py.

    python bench/degrade_test_pages.py --out /tmp/ipd-degraded-gt --variants 2

The four pages with plain-text ground truth (two 300 dpi UNLV-ISRI paper scans, eurotext.tif and
phototest.tif; Apache-2.0, see the folder's LICENSE) each clean once and in every degradation of
`bench/degrade.py` (`TYPES`), `--variants` times per type, each variant with its own seed
(`write_set`: variant 0 seeded by the page id, variant v by `<id>~v`), so a type has 4 x variants
pages. The degradations are applied at the page's own resolution (300 dpi; phototest 200 dpi),
so `dpi150`/`dpi200`/`nodpi`/`g4` resample from there. The sources are 1-bit scans: grain, blur,
shading and JPEG turn them grey, as a re-scan of a print would.

The output is what `bench/run.py --data` reads: `manifest.json` says `"ground_truth": "text"`
(no field labels, no line boxes: run.py then scores the bag-of-words WER only) and where the
texts are (`gt/<id>.txt`). Page ids are the file names with dots replaced by underscores. True
skew in the manifest is the applied one; the scans carry their own small skew on top (about
-0.4 and -0.1 deg on the UNLV pages, -0.8 on eurotext), so run.py's skew-error figures do not
apply to this set. This is an evaluation set: preprocessing is not tuned on it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.degrade import SHARED, TYPES, SourcePage, write_set  # noqa: E402
from ocr.ingest import iter_pages  # noqa: E402

DEFAULT_SOURCE = SHARED / "data" / "tesseract-test-pages"
PAGES = {
    "8071_093.3B.tif": "8071_093.3B.txt",
    "8087_054.3B.tif": "8087_054.3B.txt",
    "eurotext.tif": "eurotext.txt",
    "phototest.tif": "phototest.gold.txt",
}
"""Image -> its plain-text ground truth."""


def page_id(image: str) -> str:
    return Path(image).stem.replace(".", "_")


def generate(
    source: Path, out: Path, variants: int, types: tuple[str, ...], seed: int
) -> list[dict[str, object]]:
    pages = []
    (out / "gt").mkdir(parents=True, exist_ok=True)
    for image, truth in PAGES.items():
        page = next(iter_pages(source / image))
        pages.append(SourcePage(page_id(image), page.pixels, page.dpi))
        text = (source / truth).read_text(errors="replace")
        (out / "gt" / f"{page_id(image)}.txt").write_text(text)
    extra = {"source": str(source), "gt": "gt", "ground_truth": "text", "variants": variants}
    return write_set(pages, out, types, seed, variants, extra)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--variants", type=int, default=2, help="seeded variants per page and type")
    ap.add_argument("--types", default=",".join(TYPES))
    ap.add_argument("--seed", type=int, default=20240611)
    args = ap.parse_args()
    entries = generate(
        args.source, args.out, args.variants, tuple(args.types.split(",")), args.seed
    )
    print(f"{len(entries)} pages written to {args.out}")


if __name__ == "__main__":
    main()

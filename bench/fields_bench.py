"""Field extraction on recorded OCR, scored with `ipdigitise eval`'s rules, in seconds.

Runs the mapping stage (and, with --reread, the targeted second OCR pass on the cached page
images) on PageOcr JSON files, writes report.json files shaped like a real run's
(`OUT/<status>/<doc_id>/report.json`) and prints the evaluation. For the figures that count,
use a real run: `python -m flows run ... && python -m flows eval ...`.

    python bench/fields_bench.py --ocr /tmp/ocrj --gt ../shared/data/us-frontpages --out /tmp/fb
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.evaluate import evaluate, field_rows, to_markdown  # noqa: E402
from flows.settings import Settings  # noqa: E402
from mapping.document import build_document  # noqa: E402
from ocr.models import PageOcr  # noqa: E402
from output_schemas import jsonout, st96  # noqa: E402
from output_schemas.fieldsreport import fields_report  # noqa: E402
from output_schemas.validate import gate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ocr", type=Path, default=Path("/tmp/ocrj"))
    ap.add_argument("--gt", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path("/tmp/fields-bench"))
    ap.add_argument("--ids", nargs="*", help="only these document ids")
    ap.add_argument("--reread", action="store_true", help="second OCR pass on weak fields")
    ap.add_argument("--misses", type=int, default=40)
    ap.add_argument("--quiet", action="store_true", help="summary only")
    args = ap.parse_args()

    settings = Settings()
    shutil.rmtree(args.out, ignore_errors=True)
    files = sorted(args.ocr.glob("*.json"))
    if args.ids:
        files = [f for f in files if f.stem in set(args.ids)]
    mapping_seconds = 0.0
    reread_calls, reread_seconds = 0, 0.0
    for path in files:
        page = PageOcr.model_validate_json(path.read_text())
        reread = None
        if args.reread:
            from ocr.reread import CropReader

            reread = CropReader({page.index: path.with_suffix(".pgm")}, lang="eng")
        started = time.perf_counter()
        doc = build_document(path.stem, [page], "eng", reread=reread)
        mapping_seconds += time.perf_counter() - started
        if reread is not None:
            reread_calls += reread.calls
            reread_seconds += reread.seconds
        xml = st96.to_st96(doc)
        data = jsonout.to_json_dict(doc)
        report = gate(doc, xml, data, min_field_confidence=settings.gate.min_field_confidence,
                      min_page_confidence=settings.gate.min_page_confidence)  # fmt: skip
        status = report.outcome()
        folder = args.out / status / doc.doc_id
        folder.mkdir(parents=True)
        body = {
            "doc_id": doc.doc_id,
            "status": status,
            "fields": fields_report(doc),
            "validation": {
                "outcome": status,
                "reasons": [f.message for f in report.findings if f.severity != "info"],
                "findings": [f.model_dump(mode="json") for f in report.findings],
            },
        }
        (folder / "report.json").write_text(json.dumps(body, indent=1, ensure_ascii=False))
    ev = evaluate(args.gt, args.out)
    md = to_markdown(ev, misses=args.misses)
    (args.out / "eval.md").write_text(md)
    for row in field_rows(ev):
        print(f"{row[0]:<28} {row[3]:>4} {row[4]:>4} {row[5]:>8}  P {row[6]:>8}  R {row[7]:>8}")
    n = max(1, len(files))
    print(
        f"mapping: {mapping_seconds / n * 1000:.1f} ms/page, of which second readings "
        f"{reread_seconds / n * 1000:.1f} ms/page ({reread_calls / n:.2f} crops/page)"
    )
    routing = md[md.index("## Routing") :]
    if args.quiet:
        routing = routing[: routing.index("\n\n|")] if "\n\n|" in routing else routing
    print(routing)


if __name__ == "__main__":
    main()

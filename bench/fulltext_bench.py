"""Full-text benchmark: real patent text rendered to pages, OCR'd and structured by the pipeline.

    .venv/bin/python -m bench.fulltext_bench            # all variants
    ... -m bench.fulltext_bench --variants clean --docs EP1000000A1             # a subset

For each document of bench.fulltext_gt.SOURCES and each variant, pages are rendered (seeded),
degraded where the variant says so, OCR'd through the pipeline's ingest, preprocessing and
Tesseract engine (cached under $IPD_FULLTEXT_CACHE, default /tmp/fulltext-cache), and mapped
with mapping.document.build_document. Printed: CER per section (abstract, description, claims),
claim and paragraph counts against the ground truth, printed paragraph numbers recovered, and
page classification. Needs ../shared (the XML samples) and Tesseract.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from bench.fulltext_gt import SAMPLES, SOURCES, load
from bench.fulltext_ocr_cache import ocr_pages, page_ink
from bench.fulltext_score import DocScore, score
from bench.render_fulltext import degrade, render_document
from flows.fulltext_outputs import with_drawing_images
from mapping.document import build_document
from mapping.model import IPDocument
from ocr.tesseract import TesseractEngine
from output_schemas import jsonout, st36, st96
from output_schemas.validate import gate

VARIANTS = {
    # name: (font, seed, degradation: "" | "degraded" | "heavy")
    "clean": ("nimbus", 7, ""),
    "clean-dejavu": ("dejavu", 11, ""),
    "degraded": ("nimbus", 7, "degraded"),
    "heavy": ("nimbus", 7, "heavy"),
}


def run_variant(variant: str, keys: list[str] | None, root: Path, workers: int) -> list[DocScore]:
    font, seed, degraded = VARIANTS[variant]
    engine = TesseractEngine(lang="eng", psm=3)
    scores = []
    for source in SOURCES:
        if keys and source.key not in keys:
            continue
        gt = load(source)
        clean_dir = root / f"{font}-{seed}" / gt.doc_id
        rendered = render_document(gt, clean_dir, seed=seed, font=font,
                                   abstract_page=source.abstract_page)  # fmt: skip
        images = [clean_dir / name for name in rendered.pages]
        if degraded:
            out_dir = root / f"{font}-{seed}-{degraded}" / gt.doc_id
            out_dir.mkdir(parents=True, exist_ok=True)
            dimages = []
            for i, img in enumerate(images):
                target = out_dir / img.name
                if not target.exists():
                    degrade(img, target, seed=seed * 1000 + i, heavy=degraded == "heavy")
                dimages.append(target)
            images = dimages
        pages = ocr_pages(images, engine, workers=workers)
        inks = [page_ink(img, page) for img, page in zip(images, pages, strict=True)]
        doc = build_document(gt.doc_id, pages, "eng", non_text_ink=inks)
        (root / "docs").mkdir(parents=True, exist_ok=True)
        (root / "docs" / f"{gt.doc_id}.{variant}.json").write_text(doc.model_dump_json(indent=1))
        sc = score(gt, doc, rendered.kinds, variant)
        sc.outcome, sc.gate_rules = gate_outcome(doc)
        scores.append(sc)
    return scores


def gate_outcome(doc: IPDocument) -> tuple[str, list[str]]:
    """What the validation gate (default settings) decides, and the rules behind it."""
    doc = with_drawing_images(doc)
    report = gate(doc, st96.to_st96(doc), jsonout.to_json_dict(doc), st36=st36.to_st36(doc))
    rules = sorted({f.rule for f in report.findings if f.severity != "info"})
    return report.outcome(), rules


def _pct(x: float) -> str:
    return f"{100 * x:.2f}"


def table(scores: list[DocScore]) -> str:
    head = ("| variant | document | pages ok | CER abstract % | CER description % | CER claims % "
            "| claims found/true | paragraphs found/true | headings found/true | printed [n] ok "
            "| gate |")  # fmt: skip
    rows = [head, "|" + "---|" * 11]
    for s in scores:
        numbers = (
            f"{s.numbers_ok}/{s.paras_gt}"
            if s.numbers_ok or s.doc_id[:2] != "US" or "A1" in s.doc_id
            else "n/a"
        )
        rows.append(
            f"| {s.variant} | {s.doc_id} | {s.pages_ok}/{s.pages} | {_pct(s.cer_abstract)} "
            f"| {_pct(s.cer_description)} | {_pct(s.cer_claims)} | {s.claims_found}/{s.claims_gt} "
            f"| {s.paras_found}/{s.paras_gt} | {s.headings_found}/{s.headings_gt} | {numbers} "
            f"| {s.outcome}{': ' + ', '.join(s.gate_rules) if s.gate_rules else ''} |"
        )
    by_variant: dict[str, list[DocScore]] = {}
    for s in scores:
        by_variant.setdefault(s.variant, []).append(s)
    rows.append("")
    rows.append("| variant | CER abstract % | CER description % | CER claims % | claim counts exact "
                "| paragraph counts exact | pages classified |")  # fmt: skip
    rows.append("|" + "---|" * 7)
    for variant, group in by_variant.items():

        def pooled(sec: str, g: list[DocScore] = group) -> float:
            return sum(s.errors[sec] for s in g) / max(1, sum(s.chars[sec] for s in g))

        rows.append(
            f"| {variant} | {_pct(pooled('abstract'))} | {_pct(pooled('description'))} "
            f"| {_pct(pooled('claims'))} "
            f"| {sum(s.claims_found == s.claims_gt for s in group)}/{len(group)} "
            f"| {sum(s.paras_found == s.paras_gt for s in group)}/{len(group)} "
            f"| {sum(s.pages_ok for s in group)}/{sum(s.pages for s in group)} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--docs", default="", help="comma-separated document keys (default: all)")
    ap.add_argument("--root", type=Path, default=Path("/tmp/fulltext-bench"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, help="also write the scores as JSON here")
    args = ap.parse_args(argv)
    if not SAMPLES.exists():
        print(f"needs {SAMPLES} (../shared beside the repository)", file=sys.stderr)
        return 2
    keys = [k for k in args.docs.split(",") if k] or None
    scores: list[DocScore] = []
    for variant in args.variants.split(","):
        scores += run_variant(variant, keys, args.root, args.workers)
    print(table(scores))
    for s in scores:
        if s.page_errors:
            print(f"{s.variant} {s.doc_id}: page kinds wrong: {', '.join(s.page_errors)}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(s) for s in scores], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

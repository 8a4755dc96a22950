"""Preprocessing benchmark: raw Tesseract vs ipdigitise vs OCRmyPDF on the same degraded pages.

    bash bench/setup.sh .venv/bin/python        # OCRmyPDF + Ghostscript + unpaper, once
    python bench/degrade.py --out /tmp/ipd-degraded --pages 12
    flock /tmp/ipd-bench.lock python bench/run.py --data /tmp/ipd-degraded --out bench/results/main \
        --pages 8 --ablation-pages 3     # the exact commands behind bench/README.md are listed there

Systems, each given the degraded file as it is:
  raw       Tesseract 5 (psm 3, eng, one thread) on the file, told the resolution ipdigitise's ingest
            starts from (the file's; else from the paper size; else assumed 300)
  ipd       ipdigitise: ingest -> preprocess (default settings) -> Tesseract (same engine settings)
            -> INID mapping; the same library functions the Prefect flow calls, without Prefect
  ocrmypdf  OCRmyPDF --rotate-pages --deskew --clean --output-type none --sidecar, one job,
            --image-dpi as for raw
Ablation: ipd with one preprocessing step off at a time (and with Tesseract OSD for orientation),
on the first N pages of every degradation type.

With `--data` written by bench/degrade_test_pages.py (human plain-text ground truth, manifest
`"ground_truth": "text"`) only the bag-of-words WER is scored: no field mapping, no read-lines
WER, and summary.md shows the preprocessing target per type instead.

OCR results are cached by the hash of the exact image Tesseract reads (--cache), so an ablation
variant whose preprocessing gives the same pixels costs nothing; timings in a table are those of
the run that produced them (use --no-cache for a timing run).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402

from bench.eval_fields import core_hits, mapped_fields, use_crop_cache  # noqa: E402
from bench.metrics import (  # noqa: E402
    FIELDS,
    bag_wer,
    expected_fields,
    field_correct,
    scoped_wer,
    split_readable,
)
from mapping.document import build_document  # noqa: E402
from ocr.ingest import iter_pages  # noqa: E402
from ocr.models import PageOcr  # noqa: E402
from ocr.preprocess import PreprocessOptions, preprocess  # noqa: E402
from ocr.tesseract import TesseractEngine  # noqa: E402

ABLATIONS: dict[str, dict[str, Any]] = {
    "no-invert": {"invert": False},
    "no-denoise": {"denoise": False},
    "no-showthrough": {"showthrough": False},
    "median-specks": {"specks": "median"},
    "no-borders": {"borders": False},
    "no-orientation": {"orientation": "off"},
    "no-deskew": {"deskew": False},
    "no-resolution": {"resolution": False},
    "no-estimate-dpi": {"estimate_dpi": False},
    "no-sharpen": {"sharpen": False},
    "drawings": {"drawings": True},
    "no-binarise": {"binarise": "off"},
    "bitonal-upsample": {"bitonal_upsample_below": 1e9},
    "osd-orientation": {"orientation": "osd"},
    "otsu": {"binarise": "otsu"},
    "sauvola": {"binarise": "sauvola"},
    "flatten": {"binarise": "flatten"},
}

ENGINE = TesseractEngine(lang="eng", psm=3, timeout=300)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cached(cache: Path | None, key: str, compute: Any) -> dict[str, Any]:
    if cache is not None:
        path = cache / f"{key}.json"
        if path.exists():
            return json.loads(path.read_text())
    value = compute()
    if cache is not None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(value))
        tmp.replace(path)
    return value


def ocr_image(image: Path, dpi: float, cache: Path | None) -> PageOcr:
    key = f"tess-{sha256(image.read_bytes())}-{round(dpi)}-psm{ENGINE.psm}"

    def run() -> dict[str, Any]:
        return ENGINE.recognise(image, index=0, dpi=dpi).model_dump(mode="json")

    return PageOcr.model_validate(cached(cache, key, run))


def fields_of(page: PageOcr, doc_id: str) -> dict[str, str | None]:
    """The four fields of the legacy check (mapping alone, as before `ipdigitise eval`)."""
    doc = build_document(doc_id, [page])
    return {name: doc.value(name) for name in FIELDS}


def run_raw(
    entry: dict[str, Any], data: Path, cache: Path | None, fields: bool = True
) -> dict[str, Any]:
    path = data / entry["file"]
    page = next(iter_pages(path))
    ocr = ocr_image(path, page.dpi, cache)
    if not fields:
        return {"text": ocr.text(), "seconds": ocr.seconds}
    return {"text": ocr.text(), "seconds": ocr.seconds, "fields": fields_of(ocr, entry["id"]),
            "report_fields": mapped_fields(ocr, entry["id"], path)}  # fmt: skip


def run_ipd(
    entry: dict[str, Any],
    data: Path,
    cache: Path | None,
    overrides: dict[str, Any],
    fields: bool = True,
) -> dict[str, Any]:
    """`fields=False`: text only (no mapping, no second readings), for text-only ground truth."""
    path = data / entry["file"]
    started = time.perf_counter()
    page = next(iter_pages(path))
    decoded = time.perf_counter()
    ready, report = preprocess(page, PreprocessOptions(**overrides))
    with tempfile.TemporaryDirectory(prefix="ipd-bench-") as tmp:
        pgm = Path(tmp) / "page.pgm"
        cv2.imwrite(str(pgm), ready.pixels)
        ocr = ocr_image(pgm, ready.dpi, cache)
        mapped_at = time.perf_counter()
        report_fields = mapped_fields(ocr, entry["id"], pgm) if fields else None
        mapping = time.perf_counter() - mapped_at
    return {
        "text": ocr.text(),
        "seconds": round((decoded - started) + report.seconds + ocr.seconds + mapping, 3),
        "seconds_preprocess": report.seconds,
        "seconds_ocr": ocr.seconds,
        "fields": fields_of(ocr, entry["id"]) if fields else None,
        "report_fields": report_fields,
        "report": report.model_dump(mode="json"),
    }


def run_ocrmypdf(entry: dict[str, Any], data: Path, cache: Path | None) -> dict[str, Any]:
    path = data / entry["file"]
    args = [
        "--rotate-pages",
        "--deskew",
        "--clean",
        "--output-type",
        "none",
        "-j",
        "1",
        "-l",
        "eng",
    ]
    # The resolution ipdigitise's ingest starts from (the file's, else from the paper size, else
    # assumed 300): OCRmyPDF needs one for images that do not state it.
    dpi = round(next(iter_pages(path)).dpi)
    key = f"ocrmypdf-{sha256(path.read_bytes())}-{dpi}-{'_'.join(args)}"

    def run() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="ipd-bench-") as tmp:
            sidecar = Path(tmp) / "out.txt"
            cmd = [sys.executable, "-m", "ocrmypdf", *args, "--image-dpi", str(dpi),
                   "--sidecar", str(sidecar), str(path), "-"]  # fmt: skip
            env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
            started = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
            seconds = time.perf_counter() - started
            text = sidecar.read_text(errors="replace") if sidecar.exists() else ""
            return {"text": text, "seconds": round(seconds, 3), "returncode": proc.returncode,
                    "stderr": proc.stderr[-2000:] if proc.returncode else ""}  # fmt: skip

    return cached(cache, key, run)


def job(spec: tuple[dict[str, Any], str, str, str | None, bool]) -> dict[str, Any]:
    entry, system, data_s, cache_s, fields = spec
    data, cache = Path(data_s), Path(cache_s) if cache_s else None
    use_crop_cache(cache)
    try:
        if system == "raw":
            out = run_raw(entry, data, cache, fields)
        elif system == "ocrmypdf":
            out = run_ocrmypdf(entry, data, cache)
        elif system == "ipd":
            out = run_ipd(entry, data, cache, {}, fields)
        else:
            out = run_ipd(entry, data, cache, ABLATIONS[system.removeprefix("ipd-")], fields)
    except Exception as exc:  # a failing page is a result, not a crash of the benchmark
        out = {"text": "", "seconds": None, "error": f"{type(exc).__name__}: {exc}"}
    return {"id": entry["id"], "kind": entry["kind"], "source": entry["source"], "system": system,
            "true_rotation": entry["rotation"], "true_skew": entry["skew"], **out}  # fmt: skip


def score(
    row: dict[str, Any], gt: Path, scope: tuple[list[str], list[str]] | None
) -> dict[str, Any]:
    """WER, read-lines WER (`scope`; none for text-only ground truth) and field hits."""
    reference = (gt / f"{row['source']}.txt").read_text()
    text = row.pop("text")
    wer, errors, n = bag_wer(reference, text)
    row.update(wer=round(wer, 4), errors=errors, ref_words=n)
    if scope is None:
        row.update(read_wer=None, read_errors=0, read_ref_words=0)
        return row
    wer, errors, n = scoped_wer(*scope, text)
    row.update(read_wer=round(wer, 4), read_errors=errors, read_ref_words=n)
    truth = gt / f"{row['source']}.fields.json"
    if row.get("fields") is not None:
        expected = expected_fields(truth)
        row["field_hits"] = {
            k: field_correct(k, v, row["fields"].get(k)) for k, v in expected.items()
        }
    if row.get("report_fields") is not None:
        row["eval_hits"] = core_hits(truth, row.pop("report_fields"), row["id"])
    return row


def reading_scope(
    sources: set[str], clean: dict[str, dict[str, Any]], data: Path, gt: Path, cache: Path | None
) -> dict[str, tuple[list[str], list[str]]]:
    """Per source page: (kept, dropped) reference lines for the read-lines WER (bench/metrics.py),
    from raw Tesseract's words on the clean page (cached OCR)."""
    out = {}
    for source in sorted(sources):
        path = data / clean[source]["file"]
        ocr = ocr_image(path, next(iter_pages(path)).dpi, cache)
        lines = json.loads((gt / f"{source}.lines.json").read_text())
        out[source] = split_readable(lines, [(w.text, w.bbox) for w in ocr.words])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, required=True, help="folder written by bench/degrade.py")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--systems", default="raw,ipd,ocrmypdf")
    ap.add_argument("--kinds", default="", help="comma-separated degradation types (default: all)")
    ap.add_argument("--pages", type=int, default=0, help="pages per type (default: all)")
    ap.add_argument("--ablation-pages", type=int, default=0, help="pages per type for the ablation")
    ap.add_argument("--ablations", default=",".join(ABLATIONS), help="which ablation variants")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/ipd-bench-cache"))
    ap.add_argument("--no-cache", action="store_true")
    args = ap.parse_args()

    manifest = json.loads((args.data / "manifest.json").read_text())
    # The US set's labels live beside its images; bench/degrade_test_pages.py writes plain texts
    # into the data folder and says so ("ground_truth": "text": no fields, no read lines).
    gt = args.data / manifest["gt"] if "gt" in manifest else Path(manifest["source"]) / "gt"
    text_only = manifest.get("ground_truth") == "text"
    entries = manifest["pages"]
    if args.kinds:
        entries = [e for e in entries if e["kind"] in args.kinds.split(",")]
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in entries:
        by_kind[e["kind"]].append(e)
    if args.pages:
        entries = [e for kind in by_kind for e in by_kind[kind][: args.pages]]
    cache = None if args.no_cache else args.cache
    if cache:
        cache.mkdir(parents=True, exist_ok=True)
    cache_s = str(cache) if cache else None
    specs = [(e, s, str(args.data), cache_s, not text_only)
             for e in entries for s in args.systems.split(",")]  # fmt: skip
    if args.ablation_pages:
        specs += [(e, f"ipd-{name}", str(args.data), cache_s, not text_only)
                  for kind in by_kind for e in by_kind[kind][: args.ablation_pages]
                  for name in args.ablations.split(",")]  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    done = []
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for i, row in enumerate(pool.map(job, specs, chunksize=1), 1):
            done.append(row)
            if i % 20 == 0:
                print(
                    f"{i}/{len(specs)} {time.perf_counter() - started:.0f}s",
                    file=sys.stderr,
                    flush=True,
                )
    use_crop_cache(cache)
    clean = {e["source"]: e for e in manifest["pages"] if e["kind"] == "clean"}
    scope = (
        {} if text_only else reading_scope({r["source"] for r in done}, clean, args.data, gt, cache)
    )
    rows = [score(row, gt, scope.get(row["source"])) for row in done]
    with (args.out / "results.jsonl").open("w") as fh:
        fh.writelines(json.dumps(row) + "\n" for row in rows)
    summary = summarise(rows)
    summary["wall_seconds"] = round(time.perf_counter() - started, 1)
    summary["command"] = " ".join(sys.argv)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    text = render_text_only(summary) if text_only else render(summary)
    (args.out / "summary.md").write_text(text)
    print(text)


def _micro_wer(rows: list[dict[str, Any]], prefix: str = "") -> float | None:
    words = sum(r[f"{prefix}ref_words"] for r in rows)
    return round(sum(r[f"{prefix}errors"] for r in rows) / words, 4) if words else None


def _field_acc(rows: list[dict[str, Any]], key: str = "eval_hits") -> float | None:
    """Micro average over the fields of the rows (`eval_hits`: `ipdigitise eval`'s core fields)."""
    hits = [h for r in rows if r.get(key) for h in r[key].values()]
    return round(sum(hits) / len(hits), 4) if hits else None


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["system"], r["kind"])].append(r)
        if r["kind"] != "clean":
            groups[(r["system"], "ALL degraded")].append(r)
    table = {}
    for (system, kind), rs in sorted(groups.items()):
        secs = [r["seconds"] for r in rs if r.get("seconds") is not None]
        pre = [r["seconds_preprocess"] for r in rs if r.get("seconds_preprocess") is not None]
        table[f"{system}|{kind}"] = {
            "system": system, "kind": kind, "pages": len(rs), "wer": _micro_wer(rs),
            "read_wer": _micro_wer(rs, "read_"),
            "field_accuracy": _field_acc(rs),
            "legacy_field_accuracy": _field_acc(rs, "field_hits"),
            "seconds_per_page": round(statistics.mean(secs), 3) if secs else None,
            "preprocess_seconds": round(statistics.mean(pre), 3) if pre else None,
            "errors": sum(1 for r in rs if r.get("error") or r.get("returncode")),
        }  # fmt: skip
    geometry = {}
    for system in sorted({r["system"] for r in rows if r["system"].startswith("ipd")}):
        rs = [r for r in rows if r["system"] == system and r.get("report")]
        skewed = [abs((r["report"].get("skew_angle") or 0.0) - r["true_skew"])
                  for r in rs if abs(r["true_skew"]) >= 0.3 and r["report"].get("rotation") == r["true_rotation"]]  # fmt: skip
        rotated = [r for r in rs if r["true_rotation"]]
        upright = [r for r in rs if not r["true_rotation"]]
        geometry[system] = {
            "skew_pages": len(skewed),
            "median_abs_skew_error": _median(skewed),
            "p90_abs_skew_error": round(sorted(skewed)[int(0.9 * (len(skewed) - 1))], 3) if skewed else None,
            "rotated_pages": len(rotated),
            "orientation_correct_rotated": sum(r["report"]["rotation"] == r["true_rotation"] for r in rotated),
            "upright_pages": len(upright),
            "orientation_false_turns": sum(r["report"]["rotation"] != 0 for r in upright),
            "preprocess_share_of_page_time": round(
                sum(r["seconds_preprocess"] for r in rs) / sum(r["seconds"] for r in rs), 3) if rs else None,
        }  # fmt: skip
    failures = [
        {"id": r["id"], "system": r["system"], "wer": r["wer"],
         "read_wer": r["read_wer"],
         "missed_fields": [k for k, v in (r.get("eval_hits") or {}).items() if not v],
         "steps": (r.get("report") or {}).get("steps"), "error": r.get("error")}
        for r in rows if r["system"] == "ipd" and (r["wer"] > 0.25 or not all((r.get("eval_hits") or {}).values()))
    ]  # fmt: skip
    ablation_ids = {r["id"] for r in rows if r["system"].startswith("ipd-")}
    ablation: dict[str, dict[str, Any]] = defaultdict(dict)
    if ablation_ids:
        sub: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            if r["id"] in ablation_ids and r["system"].startswith("ipd"):
                sub[(r["system"], r["kind"])].append(r)
                if r["kind"] != "clean":
                    sub[(r["system"], "ALL")].append(r)
        for (system, kind), rs in sub.items():
            secs = [r["seconds"] for r in rs if r.get("seconds") is not None]
            ablation[kind][system] = {"wer": _micro_wer(rs), "read_wer": _micro_wer(rs, "read_"),
                                      "field_accuracy": _field_acc(rs),
                                      "seconds_per_page": round(statistics.mean(secs), 3) if secs else None}  # fmt: skip
    by_source: dict[str, dict[str, float | None]] = defaultdict(dict)
    for system in sorted({r["system"] for r in rows}):
        for source in sorted({r["source"] for r in rows}):
            rs = [r for r in rows if (r["system"], r["source"]) == (system, source)]
            by_source[source][f"{system}|clean"] = _micro_wer(
                [r for r in rs if r["kind"] == "clean"]
            )
            by_source[source][f"{system}|degraded"] = _micro_wer(
                [r for r in rs if r["kind"] != "clean"]
            )
    return {"table": table, "geometry": geometry, "ablation": ablation, "failures": failures,
            "by_source": by_source}  # fmt: skip


def render_text_only(summary: dict[str, Any]) -> str:
    """WER table with the preprocessing target (ipd at most half of raw and below OCRmyPDF)."""
    table = summary["table"]
    kinds = sorted({v["kind"] for v in table.values()},
                   key=lambda k: (k == "ALL degraded", k != "clean", k))  # fmt: skip

    def wer(system: str, kind: str) -> float | None:
        return (table.get(f"{system}|{kind}") or {}).get("wer")

    def fmt(v: float | None) -> str:
        return "-" if v is None else f"{100 * v:.1f}%"

    out = ["## Bag-of-words WER against the human ground truth", "",
           "| type | pages | raw | ipd | ocrmypdf | half of raw | ipd <= half raw | ipd < ocrmypdf |",
           "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for kind in kinds:
        raw, ipd, omp = wer("raw", kind), wer("ipd", kind), wer("ocrmypdf", kind)
        pages = max(v["pages"] for v in table.values() if v["kind"] == kind)
        half = None if raw is None else raw / 2
        ok_half = "-" if half is None or ipd is None else ("yes" if ipd <= half else "no")
        ok_omp = "-" if omp is None or ipd is None else ("yes" if ipd < omp else "no")
        out.append(f"| {kind} | {pages} | {fmt(raw)} | {fmt(ipd)} | {fmt(omp)} | {fmt(half)} | "
                   f"{ok_half} | {ok_omp} |")  # fmt: skip
    by_source = summary.get("by_source") or {}
    if by_source:
        systems = sorted({k.split("|")[0] for per in by_source.values() for k in per},
                         key=lambda s: (s != "raw", s != "ipd", s))  # fmt: skip
        out += ["", "## By source page (clean / all degraded)", "",
                "| page | " + " | ".join(systems) + " |", "|---|" + "---|" * len(systems)]  # fmt: skip
        for source, per in by_source.items():
            cells = [f"{fmt(per.get(f'{s}|clean'))} / {fmt(per.get(f'{s}|degraded'))}"
                     for s in systems]  # fmt: skip
            out.append(f"| {source} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def render(summary: dict[str, Any]) -> str:
    table = summary["table"]
    systems = sorted(
        {v["system"] for v in table.values()},
        key=lambda s: (s != "raw", s != "ipd", s != "ocrmypdf", s),
    )
    kinds = sorted(
        {v["kind"] for v in table.values()}, key=lambda k: (k == "ALL degraded", k != "clean", k)
    )
    main_systems = [s for s in ("raw", "ipd", "ocrmypdf") if s in systems]
    out = ["## WER (bag of words), WER on the read lines, field accuracy (ipdigitise eval, core "
           "fields), seconds per page", "",
           "| type | pages | " + " | ".join(f"{s} WER | {s} read WER | {s} fields | {s} s/page" for s in main_systems) + " |",
           "|---|---|" + "---|---|---|---|" * len(main_systems)]  # fmt: skip

    def fmt(v: float | None, pct: bool = True) -> str:
        if v is None:
            return "-"
        return f"{100 * v:.1f}%" if pct else f"{v:.2f}"

    for kind in kinds:
        cells = []
        pages = 0
        for s in main_systems:
            v = table.get(f"{s}|{kind}")
            if v is None:
                cells.append("- | - | - | -")
                continue
            pages = v["pages"]
            cells.append(
                f"{fmt(v['wer'])} | {fmt(v['read_wer'])} | {fmt(v['field_accuracy'])} | "
                f"{fmt(v['seconds_per_page'], False)}"
            )
        out.append(f"| {kind} | {pages} | " + " | ".join(cells) + " |")
    clean_fields = (table.get("ipd|clean") or {}).get("field_accuracy")
    if clean_fields is not None:
        out += ["", f"## ipd field accuracy against its clean pages ({fmt(clean_fields)}); "
                "target: within 3 points", "", "| type | fields | difference | within 3 points |",
                "|---|---|---|---|"]  # fmt: skip
        for kind in kinds:
            v = table.get(f"ipd|{kind}")
            if kind == "clean" or v is None or v["field_accuracy"] is None:
                continue
            diff = 100 * (v["field_accuracy"] - clean_fields)
            out.append(f"| {kind} | {fmt(v['field_accuracy'])} | {diff:+.1f} | "
                       f"{'yes' if diff >= -3.0 else 'no'} |")  # fmt: skip
    ablation = summary.get("ablation") or {}
    if ablation:
        variants = sorted({v for per in ablation.values() for v in per if v != "ipd"})
        out += ["", "## Ablation: WER (fields, ipdigitise eval) with one step changed, same pages "
                "per type", "",
                "| type | ipd | " + " | ".join(variants) + " |", "|---|---|" + "---|" * len(variants)]  # fmt: skip
        for kind in sorted(ablation, key=lambda k: (k == "ALL", k != "clean", k)):
            per = ablation[kind]
            cells = [f"{fmt(per[v]['wer'])} ({fmt(per[v]['field_accuracy'])})" if v in per else "-"
                     for v in ["ipd", *variants]]  # fmt: skip
            out.append(f"| {kind} | " + " | ".join(cells) + " |")
    out += ["", "## Geometry (ipd)", "", "```", json.dumps(summary["geometry"], indent=1), "```"]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()

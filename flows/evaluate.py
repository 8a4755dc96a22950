"""`ipdigitise eval`: read ground truth and a finished run, score with `flows.scoring`, report.

Ground truth formats (detected per file):

* the shared US front-page labels, `GT_DIR/gt/<id>.fields.json` (or `GT_DIR/<id>.fields.json`):
  `{"id", "derived": {"country", "doc_number", "kind"}, "fields": {"patent_number":
  {"mention_text", "normalized", ...}, ...}}`; `*_line_1` labels hold the first printed line
  only and `application_number` omits the series code (scored with the prefix/suffix rules).
* our own format, `<id>.fields.json` as in `sample_scans/expected/`:
  `{"document": "<id>", "fields": {"11": "10142966", "51": ["H04W 72/04", ...], ...}}` with
  INID-keyed values (ISO dates, digits-only publication number, lists for 51/71/72/73). A
  code of `OWN_FORMAT_CODES` that a file leaves out means "not printed on the page".

Predictions: `PRED_DIR/<status>/<doc_id>/report.json` as written by `ipdigitise run`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.scoring import (
    FIELDS,
    RULES,
    SPECS,
    FieldStats,
    Label,
    Outcome,
    Prediction,
    aggregate,
    documents_all_correct,
    overall,
    score_field,
    worst_misses,
)
from mapping.normalise import normalise_date

TARGETS: dict[str, float] = {
    "publication_number": 0.99,
    "kind": 0.99,
    "publication_date": 0.98,
    "filing_date": 0.98,
    "application_number": 0.97,
    "ipc_first": 0.97,
    "title": 0.95,
    "applicant_first": 0.95,
    "inventor_first": 0.95,
    "all core fields": 0.97,
}

OWN_FORMAT_CODES = ("19", "11", "13", "21", "22", "45", "51", "54", "71", "72", "73")
_OWN_SINGLE = {"19": "office", "11": "publication_number", "13": "kind", "21": "application_number",
               "22": "filing_date", "45": "publication_date", "54": "title"}  # fmt: skip
_OWN_LISTS = {"51": ("ipc", "ipc_first"), "71": ("applicants", "applicant_first"),
              "72": ("inventors", "inventor_first"), "73": ("assignees", "assignee_first")}  # fmt: skip


class GroundTruthError(ValueError):
    """A ground-truth folder or file that cannot be read."""


@dataclass
class Truth:
    doc_id: str
    source: str
    format: str
    labels: dict[str, Label]


# --- ground truth -------------------------------------------------------------------------------


def truth_files(gt_dir: Path) -> list[Path]:
    for folder in (gt_dir / "gt", gt_dir / "expected", gt_dir):
        files = sorted(folder.glob("*.fields.json"))
        if files:
            return files
    raise GroundTruthError(f"no *.fields.json ground truth found in {gt_dir} (or its gt/)")


def read_truth(path: Path) -> Truth:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GroundTruthError(f"{path}: cannot read ground truth: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
        raise GroundTruthError(f"{path}: no 'fields' object")
    stem = path.name.removesuffix(".fields.json")
    fields = data["fields"]
    if any(isinstance(v, dict) and "mention_text" in v for v in fields.values()):
        return Truth(str(data.get("id") or stem), str(path), "us-frontpages", _shared_labels(data))
    return Truth(str(data.get("document") or stem), str(path), "inid", _own_labels(fields))


def _shared_labels(data: dict[str, Any]) -> dict[str, Label]:
    fields: dict[str, dict[str, Any]] = data["fields"]
    derived = data.get("derived") or {}

    def mention(name: str) -> str | None:
        f = fields.get(name) or {}
        text = f.get("mention_text")
        return " ".join(str(text).split()) if text else None

    def normalised(name: str) -> str | None:
        f = fields.get(name) or {}
        return f.get("normalized") or None

    labels: dict[str, Label] = {}

    def put(name: str, value: str | None, rule: str = "exact") -> None:
        if value:
            labels[name] = Label(value, rule)  # type: ignore[arg-type]

    put("office", mention("issuer") or derived.get("country"))
    put("publication_number", normalised("patent_number") or mention("patent_number"))
    put("kind", derived.get("kind"))
    for name in ("publication_date", "filing_date"):
        put(name, normalised(name) or normalise_date(mention(name) or ""))
    put("application_number", mention("application_number"), "suffix")
    put("title", mention("title_line_1"), "prefix")
    put("applicant_first", mention("applicant_line_1"), "prefix")
    put("inventor_first", mention("inventor_line_1"), "prefix")
    put("ipc_first", mention("class_international"))
    put("cpc_first", mention("class_us"))
    return labels


def _own_labels(fields: dict[str, Any]) -> dict[str, Label]:
    labels: dict[str, Label] = {}
    for code in OWN_FORMAT_CODES:
        value = fields.get(code)
        if code in _OWN_SINGLE:
            labels[_OWN_SINGLE[code]] = Label(str(value) if value else None)
        else:
            items = tuple(str(v) for v in value) if isinstance(value, list) else ()
            if isinstance(value, str) and value:
                items = (value,)
            list_name, first_name = _OWN_LISTS[code]
            labels[list_name] = Label(items or None, "list")
            labels[first_name] = Label(items[0] if items else None)
    return labels


# --- predictions --------------------------------------------------------------------------------


@dataclass
class Run:
    doc_id: str
    status: str
    report: dict[str, Any]
    reasons: list[str] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)


def read_runs(pred_dir: Path) -> dict[str, Run]:
    """report.json of every document in a run folder (`<status>/<doc_id>/report.json`)."""
    runs: dict[str, Run] = {}
    for path in sorted(pred_dir.glob("*/*/report.json")):
        if path.parts[-3].startswith("."):
            continue
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        doc_id = str(report.get("doc_id") or path.parent.name)
        validation = report.get("validation") or {}
        error = report.get("error") or {}
        reasons = list(validation.get("reasons") or [])
        if error:
            reasons.append(f"{error.get('reason')}: {error.get('message')}")
        runs[doc_id] = Run(
            doc_id=doc_id,
            status=str(report.get("status") or path.parts[-3]),
            report=report,
            reasons=reasons,
            findings=[f for f in validation.get("findings") or [] if f.get("severity") != "info"],
        )
    return runs


def predictions(report: dict[str, Any]) -> dict[str, Prediction]:
    """The scored fields of one report.json (`fields` as written by the run)."""
    fields: dict[str, Any] = report.get("fields") or {}
    out: dict[str, Prediction] = {}
    for name in ("office", "publication_number", "kind", "publication_date",
                 "application_number", "filing_date", "title"):  # fmt: skip
        entry = fields.get(name)
        if isinstance(entry, dict) and entry.get("value"):
            out[name] = Prediction(str(entry["value"]), _conf(entry))
    for list_name, first_name, key in (
        ("ipc", "ipc_first", "ipc"),
        ("applicants", "applicant_first", "applicants"),
        ("inventors", "inventor_first", "inventors"),
        ("assignees", "assignee_first", "assignees"),
        (None, "cpc_first", "cpc"),
    ):
        entries = [e for e in fields.get(key) or [] if isinstance(e, dict) and e.get("value")]
        if not entries:
            continue
        if list_name:
            out[list_name] = Prediction(
                tuple(str(e["value"]) for e in entries),
                min((_conf(e) or 0.0) for e in entries),
            )
        out[first_name] = Prediction(str(entries[0]["value"]), _conf(entries[0]))
    return out


def _conf(entry: dict[str, Any]) -> float | None:
    value = entry.get("confidence")
    return float(value) if isinstance(value, int | float) else None


# --- evaluation ---------------------------------------------------------------------------------


@dataclass
class Evaluation:
    gt_dir: str
    pred_dir: str
    formats: list[str]
    outcomes: list[Outcome]
    runs: dict[str, Run]
    missing: list[str]
    unlabelled: list[str]

    @property
    def stats(self) -> dict[str, FieldStats]:
        return aggregate(self.outcomes)


def evaluate(gt_dir: Path, pred_dir: Path) -> Evaluation:
    truths = [read_truth(p) for p in truth_files(gt_dir)]
    runs = read_runs(pred_dir)
    outcomes: list[Outcome] = []
    missing: list[str] = []
    for truth in truths:
        run = runs.get(truth.doc_id)
        if run is None:
            missing.append(truth.doc_id)
        preds = predictions(run.report) if run else {}
        status = run.status if run else "missing"
        for spec in FIELDS:
            label = truth.labels.get(spec.name)
            if label is None:
                continue
            pred = preds.get(spec.name, Prediction(None))
            outcomes.append(score_field(truth.doc_id, spec, label, pred, status))
    labelled = {t.doc_id for t in truths}
    return Evaluation(
        gt_dir=str(gt_dir),
        pred_dir=str(pred_dir),
        formats=sorted({t.format for t in truths}),
        outcomes=outcomes,
        runs=runs,
        missing=missing,
        unlabelled=sorted(set(runs) - labelled),
    )


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def _shown(value: object, width: int = 60) -> str:
    if value is None:
        return "(none)"
    text = " | ".join(value) if isinstance(value, tuple) else str(value)
    text = text.replace("|", "/") if not isinstance(value, tuple) else text
    return text if len(text) <= width else text[: width - 1] + "…"


def routing(ev: Evaluation) -> dict[str, Any]:
    """Where the scored documents went, and whether the review gate caught the wrong fields."""
    doc_ids = sorted({o.doc_id for o in ev.outcomes})
    statuses = Counter(ev.runs[d].status if d in ev.runs else "missing" for d in doc_ids)
    core_wrong = [o for o in ev.outcomes if SPECS[o.field].core and not o.correct]
    caught = sum(1 for o in core_wrong if o.status != "published")
    published = [o for o in ev.outcomes if SPECS[o.field].core and o.status == "published"]
    rules: Counter[str] = Counter()
    per_doc: dict[str, list[str]] = {}
    for d in doc_ids:
        run = ev.runs.get(d)
        if run is None or run.status == "published":
            continue
        for f in run.findings:
            rules[str(f.get("rule"))] += 1
        per_doc[d] = run.reasons
    return {
        "statuses": dict(sorted(statuses.items())),
        "core_fields_wrong": len(core_wrong),
        "core_fields_wrong_outside_published": caught,
        "published_core_accuracy": (
            sum(o.correct for o in published) / len(published) if published else None
        ),
        "review_rules": dict(rules.most_common()),
        "review_reasons": per_doc,
    }


def to_json(ev: Evaluation, misses: int = 50) -> dict[str, Any]:
    def stat(s: FieldStats) -> dict[str, Any]:
        spec = SPECS.get(s.name)
        return {
            "inid": spec.inid if spec else None,
            "rules": sorted(s.rules),
            "core": spec.core if spec else True,
            "scored": s.scored,
            "correct": s.correct,
            "accuracy": s.accuracy,
            "precision": s.precision,
            "recall": s.recall,
            "target": TARGETS.get(s.name),
        }

    total = overall(ev.outcomes)
    all_ok, docs = documents_all_correct(ev.outcomes)
    return {
        "ground_truth": ev.gt_dir,
        "predictions": ev.pred_dir,
        "formats": ev.formats,
        "rules": list(RULES),
        "documents": {
            "scored": docs,
            "all_core_fields_correct": all_ok,
            "missing_predictions": ev.missing,
            "unlabelled_predictions": ev.unlabelled,
        },  # fmt: skip
        "fields": {name: stat(s) for name, s in ev.stats.items()},
        "overall": stat(total),
        "routing": routing(ev),
        "worst_misses": [
            {
                "document": o.doc_id,
                "field": o.field,
                "expected": o.expected,
                "got": o.got,
                "rule": o.rule,
                "confidence": o.confidence,
                "status": o.status,
            }  # fmt: skip
            for o in worst_misses(ev.outcomes, misses)
        ],
        "outcomes": [
            {
                "document": o.doc_id,
                "field": o.field,
                "correct": o.correct,
                "expected": o.expected,
                "got": o.got,
                "confidence": o.confidence,
            }  # fmt: skip
            for o in ev.outcomes
        ],
    }


def field_rows(ev: Evaluation) -> Iterator[tuple[str, ...]]:
    """Rows of the per-field table: field, INID, rule, scored, correct, acc, P, R, target."""
    for name, s in ev.stats.items():
        spec = SPECS[name]
        target = TARGETS.get(name)
        yield (name + ("" if spec.core else " (info)"), spec.inid, "/".join(sorted(s.rules)),
               str(s.scored), str(s.correct), _pct(s.accuracy), _pct(s.precision),
               _pct(s.recall), _pct(target) if target else "")  # fmt: skip
    total = overall(ev.outcomes)
    yield ("all core fields", "", "", str(total.scored), str(total.correct), _pct(total.accuracy),
           _pct(total.precision), _pct(total.recall), _pct(TARGETS["all core fields"]))  # fmt: skip


def to_markdown(ev: Evaluation, misses: int = 30) -> str:
    lines = ["# ipdigitise eval", ""]
    all_ok, docs = documents_all_correct(ev.outcomes)
    lines += [
        f"- ground truth: `{ev.gt_dir}` ({', '.join(ev.formats)} format)",
        f"- predictions: `{ev.pred_dir}`",
        f"- documents scored: {docs}; with every core field correct: {all_ok}"
        + (f" ({100 * all_ok / docs:.1f} %)" if docs else ""),
    ]
    if ev.missing:
        lines.append(f"- labelled but not in the run (scored as wrong): {', '.join(ev.missing)}")
    if ev.unlabelled:
        lines.append(f"- in the run without ground truth (not scored): {len(ev.unlabelled)}")
    lines += ["", "## Scoring rules", ""]
    lines += [f"- {r}" for r in RULES]
    lines += [
        "- core fields (overall accuracy): "
        + ", ".join(s.name for s in FIELDS if s.core)
        + "; fields marked (info) are reported but not in the overall figure",
        "",
        "## Per field",
        "",
        "| field | INID | rule | scored | correct | accuracy | precision | recall | target |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in field_rows(ev)]
    route = routing(ev)
    lines += ["", "## Routing (validation gate)", ""]
    lines.append("- documents: " + ", ".join(f"{k} {v}" for k, v in route["statuses"].items()))
    lines.append(
        f"- wrong core fields: {route['core_fields_wrong']}, of which "
        f"{route['core_fields_wrong_outside_published']} are in documents kept out of published/"
    )
    lines.append(f"- core-field accuracy in published/: {_pct(route['published_core_accuracy'])}")
    if route["review_rules"]:
        lines.append(
            "- review findings by rule: "
            + ", ".join(f"{k} {v}" for k, v in route["review_rules"].items())
        )
    if route["review_reasons"]:
        lines += ["", "| document | why it is not in published/ |", "|---|---|"]
        for doc_id, reasons in route["review_reasons"].items():
            why = "; ".join(reasons) or "(no reason recorded)"
            lines.append(f"| {doc_id} | {_shown(why, 200)} |")
    lines += [
        "",
        f"## Worst misses (up to {misses}; published first, then by confidence)",
        "",
        "| document | field | expected | got | OCR confidence | status |",
        "|---|---|---|---|---:|---|",
    ]
    for o in worst_misses(ev.outcomes, misses):
        conf = "-" if o.confidence is None else f"{o.confidence:.2f}"
        lines.append(
            f"| {o.doc_id} | {o.field} | {_shown(o.expected)} | {_shown(o.got)} | {conf} "
            f"| {o.status} |"
        )
    return "\n".join(lines) + "\n"


def write_reports(ev: Evaluation, markdown: Path, json_path: Path | None = None) -> Path:
    """Write the Markdown report and its JSON twin (same name, .json); return the JSON path."""
    json_path = json_path or markdown.with_suffix(".json")
    markdown.parent.mkdir(parents=True, exist_ok=True)
    markdown.write_text(to_markdown(ev), encoding="utf-8")
    json_path.write_text(
        json.dumps(to_json(ev), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return json_path


def print_summary(ev: Evaluation, report: Path, json_path: Path, misses: int = 10) -> None:
    """The per-field table, routing and the worst misses on the terminal (rich)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"ipdigitise eval: {ev.pred_dir} vs {ev.gt_dir}", show_edge=False)
    for col in ("field", "INID", "rule", "scored", "correct", "accuracy", "precision", "recall",
                "target"):  # fmt: skip
        table.add_column(col, justify="left" if col in ("field", "rule") else "right")
    for row in field_rows(ev):
        table.add_row(*row)
    out = Console()
    out.print(table)
    all_ok, docs = documents_all_correct(ev.outcomes)
    route = routing(ev)
    out.print(f"documents: {docs} scored, {all_ok} with every core field correct; "
              + ", ".join(f"{k} {v}" for k, v in route["statuses"].items()))  # fmt: skip
    out.print(f"wrong core fields: {route['core_fields_wrong']}, "
              f"{route['core_fields_wrong_outside_published']} of them kept out of published/")  # fmt: skip
    worst = worst_misses(ev.outcomes, misses)
    if worst:
        t = Table(title="worst misses", show_edge=False)
        for col in ("document", "field", "expected", "got", "conf", "status"):
            t.add_column(col)
        for o in worst:
            conf = "-" if o.confidence is None else f"{o.confidence:.2f}"
            t.add_row(o.doc_id, o.field, _shown(o.expected, 40), _shown(o.got, 40), conf,
                      str(o.status))  # fmt: skip
        out.print(t)
    out.print(f"reports: {report} and {json_path}")

"""`ipdigitise eval`: the documented scoring rules, both ground-truth formats, reports, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.evaluate import (
    GroundTruthError,
    evaluate,
    predictions,
    read_truth,
    to_json,
    to_markdown,
    write_reports,
)
from flows.scoring import (
    RULES,
    SPECS,
    Label,
    Prediction,
    aggregate,
    documents_all_correct,
    matches,
    norm_class,
    norm_number,
    norm_text,
    overall,
    score_field,
    worst_misses,
)

ROOT = Path(__file__).resolve().parents[1]


# --- normalisation and match rules --------------------------------------------------------------


def test_text_normalisation_keeps_case_and_drops_trailing_separators() -> None:
    assert norm_text("  Google   LLC , ") == "Google LLC"
    assert norm_text("“Smart” home — hub") == '"Smart" home - hub'
    assert norm_text("SONY CORPORATION") != norm_text("Sony Corporation")


def test_number_normalisation() -> None:
    assert norm_number("US 10,231,003 B2") == norm_number("US010231003B2") == "10231003"


def test_class_normalisation_drops_edition_and_leading_zeros_but_repairs_nothing() -> None:
    assert norm_class("G06F 3/00 (2006.01)") == norm_class("G06F 03/00") == "G06F3/00"
    assert norm_class("GO6F 3/00") != norm_class("G06F 3/00")


@pytest.mark.parametrize(
    ("kind", "rule", "label", "pred", "ok"),
    [
        ("text", "exact", "Google LLC,", "Google LLC", True),
        (
            "text",
            "prefix",
            "CAMERA DATA ACCESS BASED ON",
            "CAMERA DATA ACCESS BASED ON SUBSCRIPTION STATUS",
            True,
        ),
        ("text", "prefix", "CANON KABUSHIK", "CANON KABUSHIKI KAISHA", True),
        ("text", "prefix", "TIME-OF-", "TIME-OF-FLIGHT CAMERA", True),  # line-break hyphen
        ("text", "prefix", "Google LLC", "Google", False),  # shorter prediction is wrong
        ("text", "exact", "Google LLC", "Google LLC, Mountain View", False),
        ("appno", "suffix", "947,048", "15/947,048", True),
        ("appno", "suffix", "947,048", "947,048", True),
        ("appno", "suffix", "947,048", "123456947,048", False),  # too much before the label
        ("appno", "exact", "15/947,048", "15947048", True),
        ("number", "exact", "10231003", "US 10,231,003", True),
        ("date", "exact", "2019-03-12", "2019-03-12", True),
        ("date", "exact", "2019-03-12", "2019-03-13", False),
        ("class", "exact", "G06Q 20/36", "G06Q 20/36 (2012.01)", True),
        ("code", "exact", "b2", "B2", True),
    ],
)
def test_match_rules(kind: str, rule: str, label: str, pred: str, ok: bool) -> None:
    assert matches(kind, rule, label, pred) is ok  # type: ignore[arg-type]


def test_rules_are_documented() -> None:
    text = " ".join(RULES)
    for word in ("prefix", "suffix", "exact", "ISO", "NFKC", "edition"):
        assert word in text


# --- counting -------------------------------------------------------------------------------------


def test_precision_recall_accuracy_counting() -> None:
    spec = SPECS["title"]
    outcomes = [
        score_field("a", spec, Label("X"), Prediction("X")),  # right
        score_field("b", spec, Label("X"), Prediction("Y")),  # wrong value
        score_field("c", spec, Label("X"), Prediction(None)),  # missed
        score_field("d", spec, Label(None), Prediction("Z")),  # not printed, invented
        score_field("e", spec, Label(None), Prediction(None)),  # not printed, nothing: right
    ]
    s = aggregate(outcomes)["title"]
    assert (s.scored, s.correct) == (5, 2)
    assert s.accuracy == pytest.approx(2 / 5)
    assert s.precision == pytest.approx(1 / 3)  # 3 predictions, 1 right
    assert s.recall == pytest.approx(1 / 3)  # 3 labels with a value, 1 found


def test_lists_count_elements() -> None:
    spec = SPECS["ipc"]
    o = score_field("a", spec, Label(("G06F 3/00", "H04L 29/06"), "list"),
                    Prediction(("G06F 3/00 (2006.01)", "H04W 4/00")))  # fmt: skip
    assert not o.correct and o.matched == 1
    s = aggregate([o])["ipc"]
    assert s.precision == s.recall == pytest.approx(0.5)


def test_overall_uses_core_fields_only_and_documents_all_correct() -> None:
    outcomes = [
        score_field("a", SPECS["title"], Label("X"), Prediction("X")),
        score_field("a", SPECS["cpc_first"], Label("H04N 5/2325"), Prediction("H04N 5/23258")),
        score_field("b", SPECS["title"], Label("X"), Prediction("Y")),
    ]
    total = overall(outcomes)
    assert (total.scored, total.correct) == (2, 1)
    assert documents_all_correct(outcomes) == (1, 2)


def test_worst_misses_put_confident_published_errors_first() -> None:
    spec = SPECS["title"]
    outcomes = [
        score_field("a", spec, Label("X"), Prediction("Y", 0.5), status="published"),
        score_field("b", spec, Label("X"), Prediction("Y", 0.99), status="review"),
        score_field("c", spec, Label("X"), Prediction("Y", 0.9), status="published"),
        score_field("d", SPECS["cpc_first"], Label("X"), Prediction("Y", 0.99), status="published"),
    ]
    assert [o.doc_id for o in worst_misses(outcomes)] == ["c", "a", "b", "d"]


# --- ground truth formats and a run folder ------------------------------------------------------


def _write_run(root: Path, doc_id: str, status: str, fields: dict[str, object],
               reasons: tuple[str, ...] = ()) -> None:  # fmt: skip
    folder = root / status / doc_id
    folder.mkdir(parents=True)
    report = {
        "doc_id": doc_id,
        "status": status,
        "fields": fields,
        "validation": {
            "reasons": list(reasons),
            "findings": [
                {"severity": "review", "rule": "low-confidence", "message": r} for r in reasons
            ],  # fmt: skip
        },
    }
    (folder / "report.json").write_text(json.dumps(report))


def _field(value: str, conf: float = 0.95) -> dict[str, object]:
    return {"value": value, "confidence": conf}


SHARED_LABELS = {
    "id": "p1",
    "derived": {"country": "US", "doc_number": "10231003", "kind": "B2"},
    "fields": {
        "patent_number": {"mention_text": "10,231,003", "normalized": "10231003"},
        "publication_date": {"mention_text": "Mar. 12, 2019", "normalized": "2019-03-12"},
        "application_number": {"mention_text": "947,048", "normalized": None},
        "filing_date": {"mention_text": "Apr. 6, 2018", "normalized": "2018-04-06"},
        "title_line_1": {"mention_text": "CAMERA DATA ACCESS BASED ON", "normalized": None},
        "applicant_line_1": {"mention_text": "Google LLC,", "normalized": None},
        "inventor_line_1": {"mention_text": "Igor Karp", "normalized": None},
        "class_international": {"mention_text": "G06F 3/00", "normalized": None},
        "class_us": {"mention_text": "H04N 21/2743", "normalized": None},
        "issuer": {"mention_text": "US", "normalized": None},
    },
}


def test_shared_format_labels_and_rules(tmp_path: Path) -> None:
    path = tmp_path / "p1.fields.json"
    path.write_text(json.dumps(SHARED_LABELS))
    truth = read_truth(path)
    assert truth.format == "us-frontpages" and truth.doc_id == "p1"
    assert truth.labels["application_number"].rule == "suffix"
    assert truth.labels["title"].rule == "prefix"
    assert truth.labels["kind"].value == "B2"
    assert "assignee_first" not in truth.labels  # not labelled: not scored


def test_own_inid_format(tmp_path: Path) -> None:
    path = tmp_path / "us_1.fields.json"
    path.write_text(
        json.dumps(
            {
                "document": "us_1",
                "fields": {"11": "10142966", "51": ["H04W 72/04"], "71": ["SONY CORPORATION"]},
            }
        )
    )
    truth = read_truth(path)
    assert truth.format == "inid"
    assert truth.labels["ipc"].value == ("H04W 72/04",)
    assert truth.labels["ipc_first"].value == "H04W 72/04"
    assert truth.labels["assignees"].value is None  # left out: not printed on the page
    assert truth.labels["title"].value is None


def test_bad_ground_truth_is_a_typed_error(tmp_path: Path) -> None:
    (tmp_path / "x.fields.json").write_text("{not json")
    with pytest.raises(GroundTruthError):
        read_truth(tmp_path / "x.fields.json")
    with pytest.raises(GroundTruthError):
        evaluate(tmp_path / "empty-does-not-exist", tmp_path)


def test_predictions_from_a_report() -> None:
    preds = predictions({"fields": {
        "title": _field("T"), "ipc": [_field("G06F 3/00 (2006.01)", 0.8), _field("H04L 29/06", 0.6)],
        "applicants": [_field("Google LLC")],
    }})  # fmt: skip
    assert preds["ipc_first"].value == "G06F 3/00 (2006.01)"
    assert preds["ipc"].value == ("G06F 3/00 (2006.01)", "H04L 29/06")
    assert preds["ipc"].confidence == 0.6
    assert preds["applicant_first"].value == "Google LLC"


def test_evaluate_a_run_and_write_reports(tmp_path: Path) -> None:
    gt = tmp_path / "set" / "gt"
    gt.mkdir(parents=True)
    (gt / "p1.fields.json").write_text(json.dumps(SHARED_LABELS))
    (gt / "p2.fields.json").write_text(json.dumps({**SHARED_LABELS, "id": "p2"}))
    run = tmp_path / "run"
    _write_run(run, "p1", "published", {
        "office": _field("US"), "publication_number": _field("10231003"), "kind": _field("B2"),
        "publication_date": _field("2019-03-12"), "application_number": _field("15/947,048"),
        "filing_date": _field("2018-04-06"),
        "title": _field("CAMERA DATA ACCESS BASED ON SUBSCRIPTION STATUS"),
        "ipc": [_field("G06F 3/00 (2006.01)")], "cpc": [_field("H04N 21/2743 (2013.01)")],
        "applicants": [_field("Google LLC")], "inventors": [_field("Igor Karp")],
    })  # fmt: skip
    # p2 is wrong on its filing date and went to review, saying why
    _write_run(run, "p2", "review", {"filing_date": _field("2018-04-07", 0.4)},
               reasons=("filing_date read with confidence 0.40 (threshold 0.70)",))  # fmt: skip
    ev = evaluate(tmp_path / "set", run)
    stats = ev.stats
    assert stats["filing_date"].correct == 1 and stats["filing_date"].scored == 2
    assert stats["publication_number"].precision == 1.0
    assert stats["publication_number"].recall == 0.5
    data = to_json(ev)
    assert data["documents"]["all_core_fields_correct"] == 1
    assert data["routing"]["statuses"] == {"published": 1, "review": 1}
    assert (
        data["routing"]["core_fields_wrong_outside_published"]
        == data["routing"]["core_fields_wrong"]
    )
    md = to_markdown(ev)
    assert "## Scoring rules" in md and "prefix" in md
    assert "| p2 | filing_date read with confidence 0.40" in md
    assert "| p2 | filing_date | 2018-04-06 | 2018-04-07 | 0.40 | review |" in md
    json_path = write_reports(ev, tmp_path / "out" / "eval.md")
    assert json.loads(json_path.read_text())["overall"]["scored"] > 0


def test_missing_documents_count_as_wrong(tmp_path: Path) -> None:
    gt = tmp_path / "gt"
    gt.mkdir()
    (gt / "p1.fields.json").write_text(json.dumps(SHARED_LABELS))
    run = tmp_path / "run"
    run.mkdir()
    ev = evaluate(tmp_path, run)
    assert ev.missing == ["p1"]
    assert overall(ev.outcomes).correct == 0


def test_cli_eval_on_the_sample_expectations(tmp_path: Path) -> None:
    expected = ROOT / "sample_scans" / "expected"
    run = tmp_path / "run"
    for path in sorted(expected.glob("*.fields.json")):
        data = json.loads(path.read_text())
        f = data["fields"]
        fields: dict[str, object] = {
            "office": _field(f["19"]), "publication_number": _field(f["11"]), "kind": _field(f["13"]),
            "application_number": _field(f["21"]), "filing_date": _field(f["22"]),
            "publication_date": _field(f["45"]), "title": _field(f["54"]),
            "ipc": [_field(s) for s in f["51"]], "applicants": [_field(s) for s in f["71"]],
            "inventors": [_field(s) for s in f["72"]],
        }  # fmt: skip
        if "73" in f:
            fields["assignees"] = [_field(s) for s in f["73"]]
        _write_run(run, data["document"], "published", fields)
    report = tmp_path / "report.md"
    result = CliRunner().invoke(app, ["eval", "--gt", str(expected), "--pred", str(run),
                                      "--report", str(report)])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(report.with_suffix(".json").read_text())
    assert data["overall"]["accuracy"] == 1.0
    assert data["formats"] == ["inid"]
    assert data["fields"]["ipc"]["accuracy"] == 1.0


def test_cli_eval_bad_ground_truth_exits_2(tmp_path: Path) -> None:
    (tmp_path / "gt").mkdir()
    (tmp_path / "run").mkdir()
    result = CliRunner().invoke(app, ["eval", "--gt", str(tmp_path / "gt"), "--pred",
                                      str(tmp_path / "run")])  # fmt: skip
    assert result.exit_code == 2

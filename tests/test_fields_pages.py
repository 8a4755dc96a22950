"""Field extraction on recorded OCR of real front pages (tests/fixtures/pageocr, see README).

The expected values are the shared labels of these pages (copied here so the tests run without
../shared); where ../shared is present the labels are also read from it and compared.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.evaluate import read_truth
from flows.scoring import SPECS, Prediction, score_field
from mapping.document import build_document
from mapping.model import BBox
from ocr.models import PageOcr, Word
from output_schemas import jsonout, st96
from output_schemas.fieldsreport import fields_report
from output_schemas.validate import gate

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pageocr"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"

EXPECTED = {
    "computer_vision_1": {
        "office": "US", "publication_number": "10231003", "kind": "B2",
        "publication_date": "2019-03-12", "application_number": "15/947,048",
        "filing_date": "2018-04-06", "title": "CAMERA DATA ACCESS BASED ON SUBSCRIPTION STATUS",
        "ipc_first": "G06F 3/00 (2006.01)", "applicant_first": "Google LLC",
        "inventor_first": "Igor Karp",
    },
    "crypto_10": {
        "office": "US", "publication_number": "10055715", "kind": "B1",
        "publication_date": "2018-08-21", "application_number": "15/713,322",
        "filing_date": "2017-09-22", "title": "CRYPTOCURRENCY PAYMENT NETWORK",
        "applicant_first": "Square, Inc.", "inventor_first": "Brian Grassadonia",
    },
    "us_015": {
        "office": "US", "publication_number": "10142483", "kind": "B2",
        "publication_date": "2018-11-27", "filing_date": "2015-12-22",
        "title": "TECHNOLOGIES FOR DYNAMIC AUDIO COMMUNICATION ADJUSTMENT",
        "ipc_first": "H04M 3/42 (2006.01)", "applicant_first": "Intel Corporation",
        "inventor_first": "Hong Li",
    },
}  # fmt: skip


def _page(doc_id: str) -> PageOcr:
    return PageOcr.model_validate_json((FIXTURES / f"{doc_id}.json").read_text())


def _values(report: dict[str, object]) -> dict[str, str]:
    fields = report
    out = {k: v["value"] for k, v in fields.items() if isinstance(v, dict)}  # type: ignore[index]
    for key, name in (("ipc", "ipc_first"), ("applicants", "applicant_first"),
                      ("inventors", "inventor_first")):  # fmt: skip
        if fields.get(key):
            out[name] = fields[key][0]["value"]  # type: ignore[index]
    return out


@pytest.mark.parametrize("doc_id", sorted(EXPECTED))
def test_fields_of_recorded_pages(doc_id: str) -> None:
    doc = build_document(doc_id, [_page(doc_id)])
    values = _values(fields_report(doc))
    for name, want in EXPECTED[doc_id].items():
        assert values.get(name) == want, name


def test_number_line_confirms_the_publication_number() -> None:
    doc = build_document("computer_vision_1", [_page("computer_vision_1")])
    assert not [n for n in doc.notes if n.rule == "number-cross-check"]
    assert doc.fields["publication_number"].source.confidence >= 0.9


def test_unreadable_first_ipc_line_is_flagged_without_a_second_reading() -> None:
    # crypto_10: the first symbol under (51) came out as rubbish; the symbols read after it
    # must not pass for the first one unnoticed
    doc = build_document("crypto_10", [_page("crypto_10")])
    assert [n.rule for n in doc.notes] == ["ipc-unreadable"]
    report = gate(doc, st96.to_st96(doc), jsonout.to_json_dict(doc))
    assert report.outcome() == "review"
    assert any(f.rule == "ipc-unreadable" for f in report.findings)


class FakeReader:
    """Stands in for ocr.reread.CropReader: answers crops that overlap given boxes."""

    def __init__(self, answers: list[tuple[BBox, str, list[list[str]]]]) -> None:
        self.answers = answers
        self.calls: list[tuple[BBox, str]] = []

    def __call__(self, page: int, bbox: BBox, profile: str) -> list[Word] | None:
        self.calls.append((bbox, profile))
        for box, want_profile, lines in self.answers:
            overlap = min(bbox[3], box[3]) - max(bbox[1], box[1])
            if overlap > 0 and profile == want_profile:
                words = []
                for n, tokens in enumerate(lines):
                    x, y = box[0], box[1] + 42 * n
                    for t in tokens:
                        words.append(Word(text=t, bbox=(x, y, x + 20 * len(t), y + 32),
                                          confidence=0.96, line=n + 1))  # fmt: skip
                        x += 20 * len(t) + 10
                return words
        return []


def test_second_reading_recovers_the_unreadable_ipc_line() -> None:
    reader = FakeReader([((423, 1527, 914, 1603), "ipc",
                          [["G06Q", "40/00", "(2012.01)"], ["G06Q", "20/06", "(2012.01)"]])])  # fmt: skip
    doc = build_document("crypto_10", [_page("crypto_10")], reread=reader)
    assert [f.value for f in doc.ipc][:3] == [
        "G06Q 40/00 (2012.01)", "G06Q 20/06 (2012.01)", "G06Q 20/40 (2012.01)"
    ]  # fmt: skip
    assert not doc.notes


def test_missing_line_recovered_from_an_empty_band() -> None:
    # us_015: the page OCR has no (21) line at all; reading the empty bands again finds it
    reader = FakeReader([((323, 1230, 1218, 1340), "block",
                          [["(21)", "Appl.", "No.:", "14/979,117"]])])  # fmt: skip
    doc = build_document("us_015", [_page("us_015")], reread=reader)
    assert doc.value("application_number") == "14/979,117"
    assert any(profile == "block" for _, profile in reader.calls)


def test_second_readings_stay_within_the_budget() -> None:
    from ocr.reread import CropReader

    reader = CropReader(images={}, budget=0)
    assert reader(0, (0, 0, 10, 10), "date") is None
    assert reader.calls == 0


def test_pages_against_shared_labels() -> None:
    gt = SHARED / "data" / "us-frontpages" / "gt"
    if not gt.exists():
        pytest.skip(f"../shared is not present ({gt}); this test needs the shared labels")
    for doc_id in EXPECTED:
        truth = read_truth(gt / f"{doc_id}.fields.json")
        report = fields_report(build_document(doc_id, [_page(doc_id)]))
        values = _values(report)
        for name in ("publication_number", "kind", "publication_date", "filing_date", "title",
                     "applicant_first", "inventor_first"):  # fmt: skip
            label = truth.labels[name]
            outcome = score_field(doc_id, SPECS[name], label, Prediction(values.get(name)))
            assert outcome.correct, (doc_id, name, label.value, values.get(name))
    json.dumps(report)  # the report is plain JSON

"""`ipdigitise validate FILE...` runs the same gate on existing output files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import EXIT_INVALID, EXIT_OK, EXIT_REVIEW, app
from flows.fulltext_outputs import with_drawing_images
from mapping.document import build_document
from output_schemas import jsonout, st36, st96
from tests.conftest import fixture_pages, load_fixture

runner = CliRunner()


@pytest.fixture()
def outputs(tmp_path: Path) -> Path:
    data = load_fixture("EP1000000A1.clean")
    doc = with_drawing_images(
        build_document(data["doc_id"], fixture_pages(data), non_text_ink=data["ink"])
    )
    (tmp_path / "EP1000000A1.st96.xml").write_bytes(st96.serialise(st96.to_st96(doc)))
    (tmp_path / "EP1000000A1.st36.xml").write_bytes(st36.serialise(st36.to_st36(doc)))
    (tmp_path / "EP1000000A1.json").write_bytes(jsonout.dumps(jsonout.to_json_dict(doc)))
    return tmp_path


def test_good_outputs_pass(outputs: Path) -> None:
    result = runner.invoke(app, ["validate", str(outputs)])
    assert result.exit_code == EXIT_OK, result.output
    assert "EP1000000A1: published" in result.output


def test_rule_error_in_json_means_review(outputs: Path) -> None:
    path = outputs / "EP1000000A1.json"
    data = json.loads(path.read_text())
    del data["claims"][3]
    path.write_text(json.dumps(data))
    result = runner.invoke(app, ["validate", "--json", str(path)])
    assert result.exit_code == EXIT_REVIEW
    (report,) = json.loads(result.stdout)
    assert report["outcome"] == "review"
    # claim 5 now refers to a claim 4 that is not there
    assert {f["rule"] for f in report["findings"]} == {"claims-numbering", "claim-reference"}


def test_outputs_that_disagree_are_quarantined(outputs: Path) -> None:
    path = outputs / "EP1000000A1.json"
    data = json.loads(path.read_text())
    del data["claims"][3]
    path.write_text(json.dumps(data))
    result = runner.invoke(app, ["validate", str(outputs)])
    assert result.exit_code == EXIT_INVALID
    assert "outputs-disagree" in result.output


def test_broken_xml_is_quarantined_and_html_written(outputs: Path, tmp_path: Path) -> None:
    path = outputs / "EP1000000A1.st96.xml"
    path.write_bytes(path.read_bytes()[:5000])
    html = tmp_path / "html"
    result = runner.invoke(app, ["validate", "--html", str(html), str(path)])
    assert result.exit_code == EXIT_INVALID
    assert "xml-parse" in result.output
    page = (html / "EP1000000A1.review.html").read_text()
    assert "xml-parse" in page and "quarantine" in page


def test_hostile_xml_is_refused(tmp_path: Path) -> None:
    evil = tmp_path / "x.st96.xml"
    evil.write_text('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                    "<a>&e;</a>")  # fmt: skip
    result = runner.invoke(app, ["validate", str(evil)])
    assert result.exit_code == EXIT_INVALID
    assert "root:" not in result.output


def test_nothing_to_validate(tmp_path: Path) -> None:
    assert runner.invoke(app, ["validate", str(tmp_path)]).exit_code == 5

"""The validation gate run on output files that already exist (`ipdigitise validate FILE...`).

Files are grouped by document (`<doc_id>.st96.xml`, `<doc_id>.st36.xml`, `<doc_id>.json`; a
folder stands for the files in it). Each file is parsed with the hardened parsers and checked
against its schema; the JSON, which holds the whole document model, is read back into an
IPDocument and put through the same business rules as in the pipeline; and the XML files are
checked to agree with it (claim and paragraph counts). A file that cannot be parsed is an error
like a schema error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from pydantic import ValidationError

from mapping.model import IPDocument
from output_schemas.findings import Finding, Outcome, ValidationReport
from output_schemas.fulltext_rules import check_fulltext
from output_schemas.validate import check_json, check_rules, check_st36, check_st96
from output_schemas.xmltext import parse_ignoring_dtd, parse_untrusted

SUFFIXES = (".st96.xml", ".st36.xml", ".json")
NS = {
    "pat": "http://www.wipo.int/standards/XMLSchema/ST96/Patent",
    "com": "http://www.wipo.int/standards/XMLSchema/ST96/Common",
}


@dataclass
class Thresholds:
    min_field_confidence: float = 0.7
    min_page_confidence: float = 0.6
    low_word: float = 0.6
    min_document_confidence: float = 0.9
    max_low_confidence_share: float = 0.03


@dataclass
class DocumentCheck:
    doc_id: str
    files: dict[str, Path] = field(default_factory=dict)  # suffix -> path
    report: ValidationReport = field(default_factory=ValidationReport)
    document: IPDocument | None = None

    @property
    def outcome(self) -> Outcome:
        return self.report.outcome()


def _kind(path: Path) -> str | None:
    return next((s for s in SUFFIXES if path.name.endswith(s)), None)


def group_files(paths: Iterable[Path]) -> dict[str, dict[str, Path]]:
    """doc_id -> {suffix: path}; folders are searched (not recursively) for output files."""
    groups: dict[str, dict[str, Path]] = {}
    for path in paths:
        candidates = sorted(path.iterdir()) if path.is_dir() else [path]
        for file in candidates:
            kind = _kind(file)
            if kind is None or (file.name == "report.json"):
                continue
            doc_id = file.name[: -len(kind)]
            groups.setdefault(doc_id, {})[kind] = file
    return dict(sorted(groups.items()))


def _err(rule: str, message: str, path: str = "") -> Finding:
    return Finding(severity="error", rule=rule, message=message, path=path)


def check_document(doc_id: str, files: dict[str, Path], limits: Thresholds) -> DocumentCheck:
    result = DocumentCheck(doc_id=doc_id, files=files)
    findings: list[Finding] = []
    doc: IPDocument | None = None
    if ".json" in files:
        try:
            data = json.loads(files[".json"].read_bytes())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            findings.append(_err("json-parse", f"{files['.json'].name}: {exc}"))
        else:
            schema_findings = check_json(data) if isinstance(data, dict) else [
                _err("json-schema", "the JSON output is not an object")]  # fmt: skip
            findings += schema_findings
            if not schema_findings:
                try:
                    doc = IPDocument.model_validate(
                        {k: v for k, v in data.items() if k != "format"}
                    )
                except ValidationError as exc:
                    findings.append(_err("json-schema", f"not a document model: {exc}"))
    else:
        findings.append(Finding(severity="review", rule="json-missing",
                                message="no JSON output: business rules were not checked"))  # fmt: skip
    st96_tree = st36_tree = None
    if ".st96.xml" in files:
        try:
            st96_tree = parse_untrusted(files[".st96.xml"].read_bytes())
        except (OSError, ValueError, etree.XMLSyntaxError) as exc:
            findings.append(_err("xml-parse", f"{files['.st96.xml'].name}: {exc}"))
        else:
            findings += check_st96(st96_tree)
    if ".st36.xml" in files:
        try:
            st36_tree = parse_ignoring_dtd(files[".st36.xml"].read_bytes())
        except (OSError, ValueError, etree.XMLSyntaxError) as exc:
            findings.append(_err("xml-parse", f"{files['.st36.xml'].name}: {exc}"))
        else:
            findings += check_st36(st36_tree)
    if doc is not None:
        findings += check_rules(doc, min_field_confidence=limits.min_field_confidence,
                                min_page_confidence=limits.min_page_confidence)  # fmt: skip
        findings += check_fulltext(doc, low_word=limits.low_word,
                                   min_document_confidence=limits.min_document_confidence,
                                   max_low_confidence_share=limits.max_low_confidence_share)  # fmt: skip
        findings += agreement(doc, st96_tree, st36_tree)
    result.report = ValidationReport(findings=tuple(findings))
    result.document = doc
    return result


def agreement(
    doc: IPDocument, st96: etree._ElementTree | None, st36: etree._ElementTree | None
) -> list[Finding]:
    """The XML outputs must carry the same claims and paragraphs as the JSON."""
    want = {
        "claims": len(doc.claims),
        "paragraphs": sum(1 for p in doc.description if p.kind == "p"),
    }
    found: list[tuple[str, dict[str, int]]] = []
    if st96 is not None:
        found.append(("ST.96", {
            "claims": len(st96.findall(".//pat:Claims/pat:Claim", NS)),
            "paragraphs": len(st96.findall(".//pat:Description/com:P", NS)),
        }))  # fmt: skip
    if st36 is not None:
        found.append(("ST.36", {
            "claims": len(st36.findall(".//claims/claim")),
            "paragraphs": len(st36.findall(".//description/p")),
        }))  # fmt: skip
    out = []
    for name, counts in found:
        for key, value in counts.items():
            if value != want[key]:
                out.append(_err("outputs-disagree",
                                f"{name} has {value} {key}, the JSON has {want[key]}", key))  # fmt: skip
    return out


def validate_paths(paths: Iterable[Path], limits: Thresholds | None = None) -> list[DocumentCheck]:
    limits = limits or Thresholds()
    return [check_document(doc_id, files, limits) for doc_id, files in group_files(paths).items()]

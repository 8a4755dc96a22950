"""The `fields` section of a document's report.json: every extracted value with its evidence
(INID, confidence, page, box, raw OCR text), flat enough for people and `ipdigitise eval`."""

from __future__ import annotations

from typing import Any

from mapping.model import Field, IPDocument, Party


def _field(f: Field) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "value": f.value,
        "inid": f.inid,
        "confidence": f.source.confidence,
        "page": f.source.page,
        "bbox": f.source.bbox,
        "raw": f.source.raw,
    }
    if f.normalised is not None:
        entry["normalised"] = f.normalised
    return entry


def _party(p: Party) -> dict[str, Any]:
    return {
        "value": p.name,
        "kind": p.kind,
        "residence": p.residence,
        "country": p.country,
        "confidence": p.source.confidence,
        "page": p.source.page,
        "bbox": p.source.bbox,
        "raw": p.source.raw,
    }


def fields_report(doc: IPDocument) -> dict[str, Any]:
    fields: dict[str, Any] = {name: _field(f) for name, f in doc.fields.items()}
    if doc.ipc:
        fields["ipc"] = [_field(f) for f in doc.ipc]
    if doc.cpc:
        fields["cpc"] = [_field(f) for f in doc.cpc]
    for role in ("applicant", "inventor", "assignee", "agent"):
        parties = doc.parties_of(role)
        if parties:
            fields[f"{role}s"] = [_party(p) for p in parties]
    if doc.priorities:
        fields["priorities"] = [
            {
                "country": p.country,
                "number": p.number,
                "date": p.date,
                "confidence": p.source.confidence,
                "page": p.source.page,
                "bbox": p.source.bbox,
                "raw": p.source.raw,
            }
            for p in doc.priorities
        ]
    return fields

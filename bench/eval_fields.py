"""Field accuracy for the preprocessing benchmark, scored exactly as `ipdigitise eval` scores a run.

A page's OCR goes through what `finish_document` (flows/stages.py) does before writing
report.json: `build_document` with the page's ink outside word boxes and the second reading of
weak fields from the page image (`CropReader`, default budget and confidence threshold from
`flows.settings`), then `fields_report`. The predictions are read from that `fields` section
with `flows.evaluate.predictions` and scored against `flows.evaluate.read_truth` labels with
`flows.scoring.score_field`; the accuracy is `flows.scoring.overall` (core fields, micro average),
the figure `ipdigitise eval` prints as "all core fields". Only Prefect, the serialisers and the
validation gate are left out: they do not change field values.

The crop readings are cached by the hash of the crop's pixels and the Tesseract settings (like the
page OCR in bench/run.py), so re-scoring costs no OCR.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

import ocr.reread
from flows.evaluate import predictions, read_truth
from flows.pageimages import ink_outside_words
from flows.scoring import FIELDS, SPECS, Outcome, Prediction, overall, score_field
from flows.settings import Settings
from mapping.document import build_document
from ocr.models import PageOcr, Word
from ocr.reread import CropReader
from output_schemas.fieldsreport import fields_report

_SETTINGS = Settings()
_crop_cache: Path | None = None
_uncached_crop = ocr.reread.read_crop


def _cached_crop(choice: str, pixels: np.ndarray, **kwargs: Any) -> list[Word]:
    if _crop_cache is None:
        return _uncached_crop(choice, pixels, **kwargs)
    digest = hashlib.sha256(pixels.tobytes() + repr(pixels.shape).encode())
    digest.update(repr(sorted(kwargs.items())).encode())
    if choice != "cli":  # the CLI's keys stay those of earlier runs
        digest.update(choice.encode())
    path = _crop_cache / f"crop-{digest.hexdigest()}.json"
    if path.exists():
        return [Word.model_validate(w) for w in json.loads(path.read_text())]
    words = _uncached_crop(choice, pixels, **kwargs)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps([w.model_dump(mode="json") for w in words]))
    tmp.replace(path)
    return words


def use_crop_cache(cache: Path | None) -> None:
    """Cache second readings under `cache` (None: no cache) for this process."""
    global _crop_cache
    _crop_cache = cache
    ocr.reread.read_crop = _cached_crop  # type: ignore[assignment]


def mapped_fields(page: PageOcr, doc_id: str, image: Path) -> dict[str, Any]:
    """report.json's `fields` for a one-page document read from `image` (the image OCR read)."""
    settings = _SETTINGS
    reader = None
    if settings.ocr.reread_fields:
        reader = CropReader(
            images={page.index: image},
            lang=settings.ocr.lang,
            dpi=page.dpi,
            budget=settings.ocr.reread_fields,
            timeout=min(30.0, settings.ocr.timeout),
            cmd=settings.ocr.tesseract_cmd,
            engine=settings.ocr.engine,
        )
    doc = build_document(
        doc_id, [page], settings.ocr.lang, non_text_ink=[ink_outside_words(image, page)],
        reread=reader, reread_below=settings.gate.min_field_confidence,
    )  # fmt: skip
    return fields_report(doc)


def outcomes(truth_file: Path, fields: dict[str, Any], doc_id: str) -> list[Outcome]:
    """Every labelled field of one page scored as `ipdigitise eval` does."""
    labels = read_truth(truth_file).labels
    preds = predictions({"fields": fields})
    return [
        score_field(doc_id, spec, labels[spec.name], preds.get(spec.name, Prediction(None)))
        for spec in FIELDS
        if spec.name in labels
    ]


def core_hits(truth_file: Path, fields: dict[str, Any], doc_id: str) -> dict[str, bool]:
    """Core field -> correct (the fields in `ipdigitise eval`'s "all core fields" figure)."""
    return {o.field: o.correct for o in outcomes(truth_file, fields, doc_id) if SPECS[o.field].core}


def accuracy(outs: list[Outcome]) -> float | None:
    """`ipdigitise eval`'s "all core fields" accuracy of a set of outcomes."""
    return overall(outs).accuracy

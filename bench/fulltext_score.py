"""Scores for the full-text benchmark: character error rate per section, counts, page kinds.

CER = Levenshtein distance / reference length, on text normalised the same way on both sides:
Unicode NFKC (ligatures), typographic quotes and dashes to ASCII, runs of white space to one
space. A section's text is its paragraphs (headings included) or claims joined by one space,
without printed paragraph or claim numbers (those are scored as counts).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from bench.fulltext_gt import GtDoc
from mapping.model import IPDocument

_ASCII = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "–": "-", "—": "-",
                        "−": "-", "\u00ad": ""})  # fmt: skip


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_ASCII)
    return re.sub(r"\s+", " ", text).strip()


def cer(reference: str, hypothesis: str) -> float:
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(ref, hyp) / len(ref)


@dataclass
class DocScore:
    doc_id: str
    variant: str
    cer_abstract: float
    cer_description: float
    cer_claims: float
    chars: dict[str, int]
    errors: dict[str, int]
    claims_gt: int
    claims_found: int
    claims_numbers_ok: bool
    paras_gt: int
    paras_found: int
    headings_gt: int
    headings_found: int
    numbers_ok: int
    """Printed paragraph numbers found in the same order as printed (of paras_gt when printed)."""
    pages_ok: int
    pages: int
    page_errors: list[str]
    outcome: str = ""
    gate_rules: list[str] = field(default_factory=list)


def score(gt: GtDoc, doc: IPDocument, gt_kinds: list[str], variant: str) -> DocScore:
    ref = {
        "abstract": " ".join(gt.abstract),
        "description": " ".join(p.text for p in gt.description),
        "claims": " ".join(gt.claim_texts()),
    }
    hyp = {
        "abstract": " ".join(p.text for p in doc.abstract),
        "description": " ".join(p.text for p in doc.description),
        "claims": " ".join(c.text for c in doc.claims),
    }
    errors = {k: Levenshtein.distance(normalise(ref[k]), normalise(hyp[k])) for k in ref}
    chars = {k: len(normalise(ref[k])) for k in ref}
    gt_paras = [p for p in gt.description if not p.heading]
    found = [p for p in doc.description if p.kind == "p"]
    numbers_ok = 0
    if gt.numbered_paragraphs:
        want = [p.number for p in gt_paras]
        got = [p.number for p in found if p.printed]
        numbers_ok = sum(1 for a, b in zip(want, got, strict=False) if a == b)
    kinds = [p.kind for p in doc.pages]
    page_errors = [
        f"p{i + 1}:{g}->{k}"
        for i, (g, k) in enumerate(zip(gt_kinds, kinds, strict=False))
        if g != k
    ]
    return DocScore(
        doc_id=gt.doc_id,
        variant=variant,
        cer_abstract=errors["abstract"] / max(1, chars["abstract"]),
        cer_description=errors["description"] / max(1, chars["description"]),
        cer_claims=errors["claims"] / max(1, chars["claims"]),
        chars=chars,
        errors=errors,
        claims_gt=len(gt.claims),
        claims_found=len(doc.claims),
        claims_numbers_ok=[c.number for c in doc.claims] == list(range(1, len(gt.claims) + 1)),
        paras_gt=len(gt_paras),
        paras_found=len(found),
        headings_gt=sum(1 for p in gt.description if p.heading),
        headings_found=sum(1 for p in doc.description if p.kind == "heading"),
        numbers_ok=numbers_ok,
        pages_ok=len(gt_kinds) - len(page_errors),
        pages=len(gt_kinds),
        page_errors=page_errors,
    )

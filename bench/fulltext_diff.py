"""Show where one benchmark document's structure or text differs from the ground truth.

... -m bench.fulltext_diff US8930553B2 degraded      (after bench.fulltext_bench has run)
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from bench.fulltext_gt import SOURCES, load
from bench.fulltext_score import normalise
from mapping.model import IPDocument


def main(argv: list[str]) -> int:
    key, variant = argv[0], argv[1] if len(argv) > 1 else "clean"
    root = Path(argv[2]) if len(argv) > 2 else Path("/tmp/fulltext-bench")
    gt = load(next(s for s in SOURCES if s.key == key))
    doc = IPDocument.model_validate_json((root / "docs" / f"{key}.{variant}.json").read_text())
    ref = [("H " if p.heading else "P ") + normalise(p.text) for p in gt.description]
    hyp = [("H " if p.kind == "heading" else "P ") + normalise(p.text) for p in doc.description]
    sm = difflib.SequenceMatcher(a=[r[:40] for r in ref], b=[h[:40] for h in hyp], autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            for r, h in zip(ref[i1:i2], hyp[j1:j2], strict=True):
                if r != h:
                    for op in Levenshtein.opcodes(r, h):
                        if op.tag != "equal":
                            a = r[max(0, op.src_start - 20) : op.src_end + 20]
                            b = h[max(0, op.dest_start - 20) : op.dest_end + 20]
                            print(f"  text: {a!r} => {b!r}")
            continue
        print(f"{tag}: truth {i1}-{i2} vs found {j1}-{j2}")
        for r in ref[i1:i2]:
            print(f"  - {r[:110]}")
        for h in hyp[j1:j2]:
            print(f"  + {h[:110]}")
    truth = gt.claim_texts()
    for i, c in enumerate(doc.claims):
        want = normalise(truth[c.number - 1]) if 0 < c.number <= len(truth) else ""
        got = normalise(c.text)
        if want != got:
            d = Levenshtein.distance(want, got)
            print(f"claim {c.number} (#{i + 1}{', inferred' if c.inferred else ''}): {d} edits")
            for op in Levenshtein.opcodes(want, got):
                if op.tag != "equal":
                    a = want[max(0, op.src_start - 20) : op.src_end + 20]
                    b = got[max(0, op.dest_start - 20) : op.dest_end + 20]
                    print(f"  {a!r} => {b!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Description, claims and abstract from the text pages of a whole document.

The text pages' lines (mapping.bodytext) are read as one stream in page order and cut into
sections: description until the claims start phrase (mapping.claims), then claims until a
drawing or search-report page, an abstract heading or the end. The description is cut into
paragraphs at printed numbers ([0012]) when the document prints them, otherwise from the layout
(blank line, first-line indent, short last line), and headings are kept as headings.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from mapping.bodytext import TextLine, page_text_lines, strip_running_text
from mapping.claims import (
    ClaimDraft,
    ClaimsStart,
    find_start,
    match_start,
    references,
    split_claims,
)
from mapping.dehyphen import Lexicon, join_lines
from mapping.model import Claim, Note, Paragraph, Provenance, Token
from ocr.models import PageOcr

ABSTRACT_HEADING = re.compile(
    r"^(abstract(\s+of\s+the\s+(disclosure|invention))?|zusammenfassung|abr[ée]g[ée]|resumen|"
    r"riassunto|samenvatting)\s*[:.]?$",
    re.IGNORECASE,
)
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "ft", "ﬆ": "st"})  # fmt: skip
_BRACKET_STRICT = re.compile(r"^\[(\d{4,5})\](.*)$")
_BRACKET_FUZZY = re.compile(r"^[\[({|lI1]\s?([0-9OoIl|]{4})\s?[\])}|lI1J]$")
_PAREN = re.compile(r"^\((\d{1,3})\)$")
_DOT = re.compile(r"^(\d{1,3})\.$")
_FUZZY_DIGITS = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"})


@dataclass
class Draft:
    kind: str  # "p" | "heading"
    lines: list[TextLine] = field(default_factory=list)
    skips: list[int] = field(default_factory=list)
    number: str | None = None
    glued: str | None = None


@dataclass
class FullText:
    abstract: list[Paragraph]
    description: list[Paragraph]
    claims: list[Claim]
    page_kinds: dict[int, str]
    claims_language: str | None = None
    notes: list[Note] = field(default_factory=list)
    lexicon: Lexicon = field(default_factory=Lexicon)


def tokens_of(line: TextLine, skip: int = 0) -> list[Token]:
    return [
        Token(text=w.text.translate(_LIGATURES), confidence=round(w.confidence, 4))
        for w in line.words[skip:]
    ]


# Paragraph numbers -------------------------------------------------------------------------------


def _para_number(texts: Sequence[str], style: str, last: int) -> tuple[int, int, str | None] | None:
    """(number, tokens used, glued rest) when the line starts with a paragraph number of `style`."""
    if not texts:
        return None
    first = texts[0]
    if style == "bracket":
        if len(texts) >= 2 and re.fullmatch(r"[\[(]\d{4,5}", first) and texts[1] in {"]", ")"}:
            return int(first[1:]), 2, None
        m = _BRACKET_STRICT.match(first)
        if m:
            return int(m[1]), 1, (m[2] or None)
        m = _BRACKET_FUZZY.match(first)
        if m:
            value = int(m[1].translate(_FUZZY_DIGITS))
            if value == last + 1:
                return value, 1, None
        return None
    rx = _PAREN if style == "paren" else _DOT if style == "dot" else None
    if rx is not None:
        m = rx.match(first)
        if m and int(m[1]) == last + 1:
            return int(m[1]), 1, None
    return None


def numbering_style(lines: Sequence[TextLine]) -> str:
    """'bracket' ([0001]), 'paren' ((1)) or 'dot' (1.) when the document prints paragraph numbers
    (at least two bracketed, or three in sequence), else 'none'."""
    best, best_count = "none", 0
    for style, needed in (("bracket", 2), ("paren", 3), ("dot", 3)):
        last, count = 0, 0
        for ln in lines:
            hit = _para_number([w.text for w in ln.words], style, last)
            if hit is not None:
                last, count = hit[0], count + 1
        if count >= needed and count > best_count:
            best, best_count = style, count
    return best


# Paragraphs from layout --------------------------------------------------------------------------


def _ends_sentence(line: TextLine) -> bool:
    return line.text.rstrip().endswith((".", ":", "!", "?", ";"))


def _block_start(line: TextLine, prev: TextLine | None) -> bool:
    if prev is None or line.gap is None or line.gap > 1.4:
        return True
    return prev.short_by > 4 and _ends_sentence(prev)


def _heading_shaped(line: TextLine) -> bool:
    text = line.text.strip()
    if not text or len(line.words) > 14 or text[-1] in ".,;:" or not any(c.isalpha() for c in text):
        return False
    return not (line.short_by < 2 and len(line.words) > 4 and not _upper(text))


def _upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= 0.7 * len(letters)


def _title_case(line: TextLine) -> bool:
    long = [w.text for w in line.words if len(w.text) >= 4]
    return (
        len(line.words) <= 8 and bool(long) and sum(w[0].isupper() for w in long) >= 0.6 * len(long)
    )


def _opens_block(nxt: TextLine | None, line: TextLine, style: str) -> bool:
    """Does what follows `line` start a new block (so that `line` can be a heading)?"""
    if nxt is None or nxt.gap is None or nxt.gap > 1.4:
        return True
    texts = [w.text for w in nxt.words]
    if _para_number(texts, "bracket", 10**6) is not None:
        return True
    if style != "none" and _para_number(texts, style, 10**6) is not None:
        return True
    return style == "none" and (nxt.indent >= 1.5 or line.centred)


def heading_span(lines: Sequence[TextLine], i: int, style: str) -> int:
    """How many lines from lines[i] form a heading (0: not a heading). A heading stands alone
    between block breaks; it is upper case, centred, or a short line in title case. Upper-case
    headings may wrap over up to three lines."""
    line = lines[i]
    prev = lines[i - 1] if i else None
    if not _heading_shaped(line) or not _block_start(line, prev):
        return 0
    text = line.text.strip()
    for span in range(1, 4):
        last = lines[i + span - 1]
        if span > 1 and not (
            _heading_shaped(last) and _upper(last.text) and last.gap is not None and last.gap < 1.4
        ):
            return 0
        nxt = lines[i + span] if i + span < len(lines) else None
        if _opens_block(nxt, last, style):
            if _upper(text) or (span == 1 and (line.centred or _title_case(line))):
                return span
            return 0
        if not _upper(text):
            return 0
    return 0


def _starts_paragraph(line: TextLine, prev: TextLine | None, style: str) -> bool:
    if style != "none" or prev is None:
        return style == "none"
    if line.gap is None:  # top of a column: a new paragraph only if it is indented or the
        return line.indent >= 1.5 or (prev.short_by > 4 and _ends_sentence(prev))
    if line.gap > 1.5:
        return True
    if line.indent >= 1.5 and (prev.indent < 1.5 or (prev.short_by > 4 and _ends_sentence(prev))):
        return True
    return prev.short_by > 6 and _ends_sentence(prev) and line.text[:1].isupper()


def split_paragraphs(lines: Sequence[TextLine]) -> list[Draft]:
    style = numbering_style(lines)
    drafts: list[Draft] = []
    last = 0
    pending = 0  # further lines of a heading that wraps
    for i, ln in enumerate(lines):
        prev = lines[i - 1] if i else None
        hit = _para_number([w.text for w in ln.words], style, last)
        if hit is not None:
            value, used, glued = hit
            width = 4 if style == "bracket" else 1
            drafts.append(Draft("p", [ln], [used], number=str(value).zfill(width), glued=glued))
            last = value
            continue
        if pending:
            pending -= 1
            drafts[-1].lines.append(ln)
            drafts[-1].skips.append(0)
            continue
        span = heading_span(lines, i, style)
        if span:
            drafts.append(Draft("heading", [ln], [0]))
            pending = span - 1
            continue
        if not drafts or drafts[-1].kind == "heading" or _starts_paragraph(ln, prev, style):
            drafts.append(Draft("p", [ln], [0]))
        else:
            drafts[-1].lines.append(ln)
            drafts[-1].skips.append(0)
    return drafts


def _provenance(lines: Sequence[TextLine], tokens: Sequence[Token]) -> Provenance:
    first = lines[0].page
    on_page = [ln.bbox for ln in lines if ln.page == first]
    conf = sum(t.confidence for t in tokens) / len(tokens) if tokens else 0.0
    return Provenance(
        page=first,
        bbox=(
            min(b[0] for b in on_page),
            min(b[1] for b in on_page),
            max(b[2] for b in on_page),
            max(b[3] for b in on_page),
        ),
        confidence=round(conf, 4),
    )


def _joined(draft_lines: Sequence[TextLine], skips: Sequence[int], glued: str | None,
            lexicon: Lexicon) -> list[Token]:  # fmt: skip
    runs = [tokens_of(ln, s) for ln, s in zip(draft_lines, skips, strict=True)]
    if glued and runs:
        conf = draft_lines[0].words[skips[0] - 1].confidence if skips[0] else 1.0
        runs[0].insert(0, Token(text=glued.translate(_LIGATURES), confidence=round(conf, 4)))
    return join_lines(runs, lexicon)


def paragraphs(lines: Sequence[TextLine], lexicon: Lexicon) -> list[Paragraph]:
    out: list[Paragraph] = []
    counter = 0
    for d in split_paragraphs(lines):
        tokens = _joined(d.lines, d.skips, d.glued, lexicon)
        if not tokens:
            continue
        if d.kind == "heading":
            out.append(Paragraph(kind="heading", tokens=tuple(tokens),
                                 source=_provenance(d.lines, tokens)))  # fmt: skip
            continue
        counter += 1
        out.append(
            Paragraph(
                number=d.number or f"{counter:04d}",
                printed=d.number is not None,
                tokens=tuple(tokens),
                source=_provenance(d.lines, tokens),
            )
        )
    return out


def claims_of(drafts: Sequence[ClaimDraft], lexicon: Lexicon) -> list[Claim]:
    out = []
    for d in drafts:
        tokens = _joined(d.lines, d.skips, d.glued, lexicon)
        text = " ".join(t.text for t in tokens)
        out.append(
            Claim(
                number=d.number,
                inferred=d.inferred,
                tokens=tuple(tokens),
                refers_to=references(text),
                source=_provenance(d.lines, tokens) if tokens else Provenance(page=d.lines[0].page),
            )
        )
    return out


# The whole document ------------------------------------------------------------------------------


def extract_fulltext(pages: Sequence[PageOcr], kinds: Sequence[str]) -> FullText:
    """`kinds[i]` is mapping.pages.classify's verdict for pages[i]; only 'text' pages are read."""
    text_pages = [(p, page_text_lines(p)) for p, k in zip(pages, kinds, strict=True) if k == "text"]
    cleaned = strip_running_text(text_pages)
    stream: list[TextLine] = [ln for lines in cleaned for ln in lines]
    after_gap = _pages_after_non_text(pages, kinds)
    lexicon = Lexicon.from_lines([w.text for w in ln.words] for ln in stream)

    sections: dict[str, list[TextLine]] = {
        "description": [],
        "claims": [],
        "abstract": [],
        "other": [],
        "claims-other": [],  # further claim sets in other languages
    }
    section = "description"
    notes: list[Note] = []
    start = find_start(stream)
    claims_lines: list[TextLine] = []
    language = start.language if start else None
    claims_seen = False
    i = 0
    while i < len(stream):
        ln = stream[i]
        if section == "claims-other" and ln.page in after_gap and ln.page != stream[i - 1].page:
            section = "other"
        if section == "abstract" and ln.page != stream[i - 1].page:
            section = "other" if claims_seen else "description"  # an abstract has its own page
        if start is not None and i == start.line:
            section = "claims"
            claims_seen = True
        elif ABSTRACT_HEADING.match(ln.text.strip()) and _alone(stream, i):
            section = "abstract"
            i += 1
            continue
        elif section == "claims" and ln.page in after_gap and ln.page != stream[i - 1].page:
            section = "other"
        elif (
            section == "claims"
            and (hit := match_start(ln.text)) is not None
            and hit[1] != language
            and _alone(stream, i)
        ):
            notes.append(Note(
                rule="claims-other-language", severity="info", page=ln.page,
                message=f"claims in another language ({hit[1]}) from page {ln.page + 1} are not "
                "part of the output (ST.96 holds one set of claims)",
            ))  # fmt: skip
            section = "claims-other"
        sections[section].append(ln)
        if section == "claims":
            claims_lines.append(ln)
        i += 1

    drafts: list[ClaimDraft] = []
    stray = 0
    if start is not None and claims_lines:
        local = ClaimsStart(line=0, skip=start.skip, language=start.language, phrase=start.phrase)
        drafts, stray = split_claims(claims_lines, local)
    if stray > 1:
        notes.append(Note(rule="claims-stray-text", severity="review",
                          page=claims_lines[0].page if claims_lines else None,
                          message=f"{stray} line(s) after the claims start belong to no claim "
                          "and are not in the output"))  # fmt: skip
    other = sum(len(ln.words) for ln in sections["other"])
    if other >= 20:
        first = sections["other"][0].page
        notes.append(Note(rule="text-left-out", severity="review", page=first,
                          message=f"{other} word(s) after the claims, from page {first + 1}, "
                          "belong to no section and are not in the output"))  # fmt: skip

    kinds_out: dict[int, str] = {}
    per_page: dict[int, Counter[str]] = {}
    for name, lines in sections.items():
        for ln in lines:
            kind = "claims" if name == "claims-other" else name
            per_page.setdefault(ln.page, Counter())[kind] += len(ln.words)
    for p, k in zip(pages, kinds, strict=True):
        if k == "text":
            counts = per_page.get(p.index)
            kinds_out[p.index] = counts.most_common(1)[0][0] if counts else "other"
    return FullText(
        abstract=paragraphs(sections["abstract"], lexicon),
        description=paragraphs(sections["description"], lexicon),
        claims=claims_of(drafts, lexicon),
        page_kinds=kinds_out,
        claims_language=language,
        notes=notes,
        lexicon=lexicon,
    )


def _alone(stream: Sequence[TextLine], i: int) -> bool:
    """A heading stands on its own line with a break before it."""
    ln = stream[i]
    prev = stream[i - 1] if i else None
    return prev is None or ln.gap is None or ln.gap > 1.3 or prev.page != ln.page or ln.centred


def _pages_after_non_text(pages: Sequence[PageOcr], kinds: Sequence[str]) -> set[int]:
    """Text pages that follow a drawing, search-report or blank page: claims do not run on there."""
    out, gap = set(), False
    for p, k in zip(pages, kinds, strict=True):
        if k == "text":
            if gap:
                out.add(p.index)
            gap = False
        elif k in {"drawing", "search-report", "blank"}:
            gap = True
    return out

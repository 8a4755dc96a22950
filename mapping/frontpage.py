"""Bibliographic fields of a front page, read from INID-coded segments, each with provenance.

Handlers read one segment each; `cross_check` then compares what the page says in several
places (the machine-readable number line against (11), filing before publication, the kind
code against the printed document type) and records doubts as notes for the validation gate.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mapping import normalise as nz
from mapping.inid import Segment, damaged_caption, field_confidence, segment_lines, strip_label
from mapping.ipc import clean_subclasses, confirm, find_symbols, symbol_confidence
from mapping.layout import Line, union_bbox
from mapping.model import BBox, Field, Note, Paragraph, Party, Priority, Provenance, Token
from mapping.parties import is_organisation, split_parties
from ocr.models import Word

ROLE_OF_CODE = {
    "71": "applicant",
    "72": "inventor",
    "73": "assignee",
    "74": "agent",
    "75": "inventor",
    "76": "inventor",
}
DATE_FIELDS = {"22": "filing_date", "45": "publication_date", "43": "publication_date",
               "41": "publication_date", "44": "publication_date"}  # fmt: skip
POSITION_DOUBT = 0.9
"""Confidence factor of a title found by its position rather than by (54)."""
# Kind codes a printed document type allows (ST.16), by office; used as a cross-check only.
KIND_OF_TYPE: tuple[tuple[str, str, str], ...] = (
    (r"united\s+states\s+patent(?!\s+application)", "US", r"^(?:B\d?|E\d?|S\d?|P\d?|H\d?|C\d?)$"),
    (r"patent\s+application\s+publication", "US", r"^A\d$"),
    (r"offenlegungsschrift", "DE", r"^A\d?$"),
    (r"auslegeschrift", "DE", r"^B\d?$"),
    (r"patentschrift", "DE", r"^[BC]\d?$"),
    (r"gebrauchsmuster", "DE", r"^U\d?$"),
)


class FrontPage:
    """What one front page yields: single fields, IPC/CPC symbols, parties, priorities, notes."""

    def __init__(self) -> None:
        self.fields: dict[str, Field] = {}
        self.ipc: list[Field] = []
        self.cpc: list[Field] = []
        self.search: list[Field] = []
        """Symbols of the field of search (58): only evidence for cross-checks."""
        self.parties: list[Party] = []
        self.priorities: list[Priority] = []
        self.abstract: list[Paragraph] = []
        self.notes: list[Note] = []
        self.designation: str = ""
        """The printed document type under (12), e.g. 'United States Patent'."""
        self.unreadable_ipc: list[Provenance] = []
        self.context: frozenset[str] = frozenset()
        """IPC subclasses read cleanly anywhere on the page (evidence for repairs)."""
        self.pending_priority: dict[str, tuple[str, Provenance]] = {}
        self.abstract_lines: list[list[Word]] = []
        """The abstract's printed lines (for line-aware dehyphenation with a document lexicon)."""
        self.title_by_position = False
        """The title was found above the parties without (54) (its confidence is lowered)."""
        self.title_weakest = 1.0
        """The lowest confidence of the title's words (one misread word of a long title)."""
        self.title_region: BBox | None = None
        """The title's printed area when its first line went unread (see `_title_region`)."""

    def put(
        self,
        name: str,
        inid: str,
        value: str | None,
        source: Provenance,
        normalised: str | None = None,
    ) -> None:
        """Keep the first value found for a field (front pages print each INID once)."""
        if value and name not in self.fields:
            self.fields[name] = Field(
                name=name, inid=inid, value=value, normalised=normalised, source=source
            )

    def agree(self, name: str, other_confidence: float) -> None:
        """Another, independent print of the page gives the same value (the number line and
        (11), the office name and the number prefix): either reading being right suffices, so
        the doubts multiply."""
        f = self.fields[name]
        conf = 1 - (1 - f.source.confidence) * (1 - other_confidence)
        self.fields[name] = f.model_copy(
            update={"source": f.source.model_copy(update={"confidence": round(conf, 4)})}
        )

    def note(self, field: str, rule: str, message: str, source: Provenance | None = None) -> None:
        self.notes.append(Note(field=field, rule=rule, message=message, source=source))


def value_start(seg: Segment) -> int:
    """Offset of the value in the segment's text, after any printed label."""
    _, skip = strip_label(seg.text, seg.code)
    if not skip:
        code, skip = damaged_caption(seg.text)
        skip = skip if code == seg.code else 0
    return skip


def _first_line(seg: Segment) -> tuple[int, str]:
    start = value_start(seg)
    text = seg.text[start:]
    return start, text.split("\n", 1)[0]


def _publication(fp: FrontPage, seg: Segment) -> None:
    start, line = _first_line(seg)
    parsed = nz.parse_publication_number(line)
    if not parsed:
        return
    office, number, kind = parsed
    src = seg.provenance(start, start + len(line))
    fp.put("publication_number", "11", number, src)
    if kind and nz.KIND_CODES.match(kind):
        fp.put("kind", "13", kind, src)
    if office and nz.is_office_code(office):
        if "office" in fp.fields and fp.fields["office"].value == office:
            fp.agree("office", src.confidence)
        fp.put("office", "19", office, src)
    label = seg.text[: value_start(seg)]
    if re.search(r"schrift", label, re.IGNORECASE):
        fp.designation = fp.designation or label


def _kind(fp: FrontPage, seg: Segment) -> None:
    start, line = _first_line(seg)
    m = re.search(r"\b([A-Z][0-9]?)\b", line)
    if m:
        fp.put("kind", "13", m[1], seg.provenance(start + m.start(), start + m.end()))


def _date(fp: FrontPage, seg: Segment) -> None:
    name = DATE_FIELDS[seg.code]
    start = value_start(seg)
    text = seg.text[start:]
    offset = start
    for line in text.split("\n")[:2]:
        iso = nz.normalise_date(line)
        if iso:
            fp.put(name, seg.code, iso, seg.provenance(offset, offset + len(line)))
            return
        offset += len(line) + 1


def _application_number(fp: FrontPage, seg: Segment) -> None:
    start, line = _first_line(seg)
    value = nz.normalise_application_number(line)
    if value:
        fp.put("application_number", "21", value, seg.provenance(start, start + len(line)),
               normalised=nz.application_search_form(value))  # fmt: skip


def _title(fp: FrontPage, seg: Segment) -> None:
    start = value_start(seg)
    words = seg.words_in(start, len(seg.text))
    lines = [ln for ln in seg.lines() if any(w in words for w in ln)]
    title = title_text([" ".join(w.text for w in ln if w in words) for ln in lines])
    if title:
        fp.put("title", "54", title, seg.provenance(start))
        if words:
            fp.title_weakest = min(w.confidence for w in words)


def title_text(lines: list[str]) -> str:
    """A title from its printed lines, without trailing specks and punctuation."""
    title = join_lines(lines)
    return re.sub(r"\s+[^\w(\"'“]+$", "", title).strip(" .;:,")


def join_lines(lines: list[str]) -> str:
    """Join printed lines: 'appli-' + 'cation' -> 'application', 'MULTI-' + 'CHANNEL' ->
    'MULTI-CHANNEL' (capitals keep the hyphen), otherwise one space."""
    out = ""
    for line in (ln.strip() for ln in lines):
        if not line:
            continue
        if out.endswith("-") and len(out) > 1 and out[-2].isalpha():
            out = out[:-1] + line if line[:1].islower() else out + line
        else:
            out = f"{out} {line}" if out else line
    return out


def _office(fp: FrontPage, seg: Segment) -> None:
    code = nz.office_from_text(seg.text)
    if seg.code == "12" or re.search(r"patent|schrift|brevet", seg.text, re.IGNORECASE):
        fp.designation = fp.designation or seg.text
    if code:
        fp.put("office", "19", code, seg.provenance())


def _classification(target: str) -> Callable[[FrontPage, Segment], None]:
    def handler(fp: FrontPage, seg: Segment) -> None:
        start = value_start(seg)
        if target in ("cpc", "search"):
            m = re.search(r"\bCPC\b", seg.text)
            if not m:
                return
            start = m.end()
        context = fp.context
        bucket = {"ipc": fp.ipc, "cpc": fp.cpc, "search": fp.search}[target]
        inid = {"ipc": "51", "cpc": "52", "search": "58"}[target]
        offset = 0
        for line in seg.text.split("\n"):
            line_start, line_end = offset, offset + len(line)
            offset = line_end + 1
            if line_end <= start:
                continue
            lo = max(line_start, start)
            part = seg.text[lo:line_end]
            symbols = find_symbols(part, context)
            if not symbols and target == "ipc" and _looks_like_symbol_line(part):
                if not bucket:
                    fp.unreadable_ipc.append(seg.provenance(lo, line_end))
                continue
            for sym in symbols:
                if any(f.value.split(" (")[0] == sym.symbol for f in bucket):
                    continue
                src = seg.provenance(lo + sym.span[0], lo + sym.span[1])
                conf = symbol_confidence(src.confidence, sym)
                src = src.model_copy(update={"confidence": round(conf, 4)})
                bucket.append(Field(name=target, inid=inid, value=sym.value, source=src))
            if target == "cpc" and bucket:
                return

    return handler


def _looks_like_symbol_line(text: str) -> bool:
    """A line of an IPC list that yielded no symbol: something printed there was unreadable
    (a symbol line has digits; a label read again, 'nt. Cl.', is not one)."""
    if strip_label(text.lstrip(" .iI"), "51")[0] is not None or re.match(
        r"\s*\w{0,3}\.?\s*C[l1]\.", text
    ):
        return False
    return any(c.isdigit() for c in text) and (sum(c.isalnum() for c in text) >= 4)


def _parties(fp: FrontPage, seg: Segment) -> None:
    role = ROLE_OF_CODE[seg.code]
    start = value_start(seg)
    text = seg.text[start:]
    entries: list[tuple[str, str | None, str | None, tuple[int, int]]]
    if role == "agent":
        stripped = re.sub(r"^[\s\-—–:]+", "", text)
        start += len(text) - len(stripped)
        first = stripped.split("\n")[0]
        name = first.strip(" ;,.")
        entries = [(name, None, None, (0, len(first)))] if name else []
    else:
        entries = split_parties(text)
    for name, residence, country, (s, e) in entries:
        if country and not nz.is_office_code(country):
            country = None
        src = seg.provenance(start + s, start + e)
        name_words = seg.words_in(start + s, start + s + len(name))
        if name_words:
            src = src.model_copy(update={"confidence": round(field_confidence(name_words), 4)})
        fp.parties.append(
            Party(
                role=role,  # type: ignore[arg-type]
                name=name,
                kind="organisation" if is_organisation(name) else "person",
                residence=residence,
                country=country,
                source=src,
            )
        )
    if seg.code == "75":  # "Inventors and applicants"
        for p in [p for p in fp.parties if p.role == "inventor" and p.source.page == seg.page]:
            if not any(q.role == "applicant" and q.name == p.name for q in fp.parties):
                fp.parties.append(p.model_copy(update={"role": "applicant"}))


_PRIORITY_COUNTRY = re.compile(r"\(\s*([A-Z]{2})\s*\)|(?<![A-Za-z])([A-Z]{2})(?![A-Za-z])")


def _priorities(fp: FrontPage, seg: Segment) -> None:
    """(30): one claim per printed line, 'Mar. 3, 2015 (JP) ....... 2015-041234' or
    '12.03.1990 US 123456'."""
    start = value_start(seg)
    offset = 0
    for line in seg.text.split("\n"):
        lo, hi = offset, offset + len(line)
        offset = hi + 1
        if hi <= start:
            continue
        part = seg.text[max(lo, start) : hi]
        date = nz.normalise_date(part)
        country = None
        for m in _PRIORITY_COUNTRY.finditer(part):
            code = m[1] or m[2]
            if nz.is_office_code(code):
                country = code
                break
        tail = part.split(")")[-1] if "(" in part else part
        numbers = re.findall(r"[0-9][0-9/,.\- ]{3,}[0-9A-Z]?", re.sub(r"[.·…]{2,}", " ", tail))
        number = numbers[-1].strip() if numbers else ""
        if date and (country or number) and (nz.normalise_date(number) is None or not number):
            fp.priorities.append(
                Priority(
                    country=country,
                    number=number,
                    date=date,
                    source=seg.provenance(max(lo, start), hi),
                )  # fmt: skip
            )


def _priority_part(fp: FrontPage, seg: Segment) -> None:
    """(31) number, (32) date, (33) country printed as separate codes: one claim from each trio."""
    start, line = _first_line(seg)
    fp.pending_priority[seg.code] = (line.strip(), seg.provenance(start, start + len(line)))
    parts = fp.pending_priority
    if {"31", "32", "33"} <= parts.keys():
        date = nz.normalise_date(parts["32"][0])
        m = re.search(r"[A-Z]{2}", parts["33"][0])
        country = m[0] if m and nz.is_office_code(m[0]) else None
        bbox = union_bbox(p[1].bbox for p in parts.values() if p[1].bbox is not None)
        conf = min(p[1].confidence for p in parts.values())
        fp.priorities.append(
            Priority(
                country=country,
                number=parts["31"][0],
                date=date,
                source=Provenance(page=seg.page, bbox=bbox, confidence=conf),
            )  # fmt: skip
        )
        parts.clear()


def _abstract(fp: FrontPage, seg: Segment) -> None:
    if fp.abstract:
        return
    words = list(seg.words)
    # drop the printed heading ("ABSTRACT")
    while words and re.fullmatch(r"(?i)abstract|abr[ée]g[ée]|zusammenfassung|\W+", words[0].text):
        words.pop(0)
    if not words:
        return
    kept = {id(w) for w in words}
    fp.abstract_lines = [[w for w in line if id(w) in kept] for line in seg.lines()]
    tokens = tuple(Token(text=w.text, confidence=round(w.confidence, 4)) for w in words)
    tokens = dehyphenate(tokens)
    conf = sum(w.confidence for w in words) / len(words)
    src = Provenance(
        page=seg.page,
        bbox=union_bbox(w.bbox for w in words),
        confidence=round(conf, 4),
        raw="",
    )
    fp.abstract.append(Paragraph(number="0001", tokens=tokens, source=src))


def dehyphenate(tokens: tuple[Token, ...]) -> tuple[Token, ...]:
    """Join words split at line ends ("appli-" + "cation"); keep real hyphens inside a word."""
    out: list[Token] = []
    for tok in tokens:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.text.endswith("-")
            and len(prev.text) > 2
            and tok.text[:1].islower()
        ):
            out[-1] = Token(
                text=prev.text[:-1] + tok.text, confidence=min(prev.confidence, tok.confidence)
            )
        else:
            out.append(tok)
    return tuple(out)


HANDLERS: dict[str, Callable[[FrontPage, Segment], None]] = {
    "10": _publication,
    "11": _publication,
    "12": _office,
    "13": _kind,
    "19": _office,
    "21": _application_number,
    "30": _priorities,
    "31": _priority_part,
    "32": _priority_part,
    "33": _priority_part,
    "51": _classification("ipc"),
    "52": _classification("cpc"),
    "58": _classification("search"),
    "54": _title,
    "57": _abstract,
    **{code: _date for code in DATE_FIELDS},
    **{code: _parties for code in ROLE_OF_CODE},
}


def extract_front_page(lines: list[Line]) -> FrontPage:
    fp = FrontPage()
    fp.context = clean_subclasses("\n".join(ln.text for ln in lines))
    segments = segment_lines(lines)
    for seg in segments:
        handler = HANDLERS.get(seg.code)
        if handler is not None:
            handler(fp, seg)
    _fallbacks(fp, lines)
    if "title" not in fp.fields:
        _title_above_parties(fp, lines, segments)
    fp.title_region = _title_region(segments, lines)
    cross_check(fp, lines)
    confirm_symbols(fp)
    if any(seg.code == "51" for seg in segments) and not fp.ipc and not fp.unreadable_ipc:
        fp.note("ipc", "ipc-missing", "(51) is printed but no IPC symbol was read")
    if fp.unreadable_ipc:
        fp.note("ipc", "ipc-unreadable",
                "a symbol printed before the first IPC symbol read could not be read",
                fp.unreadable_ipc[0])  # fmt: skip
    return fp


def _fallbacks(fp: FrontPage, lines: list[Line]) -> None:
    """Fields a page shows without their INID: the office from the printed office name or the
    document type; and the ST.3 office from the number prefix (done in `_publication`)."""
    if "office" not in fp.fields:
        for line in lines[:12]:
            code = nz.office_from_text(line.text)
            if code:
                src = Provenance(page=line.page, bbox=line.bbox,
                                 confidence=round(line.confidence, 4), raw=line.text)  # fmt: skip
                fp.put("office", "19", code, src)
                break


def _title_region(segments: list[Segment], lines: list[Line]) -> BBox | None:
    """A title starts on its (54) mark's row. When that row holds the mark alone and the title's
    words start below it, the first line went unread (bold capitals that touch, on a 1-bit
    scan): the area from the mark's row to the title's last word, across the column, is where
    the whole title is printed."""
    seg = next((s for s in segments if s.code == "54"), None)
    if seg is None or seg.anchor is None or not seg.words:
        return None
    first = seg.words[0].bbox
    if (first[1] + first[3]) / 2 <= seg.anchor[3]:
        return None
    column = [ln.bbox for ln in lines if ln.page == seg.page and ln.column == seg.column]
    x0 = min(w.bbox[0] for w in seg.words)
    x1 = max([w.bbox[2] for w in seg.words] + [b[2] for b in column])
    return (x0, seg.anchor[1], x1, max(w.bbox[3] for w in seg.words))


def _title_above_parties(fp: FrontPage, lines: list[Line], segments: list[Segment]) -> None:
    """A title printed without (54) or label: the block of capital-letter lines right above the
    first party field of the same column (its confidence is lowered: found by position)."""
    first = next((s for s in segments if s.code in ROLE_OF_CODE and s.words), None)
    if first is None:
        return
    top_word = first.words[0]
    index = next((i for i, ln in enumerate(lines) if top_word in ln.words), None)
    if index is None:
        return
    block: list[Line] = []
    below = lines[index]
    for line in reversed(lines[:index]):
        if line.column != below.column or line.page != below.page:
            continue
        height = max(8, below.bbox[3] - below.bbox[1])
        letters = [c for c in line.text if c.isalpha()]
        if below.bbox[1] - line.bbox[3] > 2.5 * height or not letters:
            break
        if sum(c.isupper() for c in letters) < 0.8 * len(letters) or re.search(
            r"[\(\[]\d\d[\)\]]", line.text
        ):
            break
        block.insert(0, line)
        below = line
    if not block:
        return
    words = [w for ln in block for w in ln.words]
    title = join_lines([ln.text for ln in block]).strip(" .;:,")
    conf = field_confidence(words) * POSITION_DOUBT
    fp.put("title", "54", title, Provenance(page=block[0].page, bbox=union_bbox(w.bbox for w in words),
                                           confidence=round(conf, 4), raw=title))  # fmt: skip
    if "title" in fp.fields:
        fp.title_by_position = True
        fp.title_weakest = min(w.confidence for w in words)


def machine_number(lines: list[Line]) -> tuple[tuple[str, str, str], Line] | None:
    """The number printed as one machine-readable token near the top of the page (US pages:
    'US010231003B2' above the barcode), with its line."""
    if not lines:
        return None
    top = min(ln.bbox[1] for ln in lines)
    bottom = max(ln.bbox[3] for ln in lines)
    limit = top + 0.12 * (bottom - top)
    for line in lines:
        if line.bbox[1] > limit:
            continue
        parsed = nz.parse_barcode(line.text)
        if parsed:
            return parsed, line
    return None


def _group(value: str) -> str:
    """'H04N 21/436 (2011.01)' -> 'H04N 21' (subclass and main group)."""
    return value.split("/")[0]


def _read_cleanly(f: Field) -> bool:
    """The symbol's subclass is printed in the raw OCR text (O for 0 and I/l for 1 aside):
    a repaired reading shares its repair with the symbol it would confirm."""
    raw = f.source.raw.strip()[:4]
    fixed = raw[:1] + raw[1:3].translate(str.maketrans("OoIl", "0011")) + raw[3:4]
    return fixed == f.value[:4]


def confirm_symbols(fp: FrontPage) -> None:
    """An IPC symbol whose subclass and main group the page prints again under (52) or (58)
    was read twice: its doubt halves."""
    elsewhere = {_group(f.value) for f in fp.cpc + fp.search if _read_cleanly(f)}
    for i, f in enumerate(fp.ipc):
        if _group(f.value) in elsewhere:
            src = f.source.model_copy(update={"confidence": round(confirm(f.source.confidence), 4)})
            fp.ipc[i] = f.model_copy(update={"source": src})


def cross_check(fp: FrontPage, lines: list[Line]) -> None:
    found = machine_number(lines)
    if found is not None:
        (office, number, kind), line = found
        src = Provenance(page=line.page, bbox=line.bbox,
                         confidence=round(line.confidence, 4), raw=line.text)  # fmt: skip
        current = fp.fields.get("publication_number")
        if current is None:
            fp.put("publication_number", "11", number, src)
            fp.put("kind", "13", kind, src)
        elif current.value != number:
            fp.note("publication_number", "number-cross-check",
                    f"(11) reads {current.value} but the number line above reads {number}",
                    current.source)  # fmt: skip
        else:
            fp.agree("publication_number", line.confidence)
        kind_field = fp.fields.get("kind")
        if kind_field is None:
            fp.put("kind", "13", kind, src)
        elif kind_field.value != kind:
            fp.note("kind", "kind-cross-check",
                    f"kind code {kind_field.value} but the number line reads {kind}",
                    kind_field.source)  # fmt: skip
        else:
            fp.agree("kind", line.confidence)
        if nz.is_office_code(office):
            if "office" not in fp.fields:
                fp.put("office", "19", office, src)
            elif fp.fields["office"].value == office:
                fp.agree("office", line.confidence)
    filing, published = fp.fields.get("filing_date"), fp.fields.get("publication_date")
    if filing and published and filing.value > published.value:
        fp.note("filing_date", "date-order",
                f"filing date {filing.value} is after the publication date {published.value}",
                filing.source)  # fmt: skip
    kind_field = fp.fields.get("kind")
    if kind_field and fp.designation:
        printed = fp.fields["office"].value if "office" in fp.fields else None
        for pattern, type_office, kinds in KIND_OF_TYPE:
            if re.search(pattern, fp.designation, re.IGNORECASE):
                if (printed in (None, type_office)) and not re.match(kinds, kind_field.value):
                    fp.note("kind", "kind-document-type",
                            f"kind code {kind_field.value} does not fit the printed document "
                            f"type '{' '.join(fp.designation.split())[:60]}'",
                            kind_field.source)  # fmt: skip
                break

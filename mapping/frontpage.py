"""Bibliographic fields of a front page, read from INID-coded segments, each with provenance."""

from __future__ import annotations

import re
from collections.abc import Callable

from mapping import normalise as nz
from mapping.inid import Segment, segment_lines, strip_label
from mapping.layout import Line
from mapping.model import Field, Paragraph, Party, Provenance, Token
from mapping.parties import is_organisation, split_parties
from ocr.models import Word

ROLE_OF_CODE = {
    "71": "applicant",
    "72": "inventor",
    "73": "assignee",
    "74": "agent",
    "75": "applicant",
}


class FrontPage:
    """What one front page yields: single fields, IPC symbols, parties and abstract paragraphs."""

    def __init__(self) -> None:
        self.fields: dict[str, Field] = {}
        self.ipc: list[Field] = []
        self.parties: list[Party] = []
        self.abstract: list[Paragraph] = []
        self.abstract_lines: list[list[Word]] = []
        """The abstract's printed lines (for line-aware dehyphenation with a document lexicon)."""

    def put(self, name: str, inid: str, value: str | None, source: Provenance) -> None:
        """Keep the first value found for a field (front pages print each INID once)."""
        if value and name not in self.fields:
            self.fields[name] = Field(name=name, inid=inid, value=value, source=source)


def value_start(seg: Segment) -> int:
    """Offset of the value in the segment's text, after any printed label."""
    _, skip = strip_label(seg.text, seg.code)
    return skip


def _publication(fp: FrontPage, seg: Segment) -> None:
    start = value_start(seg)
    text = seg.text[start:]
    first_line = text.split("\n", 1)[0]
    parsed = nz.parse_publication_number(first_line)
    if not parsed:
        return
    office, number, kind = parsed
    src = seg.provenance(start, start + len(first_line))
    fp.put("publication_number", "11", number, src)
    if kind:
        fp.put("kind", "13", kind, src)
    if office and nz.is_office_code(office):
        fp.put("office", "19", office, src)


def _date(name: str) -> Callable[[FrontPage, Segment], None]:
    def handler(fp: FrontPage, seg: Segment) -> None:
        start = value_start(seg)
        text = seg.text[start:]
        for line in text.split("\n")[:2]:
            iso = nz.normalise_date(line)
            if iso:
                offset = start + text.index(line)
                fp.put(name, seg.code, iso, seg.provenance(offset, offset + len(line)))
                return

    return handler


def _application_number(fp: FrontPage, seg: Segment) -> None:
    start = value_start(seg)
    text = seg.text[start:]
    first = text.split("\n", 1)[0]
    value = nz.normalise_application_number(first)
    if value:
        fp.put("application_number", "21", value, seg.provenance(start, start + len(first)))


def _title(fp: FrontPage, seg: Segment) -> None:
    start = value_start(seg)
    text = seg.text[start:]
    title = " ".join(text.split()).strip(" .;:,")
    if title:
        fp.put("title", "54", title, seg.provenance(start))


def _office(fp: FrontPage, seg: Segment) -> None:
    code = nz.office_from_text(seg.text)
    if code:
        fp.put("office", "19", code, seg.provenance())


def _ipc(fp: FrontPage, seg: Segment) -> None:
    text = seg.text
    for symbol, edition, (s, e) in nz.find_ipc(text):
        if any(f.value == symbol for f in fp.ipc):
            continue
        src = seg.provenance(s, e)
        value = f"{symbol} ({edition})" if edition else symbol
        fp.ipc.append(Field(name="ipc", inid="51", value=value, source=src))


def _parties(fp: FrontPage, seg: Segment) -> None:
    role = ROLE_OF_CODE[seg.code]
    start = value_start(seg)
    text = seg.text[start:]
    if role == "agent":
        text = re.sub(r"^[\s\-—–:]+", "", text)
        start += len(seg.text[start:]) - len(text)
        entries = [(text.split("\n")[0].strip(" ;,."), None, None, (0, len(text.split("\n")[0])))]
        entries = [(n, None, None, span) for n, _, _, span in entries] if entries[0][0] else []
    else:
        entries = split_parties(text)
    for name, residence, country, (s, e) in entries:
        if country and not nz.is_office_code(country):
            country = None
        fp.parties.append(
            Party(
                role=role,  # type: ignore[arg-type]
                name=name,
                kind="organisation" if is_organisation(name) else "person",
                residence=residence,
                country=country,
                source=seg.provenance(start + s, start + e),
            )
        )


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
        bbox=(
            min(w.bbox[0] for w in words),
            min(w.bbox[1] for w in words),
            max(w.bbox[2] for w in words),
            max(w.bbox[3] for w in words),
        ),
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
    "19": _office,
    "21": _application_number,
    "22": _date("filing_date"),
    "43": _date("publication_date"),
    "45": _date("publication_date"),
    "51": _ipc,
    "54": _title,
    "57": _abstract,
    "71": _parties,
    "72": _parties,
    "73": _parties,
    "74": _parties,
    "75": _parties,
}


def extract_front_page(lines: list[Line]) -> FrontPage:
    fp = FrontPage()
    for seg in segment_lines(lines):
        handler = HANDLERS.get(seg.code)
        if handler is not None:
            handler(fp, seg)
    _barcode_cross_check(fp, lines)
    return fp


def _barcode_cross_check(fp: FrontPage, lines: list[Line]) -> None:
    """US front pages print the number as a machine line ('US010231003B2') at the top: use it to
    fill a missing number/kind/office; a disagreement lowers the field's confidence."""
    for line in lines[:8] if lines else []:
        parsed = nz.parse_barcode(line.text)
        if not parsed:
            continue
        office, number, kind = parsed
        src = Provenance(
            page=line.page, bbox=line.bbox, confidence=round(line.confidence, 4), raw=line.text
        )
        fp.put("publication_number", "11", number, src)
        fp.put("kind", "13", kind, src)
        if nz.is_office_code(office):
            fp.put("office", "19", office, src)
        current = fp.fields.get("publication_number")
        if current is not None and current.value != number:
            low = current.source.model_copy(
                update={"confidence": min(current.source.confidence, 0.5)}
            )
            fp.fields["publication_number"] = current.model_copy(update={"source": low})
        return

"""Second readings of doubtful fields: the words of a low-confidence value are OCR'd again from
a crop of the page (through a `Reread` callable the caller supplies; mapping itself never runs
Tesseract), parsed with the same normaliser, and kept when the new reading is more confident.

Two readings that agree confirm each other (the better confidence stands); a second reading
that disagrees and is not clearly better leaves the first value, with the lower confidence, so
the document goes to review.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from mapping import normalise as nz
from mapping.frontpage import POSITION_DOUBT, FrontPage, extract_front_page, title_text
from mapping.inid import field_confidence, strip_label
from mapping.ipc import Symbol, find_symbols, symbol_confidence
from mapping.layout import Line, reading_order, union_bbox
from mapping.model import BBox, Field, Party, Provenance
from mapping.parties import is_organisation, split_parties
from ocr.models import Word


class Reread(Protocol):
    def __call__(self, page: int, bbox: BBox, profile: str) -> list[Word] | None: ...


# field -> (crop profile, parse(text) -> normalised value or None)
_PARSERS: dict[str, tuple[str, Callable[[str], str | None]]] = {
    "publication_date": ("date", nz.normalise_date),
    "filing_date": ("date", nz.normalise_date),
    "application_number": ("number", nz.normalise_application_number),
    "publication_number": ("number", lambda t: (nz.parse_publication_number(t) or (None, None))[1]),
}
CLEARLY_BETTER = 0.1


def refine(fp: FrontPage, reread: Reread, threshold: float) -> int:
    """Re-read fields below `threshold`; returns how many second readings replaced a value."""
    changed = 0
    for name, (profile, parse) in _PARSERS.items():
        f = fp.fields.get(name)
        if f is None or f.source.confidence >= threshold or f.source.bbox is None:
            continue
        words = reread(f.source.page or 0, f.source.bbox, profile)
        if not words:
            continue
        text = " ".join(w.text for w in words)
        value = parse(strip_value(text, f.inid))
        if value is None:
            continue
        new = _provenance(f.source.page, words, text)
        if value == f.value:
            best = max(f.source.confidence, new.confidence)
            fp.fields[name] = _confirmed(f, best)
        elif new.confidence >= f.source.confidence + CLEARLY_BETTER:
            update: dict[str, object] = {"value": value, "source": new}
            if name == "application_number":
                update["normalised"] = nz.application_search_form(value)
            fp.fields[name] = f.model_copy(update=update)
            changed += 1
    changed += _refine_title(fp, reread, threshold)
    changed += _refine_ipc(fp, reread, threshold)
    for role in ("applicant", "inventor"):
        changed += _refine_party(fp, reread, threshold, role)
    changed += _twin_parties(fp, reread)
    return changed


def strip_value(text: str, code: str) -> str:
    """A crop may catch the label too ('Filed: Apr. 6, 2018'): drop it."""
    text = re.sub(r"^\s*[\(\[]?\d{2}[\)\]]\s*", "", text)
    _, skip = strip_label(text, code)
    if not skip:  # the crop's edge cut the label: 'nt: GOOGLE LLC' ('Applicant:')
        m = re.match(r"^\s*[A-Za-z.]{1,12}:\s*", text)
        skip = m.end() if m else 0
    return text[skip:]


def _provenance(page: int | None, words: list[Word], raw: str) -> Provenance:
    return Provenance(
        page=page,
        bbox=union_bbox(w.bbox for w in words),
        confidence=round(field_confidence(words), 4),
        raw=raw,
    )


def _refine_title(fp: FrontPage, reread: Reread, threshold: float) -> int:
    """The title: its printed lines read again as one block, when the title or one of its words
    is below `threshold` (one misread word hardly lowers the confidence of a long title), or
    when its first line went unread (`FrontPage.title_region`). Only the words inside the first
    reading's box, or the title's region, count (see `_within`)."""
    f = fp.fields.get("title")
    if f is None or f.source.bbox is None:
        return 0
    region = fp.title_region
    if region is None and f.source.confidence >= threshold and fp.title_weakest >= threshold:
        return 0
    box = region or f.source.bbox
    words = _within(reread(f.source.page or 0, box, "title") or [], box)
    if not words:
        return 0
    lines = _lines(words)
    texts = [" ".join(w.text for w in ln) for ln in lines]
    value = title_text(texts)
    if not value:
        return 0
    new = _provenance(f.source.page, words, "\n".join(texts))
    if fp.title_by_position:
        new = new.model_copy(update={"confidence": round(new.confidence * POSITION_DOUBT, 4)})
    if _same_letters(value, f.value):
        best = max(f.source.confidence, new.confidence)
        fp.fields["title"] = _confirmed(f, best)
        return 0
    found_lost_line = (
        region is not None
        and new.confidence >= threshold
        and any((ln[0].bbox[1] + ln[0].bbox[3]) / 2 < f.source.bbox[1] for ln in lines)
    )
    if new.confidence < f.source.confidence + CLEARLY_BETTER and not found_lost_line:
        return 0
    fp.fields["title"] = f.model_copy(update={"value": value, "source": new})
    return 1


def _confirmed(f: Field, confidence: float) -> Field:
    """`f` with the confidence a second reading that agreed with it gave."""
    return f.model_copy(
        update={"source": f.source.model_copy(update={"confidence": round(confidence, 4)})}
    )


def _within(words: list[Word], bbox: BBox) -> list[Word]:
    """The words of a crop reading whose centre lies in `bbox`: the crop's margins catch a label
    on the left, the next column on the right and cut lines above and below; a letter the first
    reading lost at an edge still has its word's centre inside."""
    x0, y0, x1, y1 = bbox
    return [w for w in words
            if x0 <= (w.bbox[0] + w.bbox[2]) / 2 <= x1 and y0 <= (w.bbox[1] + w.bbox[3]) / 2 <= y1]  # fmt: skip


def _refine_ipc(fp: FrontPage, reread: Reread, threshold: float) -> int:
    """The first IPC symbol: re-read lines before it that could not be read (their symbols go
    first, in order), or re-read it when doubtful."""
    if fp.unreadable_ipc:
        recovered: list[Field] = []
        for src in fp.unreadable_ipc[:2]:
            symbols, words, text = _read_symbols(fp, reread, src)
            recovered += [_symbol_field(src.page, words, text, sym) for sym in symbols]
            if not symbols:
                break  # still unreadable: the note stays, the document goes to review
        else:
            fp.unreadable_ipc.clear()
            fp.notes = [n for n in fp.notes if n.rule != "ipc-unreadable"]
        if recovered:
            found = {f.value.split(" (")[0] for f in recovered}
            fp.ipc = recovered + [f for f in fp.ipc if f.value.split(" (")[0] not in found]
        return int(bool(recovered))
    if not fp.ipc or fp.ipc[0].source.confidence >= threshold or fp.ipc[0].source.bbox is None:
        return 0
    old = fp.ipc[0]
    symbols, words, text = _read_symbols(fp, reread, old.source)
    if not symbols:
        return 0
    new = _symbol_field(old.source.page, words, text, symbols[0])
    if new.value.split(" (")[0] == old.value.split(" (")[0]:
        best = max(old.source.confidence, new.source.confidence)
        fp.ipc[0] = old.model_copy(
            update={"source": old.source.model_copy(update={"confidence": round(best, 4)})}
        )
        return 0
    if new.source.confidence >= old.source.confidence + CLEARLY_BETTER:
        fp.ipc[0] = new
        return 1
    return 0


def _read_symbols(
    fp: FrontPage, reread: Reread, src: Provenance
) -> tuple[list[Symbol], list[Word], str]:
    """Symbols of a second reading of a crop: whitelisted first, then free text."""
    if src.bbox is None:
        return [], [], ""
    for profile in ("ipc", "block"):
        words = reread(src.page or 0, src.bbox, profile) or []
        text = " ".join(w.text for w in words)
        symbols = find_symbols(text, fp.context)
        if symbols:
            return symbols, words, text
    return [], [], ""


def _symbol_field(page: int | None, words: list[Word], text: str, sym: Symbol) -> Field:
    """A symbol of a second reading, with the confidence of the words it was read from."""
    pos, mine = 0, []
    for w in words:
        start = text.find(w.text, pos)
        pos = start + len(w.text)
        if start < sym.span[1] and pos > sym.span[0]:
            mine.append(w)
    src = _provenance(page, mine or words, text[sym.span[0] : sym.span[1]])
    src = src.model_copy(update={"confidence": round(symbol_confidence(src.confidence, sym), 4)})
    return Field(name="ipc", inid="51", value=sym.value, source=src)


def _refine_party(fp: FrontPage, reread: Reread, threshold: float, role: str) -> int:
    """The first party of a role: re-read the role's printed list as a block (Tesseract reads
    a name better among its neighbours than in a crop of its own lines: 'Fadell,' against
    'Fadel],' on a 1-bit page) and take its first entry. A reading that agrees confirms the
    name only when none of its words is below `threshold` (two readings of one doubtful word
    from the same pixels are not two witnesses: 'Kare' for 'Karc')."""
    index = next((i for i, p in enumerate(fp.parties) if p.role == role), None)
    if index is None:
        return 0
    party = fp.parties[index]
    if party.source.confidence >= threshold or party.source.bbox is None:
        return 0
    box = union_bbox(p.source.bbox for p in fp.parties
                     if p.role == role and p.source.page == party.source.page and p.source.bbox)  # fmt: skip
    words = _within(reread(party.source.page or 0, box, "block") or [], box)
    if not words:
        return 0
    text, starts = _block(words)
    code = {"applicant": "71", "inventor": "72"}[role]
    value = strip_value(text, code)
    entries = split_parties(value)
    if not entries:
        return 0
    name, residence, country, (s, e) = entries[0]
    skip = len(text) - len(value)
    entry = [w for at, w in starts if at < skip + e and at + len(w.text) > skip + s] or words
    tokens = {t.strip(",.;:") for t in name.split()}
    name_words = [w for w in entry if w.text.strip(",.;:") in tokens] or entry
    conf = round(field_confidence(name_words), 4)
    if _same_letters(name, party.name):
        if min(w.confidence for w in name_words) >= threshold:
            src = party.source.model_copy(update={"confidence": max(conf, party.source.confidence)})
            fp.parties[index] = party.model_copy(update={"source": src})
        return 0
    if conf < party.source.confidence + CLEARLY_BETTER:
        return 0
    if country and not nz.is_office_code(country):
        country = None
    fp.parties[index] = Party(
        role=party.role,
        name=name,
        kind="organisation" if is_organisation(name) else "person",
        residence=residence,
        country=country,
        source=_provenance(party.source.page, entry, value[s:e].strip()).model_copy(
            update={"confidence": conf}
        ),
    )
    return 1


def _block(words: list[Word]) -> tuple[str, list[tuple[int, Word]]]:
    """The text of a block reading, one printed line a line, and where each word starts in it."""
    text, starts = "", []
    for line in _lines(words):
        text += "\n" if text else ""
        for i, w in enumerate(line):
            text += " " if i else ""
            starts.append((len(text), w))
            text += w.text
    return text, starts


def _lines(words: list[Word]) -> list[list[Word]]:
    lines: dict[tuple[int, int, int], list[Word]] = {}
    for w in words:
        lines.setdefault((w.block, w.par, w.line), []).append(w)
    return list(lines.values())


def _line_texts(words: list[Word]) -> list[str]:
    return [" ".join(w.text for w in line) for line in _lines(words)]


def _same_letters(a: str, b: str) -> bool:
    """Two readings that differ only in spaces, punctuation or case agree: the second confirms
    the first, whose spacing stands (a block reading joins spaced initials, "L M" -> "LM", which
    the page reading kept apart)."""
    return re.sub(r"[\W_]+", "", a).casefold() == re.sub(r"[\W_]+", "", b).casefold()


def _casefold(name: str) -> str:
    return " ".join(re.sub(r"[^\w&]+", " ", name).casefold().split())


def _twin_parties(fp: FrontPage, reread: Reread) -> int:
    """US-style pages print the first applicant again as assignee (71/73). Two prints that
    agree (ignoring case, spaces and punctuation) confirm each other, each keeping its own
    text. Two that nearly agree hold an OCR error: both are read again, and readings that agree
    across the two prints win."""
    from rapidfuzz.fuzz import ratio

    first = {r: next((i for i, p in enumerate(fp.parties) if p.role == r), None)
             for r in ("applicant", "assignee")}  # fmt: skip
    ia, ib = first["applicant"], first["assignee"]
    if ia is None or ib is None:
        return 0
    a, b = fp.parties[ia], fp.parties[ib]
    if _same_letters(a.name, b.name):
        best = max(a.source.confidence, b.source.confidence)
        for i, p in ((ia, a), (ib, b)):
            fp.parties[i] = p.model_copy(
                update={"source": p.source.model_copy(update={"confidence": best})}
            )
        return 0
    if ratio(_casefold(a.name), _casefold(b.name)) < 70:
        return 0  # different parties (or different forms of one name): nothing to check
    readings: dict[int, list[tuple[str, Provenance]]] = {
        ia: [(a.name, a.source)],
        ib: [(b.name, b.source)],
    }
    for i, p, code in ((ia, a, "71"), (ib, b, "73")):
        if p.source.bbox is None:
            continue
        words = _within(reread(p.source.page or 0, p.source.bbox, "block") or [], p.source.bbox)
        if not words:
            continue
        text = "\n".join(_line_texts(words))
        entries = split_parties(strip_value(text, code))
        if entries:
            readings[i].append((entries[0][0], _provenance(p.source.page, words, text)))
    for name_a, src_a in readings[ia]:
        for name_b, src_b in readings[ib]:
            if _same_letters(name_a, name_b):
                conf = max(src_a.confidence, src_b.confidence, a.source.confidence)
                fp.parties[ia] = a.model_copy(
                    update={
                        "name": name_a,
                        "kind": "organisation" if is_organisation(name_a) else a.kind,
                        "source": a.source.model_copy(
                            update={"confidence": conf, "raw": src_a.raw}
                        ),
                    }
                )
                fp.parties[ib] = b.model_copy(
                    update={
                        "name": name_b,
                        "kind": "organisation" if is_organisation(name_b) else b.kind,
                        "source": b.source.model_copy(
                            update={"confidence": conf, "raw": src_b.raw}
                        ),
                    }
                )
                return int(name_a != a.name) + int(name_b != b.name)
    return 0


REQUIRED = ("publication_number", "application_number", "filing_date", "publication_date", "title")
MAX_GAPS = 3


def recover_missing(fp: FrontPage, lines: list[Line], reread: Reread) -> FrontPage:
    """When a field every front page prints is missing, the first OCR may have dropped its line
    altogether: read the widest empty bands of the bibliographic columns again as text blocks
    and extract once more; only the missing fields are taken from the second extraction."""
    missing = [name for name in REQUIRED if name not in fp.fields]
    if not missing or not lines:
        return fp
    extra: list[Line] = []
    for page, column, bbox in _gaps(lines)[:MAX_GAPS]:
        words = reread(page, bbox, "block")
        groups: dict[tuple[int, int, int], list[Word]] = {}
        for w in words or []:
            groups.setdefault((w.block, w.par, w.line), []).append(w)
        extra += [Line(tuple(sorted(g, key=lambda w: w.bbox[0])), page, column)
                  for g in groups.values()]  # fmt: skip
    if not extra:
        return fp
    second = extract_front_page(reading_order(lines + extra))
    for name in missing:
        if name in second.fields:
            fp.fields[name] = second.fields[name]
    return fp


def _gaps(lines: list[Line]) -> list[tuple[int, int, BBox]]:
    """Empty bands between consecutive lines of a column taller than two lines, widest first,
    in the upper 60 % of the page where the bibliographic columns are."""
    out: list[tuple[int, int, int, BBox]] = []
    keys = {(ln.page, ln.column) for ln in lines if ln.column >= 0}
    bottom = max(ln.bbox[3] for ln in lines)
    for page, column in keys:
        col = sorted((ln for ln in lines if ln.page == page and ln.column == column),
                     key=lambda ln: ln.bbox[1])  # fmt: skip
        heights = sorted(ln.bbox[3] - ln.bbox[1] for ln in col)
        height = max(8, heights[len(heights) // 2])
        x0, x1 = min(ln.bbox[0] for ln in col), max(ln.bbox[2] for ln in col)
        for a, b in zip(col, col[1:], strict=False):
            gap = b.bbox[1] - a.bbox[3]
            if gap > 2 * height and a.bbox[3] < 0.6 * bottom:
                out.append((gap, page, column, (x0, a.bbox[3] + 2, x1, b.bbox[1] - 2)))
    out.sort(key=lambda g: -g[0])
    return [(page, column, bbox) for _, page, column, bbox in out]

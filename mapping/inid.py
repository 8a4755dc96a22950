"""INID codes (WIPO ST.9) and printed labels: cut a page's lines into coded segments.

A segment starts where a line (or, inside a line, a bracketed mark or a strong label) carries an
INID mark or a known printed label, and runs on over the following lines of the same column
until the next segment starts. Marks are read however OCR renders them: "(21)", "[21]", "21)",
"(2l)", "(SI)" (51), glued to the next word ("(21)Appl."), a bare "21" in a margin column (only
with a matching label or a wide gap after it), and circled numbers that OCR turns into "@",
"©", "®", "a2)" or "(0)": such a mark only says *that* a field starts; its label ("Appl. No.",
"Anmeldetag", "Date de dépôt") then says which. "(*)" (a notice) ends the segment before it.
"""

from __future__ import annotations

import csv
import functools
import itertools
import re
from dataclasses import dataclass, field
from importlib import resources

from rapidfuzz.distance import Levenshtein

from mapping.layout import Line, union_bbox
from mapping.model import Provenance
from ocr.models import Word


@functools.lru_cache(maxsize=1)
def known_codes() -> frozenset[str]:
    with resources.files("mapping").joinpath("data/inid_st9.csv").open(encoding="utf-8") as fh:
        return frozenset(row["code"] for row in csv.DictReader(fh))


# --- marks --------------------------------------------------------------------------------------

# What a character inside a mark may stand for. "?" = unreadable (a circled digit).
_MARK_CHARS: dict[str, str] = {
    **{d: d for d in "0123456789"},
    "O": "0", "o": "0", "D": "0", "Q": "0",
    "l": "1", "I": "1", "i": "1", "|": "1", "!": "1", "]": "1", "J": "1",
    "Z": "2", "z": "2", "S": "5", "s": "5", "B": "8", "A": "4", "G": "6", "b": "6", "T": "7",
    "g": "9", "q": "9",
    "@": "?", "©": "?", "®": "?", "a": "?", "e": "?", "c": "?",
}  # fmt: skip
_OPEN, _CLOSE = "([{<", ")]}>"
_BRACKETED = re.compile(r"^(?P<open>[\(\[\{<])?(?P<body>[^\s\(\)\[\{\}<>]{1,3}?)(?P<close>[\)\]\}>])(?P<rest>.*)$|"
                        r"^(?P<open2>[\(\[\{<])(?P<body2>[0-9OoSlIZB]{2})(?P<rest2>[^0-9].*)?$")  # fmt: skip
_CIRCLED = re.compile(r"^[\(\[]?[@©®][\)\]]?[.,:]?$")
_NOTICE = re.compile(r"^[\(\[]\*[\)\]]")


@dataclass(frozen=True)
class Mark:
    """An INID mark: the codes it may stand for (one when legible, none when unreadable)."""

    codes: frozenset[str]
    rest: str = ""
    """Text glued after the mark in the same OCR word ("Appl." of "(21)Appl.")."""
    bracketed: bool = True
    lettered: bool = False
    """Read from letters only ('(SI)'): trusted only when a matching label follows."""
    notice: bool = False
    """'(*)': not a code, but it ends the field above."""


def _expand(body: str) -> frozenset[str]:
    options = []
    for ch in body:
        mapped = _MARK_CHARS.get(ch)
        if mapped is None:
            return frozenset()
        options.append("0123456789" if mapped == "?" else mapped)
    if len(options) == 1:  # one digit lost ("(0)" for "(10)"): either side
        combos = {d + options[0][0] for d in "123456789"} | {
            options[0][0] + d for d in "0123456789"
        }
        return frozenset(c for c in combos if c in known_codes())
    pairs: tuple[tuple[str, str], ...]
    if len(options) == 3:  # a stray mark read as a character: '(S51)'
        pairs = ((options[0], options[1]), (options[0], options[2]), (options[1], options[2]))
    elif len(options) == 2:
        pairs = ((options[0], options[1]),)
    else:
        return frozenset()
    return frozenset(
        a + b for x, y in pairs for a, b in itertools.product(x, y) if a + b in known_codes()
    )


@functools.lru_cache(maxsize=16384)
def parse_mark(token: str) -> Mark | None:
    """'(21)' -> {21}; '(2l)' -> {21}; '[SI]' -> {51}; '(21)Appl.' -> {21} + 'Appl.';
    'a2)' -> {12, 22, 32, ...}; '@' -> {} (a mark of unknown code); '21' -> {21} (bare);
    None for anything that is not a mark ('(US)', '(2013.01)', 'Google').

    Cached: asked of every word of every page, several times (page kinds, segmentation), and
    a Mark is immutable."""
    t = token.strip()
    if not t:
        return None
    if _NOTICE.match(t):
        return Mark(frozenset(), notice=True)
    if _CIRCLED.match(t):
        return Mark(frozenset())
    if re.fullmatch(r"\d\d", t):
        return Mark(frozenset({t}), bracketed=False) if t in known_codes() else None
    m = _BRACKETED.match(t)
    if not m:
        return None
    body = m["body"] if m["body"] is not None else m["body2"]
    rest = (m["rest"] if m["body"] is not None else m["rest2"]) or ""
    opened = bool(m["open"] or m["open2"])
    if body.isalpha() and not (body[0] in "OSlIZB" or (len(body) == 1 and opened)):
        return None  # '(US)', '(CA)': a country, not a mark
    if not opened and len(body) == 1 and not body.isdigit():
        return None  # 'a)' or 'b)': a list item
    if not opened and body.isalpha() and body[0] not in "@©®":
        return None
    codes = _expand(body)
    if not codes and not any(ch in "@©®" for ch in body):
        return None
    return Mark(codes, rest=rest.lstrip(".:, "), lettered=body.isalpha())


def inid_of_mark(token: str) -> str | None:
    """The code of a legible bracketed mark ('(21)' -> '21', '(2l)' -> '21'), else None."""
    mark = parse_mark(token)
    if mark is None or not mark.bracketed or len(mark.codes) != 1:
        return None
    return next(iter(mark.codes))


# --- labels -------------------------------------------------------------------------------------

# Printed labels that name a field without (or beside) its INID code, in English, French and
# German (US, EP, WO, DE, FR, CA, CH, AT front pages of several decades). Matching is
# case-insensitive at the start of a segment's text.
LABELS: tuple[tuple[str, str], ...] = (
    ("11", r"patent\s+n(?:o|0|umber)[.,]?"),
    ("11", r"(?:pub(?:lication)?\.?\s+n[o0]\.?|publication\s+number)"),
    ("11", r"n(?:°|o|º|r\.?)\s*(?:de\s+)?publication|num[ée]ro\s+de\s+publication"),
    ("11", r"(?:canadian\s+patent|brevet\s+canadien)(?:\s+n[o°]\.?)?"),
    ("11", r"(?:offenlegungs|auslege|patent)schrift(?:\s+n[r.]+)?"),
    ("11", r"nummer"),
    (
        "12",
        r"united\s+states\s+patent(?:\s+application\s+publication)?|patent\s+application\s+publication",
    ),
    (
        "12",
        r"(?:european\s+patent\s+(?:application|specification)|europ[äa]ische\s+patent(?:anmeldung|schrift)|demande\s+de\s+brevet(?:\s+europ[ée]en)?|fascicule\s+de\s+brevet(?:\s+europ[ée]en)?)",
    ),
    (
        "12",
        r"(?:brevet\s+d'invention|certificat\s+d'utilit[ée]|gebrauchsmuster|patent\s+specification)",
    ),
    (
        "45",
        r"date\s+of\s+patent|patented|date\s+of\s+issue|issued|date\s+de\s+d[ée]livrance|ausgabetag|patenterteilung",
    ),
    ("41", r"open\s+to\s+public\s+inspection|mise\s+[àa]\s+la\s+disponibilit[ée]\s+du\s+public"),
    (
        "43",
        r"pub(?:lication)?\.?\s+date|date\s+of\s+publication(?:\s+of\s+application)?|offenlegungstag|date\s+de\s+(?:la\s+)?(?:mise\s+[àa]\s+la\s+disposition\s+du\s+public|publication)(?:\s+de\s+la\s+demande)?|laid\s+open",
    ),
    ("44", r"bekanntmachungstag|bekanntgemacht"),
    (
        "21",
        r"appl(?:ication)?\.?\s+n(?:o|0|umber)\.?|ser(?:ial)?\.?\s+n[o0]\.?|application\s+number",
    ),
    ("21", r"aktenzeichen|anmeldenummer"),
    (
        "21",
        r"n(?:°|o|º)\s*d'enregistrement\s+national|n(?:°|o|º)\s*de\s+(?:d[ée]p[ôo]t|la\s+demande)|num[ée]ro\s+de\s+(?:d[ée]p[ôo]t|la\s+demande)",
    ),
    ("22", r"(?:pct\s+)?filed|filing\s+date|date\s+of\s+filing"),
    ("22", r"anmeldetag"),
    ("22", r"date\s+de\s+(?:d[ée]p[ôo]t|la\s+demande)"),
    (
        "30",
        r"foreign\s+application\s+priority\s+data|priority(?:\s+data)?|priorit[äa]t|unionspriorit[äa]t|priorit[ée]s?",
    ),
    ("71", r"applicants?|anmelder(?:in)?|demandeurs?|d[ée]posants?"),
    ("75", r"inventors?\s+and\s+applicants?"),
    ("72", r"inventors?|erfinder|inventeurs?"),
    (
        "73",
        r"assignees?|(?:patent)?inhaber(?:in)?|titulaires?|proprietors?|owners?|propri[ée]taires?",
    ),
    ("74", r"attorney,?\s+agent,?\s+or\s+firm\s*[-—–:]*|agent|vertreter|mandataire|representative"),
    (
        "51",
        r"int\.?\s*c[lhi1]\.?\s*[0-9]*|c[l1]\.?\s*int\.?\s*[0-9]*|int\.?\s*kl\.?"
        r"|internationale\s+klassifikation"
        r"|classification\s+internationale(?:\s*\(int\.?\s*c[l1]\.?\s*[0-9]*\))?|cib|ipc",
    ),
    ("52", r"u\.?\s?s\.?\s+c[l1i]\.?|deutsche\s+kl\.?|canadian\s+classification"),
    (
        "54",
        r"title(?:\s+of\s+(?:the\s+)?invention)?|titre(?:\s+de\s+l'invention)?|bezeichnung|titel",
    ),
    ("57", r"abstract(?:\s+of\s+the\s+disclosure)?|abr[ée]g[ée]|zusammenfassung"),
    ("86", r"pct\s+n[o0]\.?|international\s+application(?:\s+n[o0]\.?)?"),
    ("87", r"pct\s+pub\.?\s+n[o0]\.?"),
)
# after a label: '(s)', a bilingual twin ('Date de dépôt/Filing Date:'), then ':' and leaders
_TAIL = r"(?:\s*\(\s*s\s*\))?(?:\s*/\s*[^:\n/]{2,40}?(?=:))?\s*[:;.]?[\s.:…·-]*"
_LABEL_RES = tuple(
    (code, re.compile(r"^\s*(?:" + rx + r")(?![A-Za-zÀ-ÿ])" + _TAIL, re.IGNORECASE))
    for code, rx in LABELS
)
# Labels strong enough to start a field in the middle of a line ("..., Ser. No. 123,456").
_INLINE = re.compile(
    r"(?<![A-Za-z])(?:(?P<c21>ser(?:ial)?\.?\s+n[o0]\.|appl\.\s+n[o0]\.|aktenzeichen\s*:)"
    r"|(?P<c22>anmeldetag\s*:|date\s+de\s+d[ée]p[ôo]t\s*:|filed\s*:))",
    re.IGNORECASE,
)


def strip_label(text: str, code: str | None = None) -> tuple[str | None, int]:
    """Find a known label at the start of text: (its INID code, characters to skip) or (None, 0).

    With `code`, only labels of that code (or of a code printed under it) are looked for.
    """
    for label_code, rx in _LABEL_RES:
        if code is not None and label_code not in _COMPATIBLE.get(code, {code}):
            continue
        m = rx.match(text)
        if m and m.end() > 0:
            return label_code, m.end()
    return None, 0


# Labels printed under another code: "(10) Patent No.", "(22) PCT Filed", "(75) Inventors".
_COMPATIBLE: dict[str, set[str]] = {
    "10": {"11"},
    "11": {"11"},
    "19": {"12", "19"},
    "12": {"12", "11"},
    "75": {"75", "72", "71"},
    "76": {"75", "72", "71"},
    "41": {"41", "43"},
    "43": {"43", "41"},
    "44": {"44", "43"},
    "45": {"45", "44"},
}


# Labels that cannot be running text even without a colon ("Int. Cl.", "U.S. Cl.", "ABSTRACT").
_DISTINCT = frozenset({"12", "21", "30", "45", "51", "52", "57", "86", "87"})


def label_starts_field(text: str) -> str | None:
    """A label that starts a field on a line without an INID mark: it must begin the line,
    start with a capital and be followed by ':' or a value (not 'filed on' in running text)."""
    stripped = text.lstrip(" .·-)]|!")
    # a mark damaged beyond reading ('1 Appl. No.:' for '(21) Appl. No.:')
    stripped = re.sub(r"^[\(\[\{]?[0-9OSlI|!@©®]{1,3}[\)\]\}]?\s+(?=[A-Z])", "", stripped)
    if not stripped[:1].isupper():
        return None
    code, end = strip_label(stripped)
    if code is None:
        return damaged_caption(stripped)[0]
    label = stripped[:end]
    after = stripped[end:]
    if ":" in label or code in _DISTINCT or (after[:1].isdigit() or after[:1] == "*"):
        return code
    return None


# One-word captions of US-style front pages, which a colon always follows.
_CAPTIONS = {"filed": "22", "applicant": "71", "applicants": "71", "inventor": "72",
             "inventors": "72", "assignee": "73", "assignees": "73"}  # fmt: skip


def damaged_caption(text: str) -> tuple[str | None, int]:
    """A caption with one letter damaged ('Viled:' for 'Filed:' when a 1-bit scan broke the
    F's bar): one edit away from a known one-word caption, at the start of the text, followed
    by a colon. Returns (its code, characters to skip) or (None, 0)."""
    m = re.match(r"\s*([A-Za-z']{4,11}):\s*", text)
    if m is not None:
        word = m[1].lower()
        for caption, code in _CAPTIONS.items():
            if Levenshtein.distance(word, caption, score_cutoff=1) <= 1:
                return code, m.end()
    return None, 0


# --- segments -----------------------------------------------------------------------------------


@dataclass
class Segment:
    """The words of one coded field, possibly over several lines; offsets map text to words."""

    code: str
    page: int
    column: int
    words: list[Word] = field(default_factory=list)
    line_starts: set[int] = field(default_factory=set)
    labelled: bool = False
    anchor: tuple[int, int, int, int] | None = None
    """Box of the line that started the segment (a mark alone on its line has no words)."""

    def add_line(self, words: list[Word]) -> None:
        if words:
            self.line_starts.add(len(self.words))
            self.words.extend(words)

    @property
    def text(self) -> str:
        return "".join(self._pieces())

    def lines(self) -> list[list[Word]]:
        out: list[list[Word]] = []
        for i, w in enumerate(self.words):
            if i in self.line_starts or not out:
                out.append([])
            out[-1].append(w)
        return out

    def _pieces(self) -> list[str]:
        pieces = []
        for i, w in enumerate(self.words):
            if i:
                pieces.append("\n" if i in self.line_starts else " ")
            pieces.append(w.text)
        return pieces

    def words_in(self, start: int, end: int) -> list[Word]:
        """The words whose characters overlap text[start:end]."""
        out, pos = [], 0
        for i, w in enumerate(self.words):
            if i:
                pos += 1
            if pos < end and pos + len(w.text) > start:
                out.append(w)
            pos += len(w.text)
        return out

    def provenance(self, start: int = 0, end: int | None = None) -> Provenance:
        text = self.text
        end = len(text) if end is None else end
        words = self.words_in(start, end) or self.words
        if not words:
            return Provenance(page=self.page, raw=text[start:end].strip())
        return Provenance(
            page=self.page,
            bbox=union_bbox(w.bbox for w in words),
            confidence=round(field_confidence(words), 4),
            raw=text[start:end].strip(),
        )


def field_confidence(words: list[Word]) -> float:
    """A value is as trustworthy as its weakest word, softened by the others: the mean of the
    minimum and the mean word confidence (one bad character in a number is one bad number)."""
    confs = [w.confidence for w in words]
    return (min(confs) + sum(confs) / len(confs)) / 2


def _word_from_rest(word: Word, rest: str) -> Word:
    """The text glued after a mark, as a word of its own (box: the word's right part)."""
    x0, y0, x1, y1 = word.bbox
    share = len(rest) / max(1, len(word.text))
    return word.model_copy(update={"text": rest, "bbox": (int(x1 - (x1 - x0) * share), y0, x1, y1)})


def _resolve(mark: Mark | None, words: list[Word]) -> tuple[str | None, bool]:
    """The code a line starts (mark and/or label) and whether a label named it."""
    text = " ".join(w.text for w in words)
    if mark is None:
        code = label_starts_field(text)
        return code, code is not None
    label_code, _ = strip_label(text)
    if len(mark.codes) == 1:
        code = next(iter(mark.codes))
        if label_code is not None and label_code not in _COMPATIBLE.get(code, {code}):
            if mark.lettered:
                return label_code, True
            label_code = None
        return code, label_code is not None
    if label_code is not None:
        return label_code, True
    return None, False


def _margin_code(words: list[Word]) -> bool:
    """A bare number is an INID code in a margin column when a wide gap follows it."""
    if len(words) < 2:
        return False
    first, second = words[0], words[1]
    height = max(8, first.bbox[3] - first.bbox[1])
    return second.bbox[0] - first.bbox[2] > 2.0 * height


def _split_inline(words: list[Word]) -> list[list[Word]]:
    """Cut a line before bracketed INID marks and strong labels that occur inside it."""
    cuts = []
    for i in range(1, len(words)):
        mark = parse_mark(words[i].text)
        if mark is not None and mark.bracketed and len(mark.codes) == 1 and not mark.rest:
            nxt = " ".join(w.text for w in words[i + 1 : i + 4])
            if strip_label(nxt, next(iter(mark.codes)))[0] is not None:
                cuts.append(i)
                continue
        tail = " ".join(w.text for w in words[i : i + 3])
        prev = words[i - 1].text
        if _INLINE.match(tail) and prev.endswith((",", ";", ".")) and len(prev) > 1:
            cuts.append(i)
    pieces, start = [], 0
    for cut in cuts:
        pieces.append(words[start:cut])
        start = cut
    pieces.append(words[start:])
    return [p for p in pieces if p]


RUNNING_TEXT = frozenset({"57"})
"""Fields of running text, where a reference numeral such as "(5)" may start a line."""


def segment_lines(lines: list[Line]) -> list[Segment]:
    """Cut ordered lines into segments at INID marks and known labels."""
    segments: list[Segment] = []
    current: Segment | None = None
    ghosts = _ghost_lines(lines)
    for n, line in enumerate(lines):
        if n in ghosts or sum(c.isalnum() for c in line.text) < 2:
            continue  # specks read as text ('_', '. .') neither join a field nor cut one
        for piece_no, piece in enumerate(_split_inline(list(line.words))):
            words = list(piece)
            mark = parse_mark(words[0].text) if words else None
            if mark is not None and (not mark.bracketed or mark.lettered):
                # a bare '21' or a '(SI)' needs a matching label (or, bare, a margin gap)
                label_code, _ = strip_label(" ".join(w.text for w in words[1:]))
                if label_code in mark.codes or (not mark.bracketed and _margin_code(words)):
                    mark = Mark(mark.codes, rest=mark.rest)
                elif mark.lettered and mark.bracketed and label_code is not None:
                    mark = Mark(frozenset({label_code}), rest=mark.rest)
                else:
                    mark = None
            if mark is not None:
                first = words.pop(0)
                if mark.rest:
                    words.insert(0, _word_from_rest(first, mark.rest))
            code, labelled = _resolve(mark, words)
            if mark is not None and mark.notice:
                current = None
                continue
            if code is not None:
                current = Segment(code=code, page=line.page, column=line.column,
                                  labelled=labelled, anchor=line.bbox)  # fmt: skip
                current.add_line(words)
                segments.append(current)
            elif mark is not None and not (
                current is not None and current.code in RUNNING_TEXT and piece_no == 0
                and _continues(current, line)
            ):  # fmt: skip
                current = None  # a mark we cannot name still ends the field above...
            elif mark is not None and current is not None:
                current.add_line(list(piece))  # ...but not running text: "(5) for clay ..."
            elif piece_no == 0 and current is not None and _continues(current, line):
                current.add_line(words)
            elif piece_no > 0 and current is not None:
                current.words.extend(words)
            else:
                current = None
    return segments


def _ghost_lines(lines: list[Line]) -> set[int]:
    """Tesseract sometimes reads one printed line twice, once as rubbish over the other: of two
    lines of a column that mostly cover each other, the less confident one is dropped."""
    ghosts: set[int] = set()
    for i, a in enumerate(lines):
        for j in range(i + 1, min(len(lines), i + 8)):
            b = lines[j]
            if a.page != b.page or a.column != b.column:
                continue
            ab, bb = a.bbox, b.bbox
            ix = min(ab[2], bb[2]) - max(ab[0], bb[0])
            iy = min(ab[3], bb[3]) - max(ab[1], bb[1])
            if ix <= 0 or iy <= 0:
                continue
            larger = max((ab[2] - ab[0]) * (ab[3] - ab[1]), (bb[2] - bb[0]) * (bb[3] - bb[1]))
            if ix * iy > 0.5 * larger:
                ghosts.add(j if b.confidence < a.confidence else i)
    return ghosts


def _continues(segment: Segment, line: Line) -> bool:
    if line.page != segment.page or line.column != segment.column:
        return False
    if line.text.strip().lower().startswith("(continued"):
        return False
    if not segment.words:  # a mark alone on its line: the value starts on the same or next row
        if segment.anchor is None:
            return False
        top, bottom = segment.anchor[1], segment.anchor[3]
        return top - 4 <= line.bbox[1] < bottom + 1.5 * (bottom - top)
    last = segment.words[-1].bbox
    heights = sorted(w.bbox[3] - w.bbox[1] for w in segment.words)
    height = max(8, heights[len(heights) // 2])
    return -height < line.bbox[1] - last[3] < 1.2 * height

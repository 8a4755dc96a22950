"""Where the claims begin, and the claims split into numbered claims.

The claims begin at a start phrase ("What is claimed is:", "We claim:", "Claims", "Patentansprüche",
"Revendications", ...) standing at the start of a line, followed by claim 1. Without a start
phrase, a run of numbered paragraphs "1. ..." whose later members refer to "claim 1" is taken.
A claim begins at a line that starts with its number ("3." or OCR's "l." for 1) after a line that
ended a sentence; a number right after "claim"/"claims"/"to" on the previous line is a reference
that wrapped, not a new claim. Numbers are kept as printed, so gaps and repeats stay visible to
the validation gate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from mapping.bodytext import TextLine

# (regex on the start of a line's text, language). Headings must stand alone on their line.
START_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rx, re.IGNORECASE), lang)
    for rx, lang in (
        (r"^(having\s+thus\s+described\s+.{0,80}?,\s*)?(what|that\s+which)\s+(is|are)\s+claimed\s+(is|are)\s*[:;.]?", "en"),
        (r"^(\S{1,8}\s+)?(is|are)\s+claimed\s+(is|are)\s*[:;.]", "en"),  # OCR lost "What"
        (r"^what\s+(i|we)\s+claim\s+(is|are)\s*[:;.]?", "en"),
        (r"^the\s+invention\s+claimed\s+is\s*[:;.]?", "en"),
        (r"^(i|we)\s+claim\s*[:;.]", "en"),
        (r"^it\s+is\s+claimed\s*[:;.]", "en"),
        (r"^(the\s+)?embodiments\s+of\s+the\s+invention\s+in\s+which\s+an\s+exclusive\s+property"
         r"\s+or\s+privilege\s+is\s+claimed\s+are\s+defined\s+as\s+follows\s*[:;.]?", "en"),
        (r"^(patent\s+)?c\s?l\s?a\s?i\s?m\s?s?\s*[:.]?$", "en"),
        (r"^(the\s+)?claims\s+defining\s+the\s+invention\s+are\s+as\s+follows\s*[:;.]?", "en"),
        (r"^(patent|schutz)?anspr(ü|u|ii)che\s*[:.]?$", "de"),
        (r"^patentanspruch\s*[:.]?$", "de"),
        (r"^wir\s+beanspruchen\s*[:.]", "de"),
        (r"^revendications?\s*[:.]?$", "fr"),
        (r"^(nous\s+revendiquons|je\s+revendique|ce\s+qui\s+est\s+revendiqu[ée]\s+est)\s*[:.]?", "fr"),
        (r"^reivindicaciones\s*[:.]?$", "es"),
        (r"^rivendicazioni\s*[:.]?$", "it"),
        (r"^conclusies\s*[:.]?$", "nl"),
    )
)  # fmt: skip

_NUMBER = re.compile(r"^([0-9lIiL|SOoBZz]{1,3})([.,])$")
_GLUED = re.compile(r"^(\d{1,3})\.([A-Za-z(].*)$")
# What OCR makes of digits on a noisy page; such a reading only counts where it is the number
# expected next.
_DIGITS = str.maketrans({"l": "1", "I": "1", "i": "1", "L": "1", "|": "1", "S": "5", "O": "0",
                         "o": "0", "B": "8", "Z": "2", "z": "2"})  # fmt: skip
# A number after these words at the end of the previous line is a reference that wrapped.
REFERENCE_WORDS = frozenset({
    "claim", "claims", "anspruch", "ansprüche", "anspruchs", "ansprüchen", "revendication",
    "revendications", "reivindicación", "reivindicaciones", "to", "and", "or", "of", "bis", "à",
    "et", "und", "oder", "ou",
})  # fmt: skip
REFERENCE = re.compile(
    r"\b(?:claims?|anspr(?:ü|u)ch(?:e|s|en)?|revendications?|reivindicaci(?:ó|o)n(?:es)?)"
    r"\s+((?:\d{1,3}(?:\s*(?:,|or|and|to|-|–|bis|à|und|oder|et|ou|a)\s*(?=\d))?)+)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ClaimsStart:
    line: int
    """Index of the line holding the start phrase (or claim 1 when there is no phrase)."""
    skip: int
    """Words of that line that belong to the start phrase."""
    language: str | None
    phrase: str


def match_start(text: str) -> tuple[int, str] | None:
    """(characters of the start phrase, language) when `text` begins with one."""
    for rx, lang in START_PHRASES:
        m = rx.match(text.strip())
        if m:
            return m.end(), lang
    return None


def _words_in(text: str, chars: int) -> int:
    return len(text[:chars].split())


def _ends_block(line: TextLine) -> bool:
    text = line.text.rstrip()
    return text.endswith((".", ":", ";")) or line.short_by > 4


def _claim_number(tokens: Sequence[str]) -> tuple[int, bool, int, str | None] | None:
    """(number, read exactly, tokens used, glued rest) when the tokens start with 'N.'."""
    if not tokens:
        return None
    first = tokens[0].lstrip("-–—_'‘’\"`~.,")
    if len(tokens) >= 2 and len(first) <= 2 and not any(c.isdigit() for c in first):
        second = _claim_number(tokens[1:])
        if second is not None and second[2] == 1:  # "aa 6." : a speck before the number
            return second[0], False, 2, second[3]
    m = _GLUED.match(first)
    if m:
        return int(m[1]), True, 1, m[2]
    if len(tokens) >= 2 and re.fullmatch(r"\d{1,3}", first) and tokens[1] == ".":
        return int(first), True, 2, None
    m = _NUMBER.match(first)
    if m:
        exact = m[1].isdigit() and m[2] == "."
        digits = m[1].translate(_DIGITS)
        if digits.isdigit():
            return int(digits), exact, 1, None
    return None


def find_start(lines: Sequence[TextLine], begin: int = 0) -> ClaimsStart | None:
    """The first claims start phrase at the start of a block, followed by claim 1."""
    for i in range(begin, len(lines)):
        ln = lines[i]
        hit = match_start(ln.text)
        if hit is None:
            continue
        prev = lines[i - 1] if i else None
        block_start = prev is None or ln.gap is None or ln.gap > 1.3 or _ends_block(prev)
        if not block_start:
            continue
        chars, lang = hit
        skip = _words_in(ln.text, chars)
        after = [w.text for w in ln.words[skip:]]
        if not after and i + 1 < len(lines):
            after = [w.text for w in lines[i + 1].words]
        num = _claim_number(after)
        phrase = ln.text[:chars].strip()
        # a phrase that ends in a colon or fills its line is trusted even when OCR lost claim 1's
        # number; split_claims then infers it
        strong = phrase.endswith(":") or len(ln.words) == skip
        if (num is not None and num[0] <= 2) or (strong and after):
            return ClaimsStart(line=i, skip=skip, language=lang, phrase=phrase)
    return _numbered_run(lines, begin)


def _numbered_run(lines: Sequence[TextLine], begin: int) -> ClaimsStart | None:
    """No start phrase: the last '1.' line after which a '2.' line refers to claim 1."""
    found = None
    for i in range(begin, len(lines)):
        num = _claim_number([w.text for w in lines[i].words])
        if num is None or num[0] != 1 or not num[1]:
            continue
        for j in range(i + 1, min(len(lines), i + 80)):
            nxt = _claim_number([w.text for w in lines[j].words])
            if nxt is not None and nxt[0] == 2:
                text = " ".join(ln.text for ln in lines[j : j + 3])
                if REFERENCE.search(text):
                    found = ClaimsStart(line=i, skip=0, language=None, phrase="")
                break
    return found


@dataclass
class ClaimDraft:
    number: int
    lines: list[TextLine] = field(default_factory=list)
    skips: list[int] = field(default_factory=list)
    """Words to leave out at the start of each line (the number, the start phrase)."""
    glued: str | None = None
    """The text glued to the number ("1.A" -> "A"), put back as the first word."""
    inferred: bool = False
    """The number was not read on the page; it follows from the claims around it."""


def split_claims(lines: Sequence[TextLine], start: ClaimsStart) -> tuple[list[ClaimDraft], int]:
    """Claims from the start line on; also how many lines after the start belong to no claim."""
    drafts: list[ClaimDraft] = []
    stray: list[tuple[TextLine, int]] = []
    for i in range(start.line, len(lines)):
        ln = lines[i]
        skip = start.skip if i == start.line else 0
        texts = [w.text for w in ln.words[skip:]]
        if not texts or all(set(t) <= {"*", "•", "-"} for t in texts):
            continue
        last = drafts[-1].number if drafts else 0
        num = _claim_number(texts)
        prev = lines[i - 1] if i > start.line else None
        if num is not None and _accept(num, last, prev, ln, i == start.line):
            value, _, used, glued = num
            drafts.append(ClaimDraft(number=value, lines=[ln], skips=[skip + used], glued=glued))
        elif drafts:
            drafts[-1].lines.append(ln)
            drafts[-1].skips.append(skip)
        else:
            stray.append((ln, skip))
    if stray and (not drafts or drafts[0].number == 2):
        # text between the start phrase and claim 2 is claim 1 whose number OCR lost
        first = ClaimDraft(number=1, lines=[ln for ln, _ in stray], inferred=True)
        first.skips = [s + (1 if i == 0 and _lost_number(ln, s) else 0)
                       for i, (ln, s) in enumerate(stray)]  # fmt: skip
        drafts.insert(0, first)
        stray = []
    return _recover_gaps(drafts), len(stray)


def _recover_gaps(drafts: list[ClaimDraft]) -> list[ClaimDraft]:
    """Claim n followed by claim n+2: claim n+1's number was not legible. It starts at a line of
    claim n that follows a full stop and begins with the remains of a number or after a blank
    line; split there and mark the number as inferred. Otherwise the gap stays for the gate."""
    out: list[ClaimDraft] = []
    for i, d in enumerate(drafts):
        out.append(d)
        nxt = drafts[i + 1] if i + 1 < len(drafts) else None
        if nxt is None or nxt.number != d.number + 2:
            continue
        cut = None
        for k in range(len(d.lines) - 1, 0, -1):
            prev, ln = d.lines[k - 1], d.lines[k]
            if not prev.text.rstrip().endswith("."):
                continue
            if _lost_number(ln, d.skips[k]) or (ln.gap is not None and ln.gap > 1.5):
                cut = k
                break
        if cut is None:
            continue
        ln = d.lines[cut]
        extra = 1 if _lost_number(ln, d.skips[cut]) else 0
        out.append(ClaimDraft(number=d.number + 1, lines=d.lines[cut:],
                              skips=[d.skips[cut] + extra, *d.skips[cut + 1 :]], inferred=True))  # fmt: skip
        d.lines, d.skips = d.lines[:cut], d.skips[:cut]
    return out


def _lost_number(line: TextLine, skip: int) -> bool:
    """The first word is what is left of an unreadable number ('.', 'l,')."""
    words = line.words[skip:]
    return bool(words) and bool(re.fullmatch(r"[\W\dlIi|]{1,3}", words[0].text))


def _accept(
    num: tuple[int, bool, int, str | None],
    last: int,
    prev: TextLine | None,
    line: TextLine,
    at_start: bool,
) -> bool:
    value, exact, _, _ = num
    if not exact and value != last + 1:
        return False
    if not last < value <= last + 5:
        return False
    if at_start or prev is None or last == 0:
        return True
    tail = prev.words[-1].text.lower().strip(",;:()") if prev.words else ""
    if tail in REFERENCE_WORDS:
        return False
    return prev.text.rstrip().endswith(".") or line.gap is None or line.gap > 1.3


def references(text: str) -> tuple[int, ...]:
    """Claim numbers a claim's text refers to ("claim 1", "claims 2 or 3", "claims 1 to 4")."""
    found: set[int] = set()
    for m in REFERENCE.finditer(text):
        body = m[1]
        for a, b in re.findall(r"(\d+)\s*(?:to|-|–|bis|à|a)\s*(\d+)", body):
            lo, hi = int(a), int(b)
            if lo <= hi and hi - lo < 200:
                found.update(range(lo, hi + 1))
        found.update(int(n) for n in re.findall(r"\d+", body))
    return tuple(sorted(found))

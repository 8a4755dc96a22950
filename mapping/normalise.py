"""Normalisers for printed bibliographic values: dates (ST.2), numbers (ST.6), IPC symbols, offices.

Each takes OCR text and returns the normalised value or None; none of them raises on bad text.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
from importlib import resources

MONTHS = {
    # English
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    # French
    "janv": 1, "janvier": 1, "fevr": 2, "fevrier": 2, "mars": 3, "avr": 4, "avril": 4, "mai": 5,
    "juin": 6, "juil": 7, "juillet": 7, "aout": 8, "septembre": 9, "octobre": 10,
    "novembre": 11, "decembre": 12,
    # German
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "marz": 3, "maerz": 3, "juni": 6,
    "juli": 7, "august": 8, "oktober": 10, "okt": 10, "dezember": 12, "dez": 12,
}  # fmt: skip

_ACCENTS = str.maketrans("éèêëûüôöâäàîïç", "eeeeuuooaaaiic")
# OCR confusions inside digit runs
_DIGIT_FIX = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "|": "1",
                            "i": "1", "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "g": "9"})  # fmt: skip


def _year(y: str) -> int:
    n = int(y)
    if len(y) == 2:
        n += 1900 if n >= 30 else 2000
    return n


def _make_date(y: int, m: int, d: int) -> str | None:
    try:
        return dt.date(y, m, d).isoformat()
    except ValueError:
        return None


# Letters OCR confuses in month names ('Noy.' for Nov., 'Dee.' for Dec., 'Jun' for Jan is NOT
# one of them: only look-alike glyphs count).
_MONTH_CONFUSIONS = {("y", "v"), ("v", "y"), ("e", "c"), ("c", "e"), ("n", "u"), ("u", "n"),
                     ("l", "i"), ("i", "l"), ("0", "o"), ("o", "0"), ("rn", "m")}  # fmt: skip


def _month(word: str) -> int | None:
    w = word.lower().rstrip(".").translate(_ACCENTS)
    if w in MONTHS:
        return MONTHS[w]
    if len(w) >= 3 and w[:3] in MONTHS and w[:3] != "mai":
        return MONTHS[w[:3]]
    return _misread_month(w) if len(w) >= 3 else None


def _misread_month(w: str) -> int | None:
    """A month name with one look-alike letter misread, when only one month fits."""
    found = set()
    for name, number in MONTHS.items():
        if len(name) != len(w):
            continue
        diff = [(a, b) for a, b in zip(w, name, strict=True) if a != b]
        if len(diff) == 1 and diff[0] in _MONTH_CONFUSIONS:
            found.add(number)
    return found.pop() if len(found) == 1 else None


_DIGITISH_TOKEN = re.compile(r"(?<![A-Za-z])[0-9OoIlSB]{1,4}(?![A-Za-z])")


def _fix_digit_tokens(text: str) -> str:
    """'3O, 2O18' -> '30, 2018': repair letters inside number tokens that hold a real digit."""
    return _DIGITISH_TOKEN.sub(
        lambda m: fix_digits(m[0]) if any(c.isdigit() for c in m[0]) else m[0], text
    )


def normalise_date(text: str) -> str | None:
    """Any common printed date to ISO 8601: 'Mar. 12, 2019', '18. 11. 74', '12 mars 1962',
    '6. Oktober 1962', '2019-03-12', '1999/03/02', '12.03.2019', '12/03/2019' (numeric dates
    are day first unless the year leads); two-digit years: 30-99 -> 19xx, 00-29 -> 20xx."""
    t = _fix_digit_tokens(text.replace("*", " ").strip())
    # year first: ISO '2019-03-12', Canadian '1999/03/02', '1999.03.02'
    m = re.search(r"\b(\d{4})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})\b", t)
    if m:
        return _make_date(int(m[1]), int(m[3]), int(m[4]))
    # Month-name forms: 'Mar. 12, 2019' / 'March 12 2019'
    m = re.search(r"([A-Za-zÀ-ÿ]{3,10})\.?\s*,?\s*(\d{1,2})\s*[,.]?\s*(\d{4})\b", t)
    if m and (mon := _month(m[1])):
        return _make_date(int(m[3]), mon, int(m[2]))
    # '12 mars 1962', '6. Oktober 1962', '1er janvier 1970', '18 Mar 74'
    m = re.search(r"(\d{1,2})(?:er)?\.?\s*([A-Za-zÀ-ÿ]{3,10})\.?\s*,?\s*(\d{4}|\d{2})\b", t)
    if m and (mon := _month(m[2])):
        return _make_date(_year(m[3]), mon, int(m[1]))
    # numeric day-first: '18. 11. 74', '12.03.2019', '12/03/2019'
    m = re.search(r"\b(\d{1,2})\s*[./-]\s*(\d{1,2})\s*[./-]\s*(\d{4}|\d{2})\b", t)
    if m:
        return _make_date(_year(m[3]), int(m[2]), int(m[1]))
    return None


def fix_digits(text: str) -> str:
    """Undo typical OCR letter-for-digit confusions in a token that should be numeric."""
    return text.translate(_DIGIT_FIX)


_PUBNO = re.compile(
    r"(?:(?<![A-Za-z])(?P<office>[A-Z]{2})[\s-]*)?(?P<number>[0-9OlI][0-9OlI,./\s]{3,16}[0-9OlI])\s*[-]?\s*(?P<kind>[A-Z][0-9Il]?)?(?![A-Za-z0-9])"
)


def parse_publication_number(text: str) -> tuple[str | None, str, str | None] | None:
    """'US 10,231,003 B2' -> ('US', '10231003', 'B2'); ST.6: office and kind split off."""
    t = text.replace("’", "'").strip()
    m = _PUBNO.search(t)
    if not m:
        return None
    number = re.sub(r"[,./\s]", "", fix_digits(m["number"]))
    if not number.isdigit():
        return None
    kind = m["kind"]
    if kind:
        kind = kind[0] + fix_digits(kind[1:])
    return m["office"], number, kind


def parse_barcode(text: str) -> tuple[str, str, str] | None:
    """The machine line printed above US front pages: 'US010231003B2' -> ('US', '10231003', 'B2')."""
    m = re.search(r"\b([A-Z]{2})(\d{6,12})([A-Z]\d?)\b", text.replace(" ", ""))
    if not m:
        return None
    return m[1], m[2].lstrip("0") or "0", m[3]


_APPNO = re.compile(
    r"(?:PCT/)?(?:(?<![A-Za-z])[A-Z]{1,3}[\s/-]?(?=[0-9OlI]))?[0-9OlI][0-9OlI/,.\-\s]*[0-9OlI](?:\s?[A-Z](?![A-Za-z]))?"
)


def normalise_application_number(text: str) -> str | None:
    """The printed application number, cleaned: OCR letter-for-digit confusions repaired,
    spaces kept only inside the office's grouping ('15/947,048', 'P 12 34 567.8')."""
    m = _APPNO.search(text)
    if not m:
        return None
    value = " ".join(_fix_digit_tokens(m[0]).split()).strip(" ,.-/")
    value = re.sub(
        r"(?<=\d)[OlI](?=\d)|(?<=\d)[OlI]$|^[OlI](?=\d)", lambda x: fix_digits(x[0]), value
    )
    return value if sum(c.isdigit() for c in value) >= 4 else None


def application_search_form(printed: str) -> str:
    """Letters and digits only, upper case: '15/947,048' -> '15947048' (for matching)."""
    return re.sub(r"[^0-9A-Z]", "", printed.upper())


def digits_only(text: str) -> str:
    return re.sub(r"\D", "", text)


# IPC: section letter, two-digit class, subclass letter, group/subgroup; OCR mixes 0/O, 1/I, 5/S, 8/B.
_IPC = re.compile(
    r"(?<![A-Za-z0-9])([A-H])\s?[Oo]?([0-9OoIlSB]{2})\s?([A-Z0-9])\s{0,3}([0-9OoIlSB]{1,4})\s?/\s?([0-9OoIlSB]{1,6})"
    r"(?:\s*\(\s*(\d{4})\s*[.,]\s*(\d{2})\s*\))?"
)
_LETTER_FIX = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "6": "G", "2": "Z"})


def find_ipc(text: str) -> list[tuple[str, str | None, tuple[int, int]]]:
    """All IPC symbols in a text as ('G06F 3/00', '2006.01' or None, (start, end))."""
    out = []
    for m in _IPC.finditer(text):
        subclass = m[3].translate(_LETTER_FIX)
        if subclass == "O" and m[3] == "0":
            subclass = "Q"  # 'G060' is G06Q far more often than G06O (not an IPC subclass)
        symbol = f"{m[1]}{fix_digits(m[2])}{subclass} {fix_digits(m[4])}/{fix_digits(m[5])}"
        edition = f"{m[6]}.{m[7]}" if m[6] else None
        out.append((symbol, edition, m.span()))
    return out


@functools.lru_cache(maxsize=1)
def st3_codes() -> dict[str, str]:
    """ST.3 two-letter codes to names, vendored from the ST.96 V6_0 enumeration."""
    with (
        resources.files("mapping")
        .joinpath("data/st3_office_codes.csv")
        .open(encoding="utf-8") as fh
    ):
        return {row["code"]: row["name"] for row in csv.DictReader(fh)}


OFFICE_NAMES = {
    "united states patent": "US", "united states": "US", "u.s. patent": "US",
    "european patent": "EP", "europäisches patentamt": "EP", "office européen": "EP",
    "world intellectual property": "WO", "organisation mondiale": "WO", "pct": "WO",
    "bundesrepublik deutschland": "DE", "deutsches patent": "DE", "deutsches reich": "DE",
    "république française": "FR", "republique francaise": "FR",
    "institut national de la propriété": "FR", "canadian intellectual property": "CA",
    "office de la propriété intellectuelle du canada": "CA", "canada": "CA",
    "japan patent office": "JP", "united kingdom": "GB", "uk patent": "GB",
    "schweizerische eidgenossenschaft": "CH", "österreichisches patentamt": "AT",
}  # fmt: skip


def office_from_text(text: str) -> str | None:
    """The ST.3 code of a printed office name ('RÉPUBLIQUE FRANÇAISE', 'Deutsches Patentamt',
    accents optional) or of a value that is just the code ('(19) DE')."""
    t = " ".join(text.lower().translate(_ACCENTS).split())
    for name, code in OFFICE_NAMES.items():
        if name.translate(_ACCENTS) in t:
            return code
    bare = text.strip().strip("()[]")
    if re.fullmatch(r"[A-Z]{2}", bare) and is_office_code(bare):
        return bare
    return None


def is_office_code(code: str) -> bool:
    return code in st3_codes()


KIND_CODES = re.compile(r"^[A-Z][0-9]?$")

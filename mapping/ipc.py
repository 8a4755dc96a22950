"""IPC (and CPC) symbols from OCR text, with OCR confusions repaired against the IPC subclasses.

Symbols on front pages are often printed in bold italic, which Tesseract reads as `HOAN 21/436`
(H04N), `GO06F` (G06F), `HOSB` (H05B), `G060` (G06Q). A subclass token is matched to the
closest of the ~650 IPC subclasses under an edit distance whose substitution costs are low for
known OCR confusions (O/0, A/4, S/5, I/1, B/8...). The list only chooses between readings: a
well-formed symbol that is not in it (a newer subclass, a CPC `Y02D`) is kept as read.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

import numpy as np

# (OCR character, true character): substitution cost. Anything else costs 1.
_CONFUSION: dict[tuple[str, str], float] = {}
for _pairs, _cost in (
    ("O0 o0 |1 I1 l1 01", 0.2),
    ("D0 Q0 i1 !1 Z2 z2 A4 S5 s5 G6 B8 8B 6G 1I lI 5S 2Z 4A", 0.3),
    ("a4 b6 g9 q9 |I 0Q OQ T7 U0", 0.4),
    ("S8 38 3B L1 h4 CG GC WV VW 0D OD", 0.5),
    ("EF FE MN NM KX XK PF FP HN NH", 0.6),
):
    for _pair in _pairs.split():
        _CONFUSION[(_pair[0], _pair[1])] = _cost
INSERT = 0.6  # a character of the symbol that OCR dropped
DELETE = 0.5  # a character OCR added (often a digit read twice: HOA4N)
MAX_COST = 1.0
AMBIGUOUS = 0.2  # a runner-up this close makes the repair doubtful

_CLEAN = re.compile(r"^[A-HY]\d\d[A-Z]$")
_TO_DIGIT = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "I": "1", "l": "1", "i": "1",
                           "|": "1", "!": "1", "Z": "2", "z": "2", "S": "5", "s": "5", "B": "8",
                           "g": "9", "q": "9", "A": "4", "T": "7", "G": "6", "b": "6"})  # fmt: skip
_DIGITISH = "0-9OoDQIli|!ZzSsBgqATGb"


@functools.lru_cache(maxsize=1)
def subclasses() -> frozenset[str]:
    text = resources.files("mapping").joinpath("data/ipc_subclasses.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _sub_cost(ocr: str, true: str) -> float:
    if ocr == true:
        return 0.0
    if ocr.upper() == true and ocr.isalpha():
        return 0.1
    return _CONFUSION.get((ocr, true), 1.0)


def _distance(token: str, target: str) -> float:
    """The weighted edit distance of one token to one subclass (the definition; `_distances`
    computes the same figures for every subclass at once)."""
    rows, cols = len(token) + 1, len(target) + 1
    prev = [j * INSERT for j in range(cols)]
    for i in range(1, rows):
        cur = [i * DELETE] + [0.0] * (cols - 1)
        for j in range(1, cols):
            cur[j] = min(
                prev[j] + DELETE,
                cur[j - 1] + INSERT,
                prev[j - 1] + _sub_cost(token[i - 1], target[j - 1]),
            )
        prev = cur
    return prev[-1]


@dataclass(frozen=True)
class _Table:
    """The subclasses in sorted order (the tie-break of equal costs), as character indices."""

    names: tuple[str, ...]
    rank: dict[str, int]
    alphabet: str
    chars: dict[int, tuple[np.ndarray, np.ndarray]]
    """Target length -> (positions in `names`, character indices into `alphabet`, one row each)."""


@functools.lru_cache(maxsize=1)
def _table() -> _Table:
    names = tuple(sorted(subclasses()))
    alphabet = "".join(sorted(set("".join(names))))
    index = {c: i for i, c in enumerate(alphabet)}
    chars: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for length in sorted({len(n) for n in names}):
        at = np.array([i for i, n in enumerate(names) if len(n) == length], dtype=np.intp)
        rows = [[index[c] for c in names[i]] for i in at]
        chars[length] = (at, np.array(rows, dtype=np.intp).reshape(len(at), length))
    return _Table(names, {n: i for i, n in enumerate(names)}, alphabet, chars)


@functools.lru_cache(maxsize=512)
def _cost_row(ocr: str) -> np.ndarray:
    """Substitution cost of the OCR character `ocr` for each character of the alphabet."""
    return np.array([_sub_cost(ocr, true) for true in _table().alphabet], dtype=np.float64)


@functools.lru_cache(maxsize=4096)
def _distances(token: str) -> np.ndarray:
    """`_distance(token, name)` for every subclass name in `_table().names` order.

    The same dynamic programme as `_distance`, one cell at a time for all subclasses of a
    length together; the same float operations in the same order, so the figures are equal.
    Independent of the page's context, so cached per token across pages.
    """
    table = _table()
    out = np.empty(len(table.names), dtype=np.float64)
    for length, (at, chars) in table.chars.items():
        n, cols = len(at), length + 1
        prev = [np.full(n, j * INSERT) for j in range(cols)]
        for i in range(1, len(token) + 1):
            sub = _cost_row(token[i - 1])[chars]  # (n, length)
            cur = [np.full(n, i * DELETE)]
            for j in range(1, cols):
                best = np.minimum(prev[j] + DELETE, cur[j - 1] + INSERT)
                cur.append(np.minimum(best, prev[j - 1] + sub[:, j - 1]))
            prev = cur
        out[at] = prev[-1]
    out.flags.writeable = False
    return out


@dataclass(frozen=True)
class Repair:
    subclass: str
    cost: float
    ambiguous: bool = False


@functools.lru_cache(maxsize=4096)
def repair_subclass(token: str, context: frozenset[str] = frozenset()) -> Repair | None:
    """The IPC subclass an OCR token most likely shows: 'HOAN' -> H04N, 'GO06F' -> G06F.

    `context` holds subclasses read elsewhere on the page; among equally close candidates they
    win. None when nothing is close enough and the token is not a well-formed symbol itself.
    """
    known = subclasses()
    upper = token.upper()
    if upper in known or token in known:
        return Repair(upper, 0.0)
    if _CLEAN.match(token) and token[0] == "Y":
        return Repair(token, 0.0)  # CPC's Y section is not in the IPC
    if not 3 <= len(token) <= 6:
        return None
    table = _table()
    costs = _distances(token).copy()
    in_context = [table.rank[sc] for sc in context if sc in table.rank]
    costs[in_context] -= 0.05  # equally close: the page's own subclasses win
    # cheapest first, equal costs in name order (stable sort over the sorted names)
    first, second = np.argsort(costs, kind="stable")[:2]
    best, best_cost, second_cost = table.names[first], float(costs[first]), float(costs[second])
    if best_cost <= MAX_COST:
        return Repair(best, round(max(0.0, best_cost), 2), second_cost - best_cost < AMBIGUOUS)
    if _CLEAN.match(upper):
        return Repair(upper, 0.5)
    return None


_SYMBOL = re.compile(
    rf"(?<![A-Za-z0-9])(?P<sub>[A-Za-z0-9|!]{{3,6}}?)\s?(?P<grp>[{_DIGITISH}]{{1,4}})\s?/\s?"
    rf"(?P<sgrp>[{_DIGITISH}]{{1,6}})(?![A-Za-z0-9])"
    r"(?:\s*\(\s*(?P<ey>\d{4})\s*[.,]\s*(?P<em>\d{2})\s*\))?"
)
# Older spaced forms: "Int. Cl.: A 61 k" (Germany, 1960s-70s), "A 61 k 27/00" (France). A
# subclass followed by digits that do not parse ("G06F 17730": the slash lost) is no symbol.
_SUBCLASS_ONLY = re.compile(
    r"(?<![A-Za-z0-9])(?P<sec>[A-H])\s?(?P<cls>\d\s?\d)\s?(?P<sc>[A-Za-z])\b"
    r"(?:\s*,?\s*(?P<grp>\d{1,4})\s*/\s*(?P<sg>\d{1,6})|(?!\s*[\d/]))"
)


@dataclass(frozen=True)
class Symbol:
    symbol: str
    """`A61K 31/4035` (or `A61K` alone when only the subclass is printed)."""
    edition: str | None
    span: tuple[int, int]
    cost: float
    ambiguous: bool

    @property
    def value(self) -> str:
        return f"{self.symbol} ({self.edition})" if self.edition else self.symbol


def _digits(text: str) -> str | None:
    out = text.translate(_TO_DIGIT)
    return out if out.isdigit() else None


def find_symbols(text: str, context: frozenset[str] = frozenset()) -> list[Symbol]:
    """Every IPC/CPC symbol in a text, in order, repaired where OCR confused characters."""
    out: list[Symbol] = []
    for m in _SYMBOL.finditer(text):
        repair = repair_subclass(m["sub"], context)
        group, subgroup = _digits(m["grp"]), _digits(m["sgrp"])
        if repair is None or group is None or subgroup is None:
            continue
        edition = f"{m['ey']}.{m['em']}" if m["ey"] else None
        symbol = f"{repair.subclass} {int(group)}/{subgroup}"
        out.append(Symbol(symbol, edition, m.span(), repair.cost, repair.ambiguous))
    if out:
        return out
    slashless = _slash_lost(text, context)
    if slashless is not None:
        return [slashless]
    for m in _SUBCLASS_ONLY.finditer(text):
        symbol = f"{m['sec']}{m['cls'].replace(' ', '')}{m['sc'].upper()}"
        if symbol in subclasses():
            if m["grp"]:
                symbol += f" {int(m['grp'])}/{m['sg']}"
            out.append(Symbol(symbol, None, m.span(), 0.3, False))
    return out


_SLASHLESS = re.compile(
    r"(?<![A-Za-z0-9])(?P<sub>[A-Za-z0-9|!]{3,6})\s(?P<num>\d{3,8})\s*"
    r"\(\s*(?P<ey>\d{4})\s*[.,]\s*(?P<em>\d{2})\s*\)"
)
SLASH_LOST = 0.8
"""Extra repair cost when the slash had to be put back: the value is likely right, but the
document goes to review (the confidence ceiling 1 - 0.4 x cost falls below 0.7)."""


def _slash_lost(text: str, context: frozenset[str]) -> Symbol | None:
    """'G06F 17730 (2006.01)': the slash of '17/30' read as 7 (or 1). Put back where it leaves
    a 1-3 digit group and a 2-digit subgroup (the commonest form); only on a line that prints
    an edition, i.e. certainly a symbol line."""
    m = _SLASHLESS.search(text)
    if not m:
        return None
    repair = repair_subclass(m["sub"], context)
    if repair is None:
        return None
    num = m["num"]
    splits = [i for i in range(1, len(num) - 2) if num[i] in "71" and len(num) - i - 1 == 2
              and i <= 3 and num[0] != "0"]  # fmt: skip
    if len(splits) != 1:
        return None
    i = splits[0]
    symbol = f"{repair.subclass} {int(num[:i])}/{num[i + 1 :]}"
    return Symbol(
        symbol, f"{m['ey']}.{m['em']}", m.span(), repair.cost + SLASH_LOST, repair.ambiguous
    )


def clean_subclasses(text: str) -> frozenset[str]:
    """Subclasses read without any repair in a text (the page's own evidence for ties)."""
    return frozenset(m["sub"] for m in _SYMBOL.finditer(text) if m["sub"] in subclasses())


def symbol_confidence(word_confidence: float, symbol: Symbol) -> float:
    """Confidence of a symbol read from words of `word_confidence`.

    Tesseract is unsure of the bold italic type symbols are printed in even when it reads them
    right, while a symbol that parses into a known subclass with clean group digits is strong
    evidence in itself. So the doubt (1 - word confidence) shrinks for a well-formed symbol
    (x0.6) and grows with the cost of the repair that made it one (above a routine 0.5: one
    or two O/0, A/4 swaps), and doubles when another subclass was almost as close; a repair
    of cost c caps the confidence at 1 - 0.4 c.
    """
    factor = 0.6 * (1 + 3 * max(0.0, symbol.cost - 0.5))
    if symbol.ambiguous:
        factor *= 2
    ceiling = 1 - 0.4 * symbol.cost  # a costly repair stays doubtful however clear the print
    return max(0.0, min(ceiling, 1 - (1 - word_confidence) * factor))


def confirm(confidence: float) -> float:
    """A symbol read again elsewhere (a second reading, the CPC list) halves the doubt."""
    return 1 - (1 - confidence) * 0.5

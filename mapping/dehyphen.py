"""Join lines of running text, undoing hyphenation at line ends but keeping real hyphens.

"pro-" at the end of a line and "cess" at the start of the next become "process"; "edge-" and
"forming" stay "edge-forming". Without a dictionary the document itself is the judge: a
`Lexicon` of the words (and hyphenated words) printed inside lines, where no hyphenation
happens. In order: a hyphenated form seen in the document keeps its hyphen; a joined form seen
in the document is joined; two halves that are both words on their own ("take-off") keep the
hyphen; anything else (a syllable break: "communica-tions") is joined. A hyphen before a capital
or a digit ("Kfz-Hersteller", "1-3") is always kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from mapping.model import Token

_CORE = re.compile(r"^\W*(.*?)\W*$")
# Prefixes that keep their hyphen when nothing in the document says otherwise ("non-volatile").
KEEP_PREFIXES = frozenset({"non", "self", "semi", "multi", "cross", "well", "half"})


def _core(text: str) -> str:
    m = _CORE.match(text)
    return (m[1] if m else text).lower()


@dataclass
class Lexicon:
    words: set[str] = field(default_factory=set)
    hyphenated: set[str] = field(default_factory=set)

    @classmethod
    def from_lines(cls, lines: Iterable[Sequence[str]]) -> Lexicon:
        """Learn from every word except the two halves of a word hyphenated at a line end."""
        lex = cls()
        broken = False
        for line in lines:
            if not line:
                continue
            words = list(line)
            if broken:
                words = words[1:]
            broken = _hyphenated(line[-1])
            if broken and words:
                words = words[:-1]
            for text in words:
                lex.add(text)
        return lex

    def add_line(self, line: Sequence[str]) -> None:
        """Learn from one more line on its own (its last word only if it is not hyphenated)."""
        words = list(line)
        if words and _hyphenated(words[-1]):
            words = words[:-1]
        for text in words:
            self.add(text)

    def add(self, text: str) -> None:
        core = _core(text)
        if not core:
            return
        if "-" in core.strip("-"):
            self.hyphenated.add(core)
            self.words.update(p for p in core.split("-") if p)
        else:
            self.words.add(core)


def keeps_hyphen(stem: str, rest: str, lexicon: Lexicon) -> bool:
    """Decide for 'stem-' at a line end followed by 'rest' on the next line."""
    s, r = _core(stem), _core(rest)
    if f"{s}-{r}" in lexicon.hyphenated:
        return True
    if f"{s}{r}" in lexicon.words:
        return False
    last = s.rsplit("-", 1)[-1]
    if last in KEEP_PREFIXES:
        return True
    return len(last) >= 3 and len(r) >= 3 and last in lexicon.words and r in lexicon.words


def join_lines(lines: Sequence[Sequence[Token]], lexicon: Lexicon) -> list[Token]:
    """Concatenate lines of tokens into one run, rejoining words hyphenated at line ends."""
    out: list[Token] = []
    for line in lines:
        tokens = list(line)
        if not tokens:
            continue
        prev = out[-1] if out else None
        first = tokens[0]
        if prev is not None and _hyphenated(prev.text) and first.text[:1].isalnum():
            stem = prev.text[:-1]
            if not (stem[-1:].isalpha() and first.text[:1].islower()):
                joined = prev.text + first.text  # "Kfz-" + "Hersteller", "1-" + "3"
            elif keeps_hyphen(stem, first.text, lexicon):
                joined = prev.text + first.text
            else:
                joined = stem + first.text
            out[-1] = Token(text=joined, confidence=min(prev.confidence, first.confidence))
            tokens = tokens[1:]
        out.extend(tokens)
    return out


def _hyphenated(text: str) -> bool:
    """A word ending in a hyphen after at least one letter ("pro-"), not a dash on its own."""
    return len(text) >= 2 and text.endswith("-") and text[-2].isalnum()

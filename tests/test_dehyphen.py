"""Line-end hyphenation undone, real hyphens kept."""

from __future__ import annotations

from mapping.dehyphen import Lexicon, join_lines, keeps_hyphen
from mapping.model import Token


def toks(*lines: str) -> list[list[Token]]:
    return [[Token(text=t, confidence=0.9) for t in line.split()] for line in lines]


def joined(lex: Lexicon, *lines: str) -> str:
    return " ".join(t.text for t in join_lines(toks(*lines), lex))


def test_syllable_break_is_joined() -> None:
    assert joined(Lexicon(), "the pro-", "cess is") == "the process is"


def test_hyphenated_word_seen_elsewhere_keeps_its_hyphen() -> None:
    lex = Lexicon.from_lines([["the", "edge-forming", "means", "work"]])
    assert joined(lex, "the edge-", "forming means") == "the edge-forming means"


def test_joined_word_seen_elsewhere_is_joined() -> None:
    lex = Lexicon.from_lines([["a", "thermosetting", "resin"], ["the", "and", "so"]])
    assert joined(lex, "a the-", "rmosetting resin") == "a thermosetting resin"


def test_two_real_words_keep_the_hyphen() -> None:
    lex = Lexicon.from_lines([["take", "it", "off", "the", "plates"]])
    assert keeps_hyphen("take", "off", lex)
    assert not keeps_hyphen("communica", "tions", lex)


def test_capital_or_digit_after_the_hyphen_is_kept() -> None:
    assert joined(Lexicon(), "der Kfz-", "Hersteller") == "der Kfz-Hersteller"
    assert joined(Lexicon(), "claims 1-", "3 wherein") == "claims 1-3 wherein"


def test_hyphen_inside_a_line_is_untouched() -> None:
    assert joined(Lexicon(), "pre- and post-processing", "steps") == (
        "pre- and post-processing steps"
    )


def test_dash_alone_is_kept() -> None:
    assert joined(Lexicon(), "the device -", "which works") == "the device - which works"


def test_lexicon_ignores_the_halves_of_a_broken_word() -> None:
    lex = Lexicon.from_lines([["a", "the-"], ["rmosetting", "resin", "and"]])
    assert "rmosetting" not in lex.words and "the" not in lex.words
    assert "resin" in lex.words

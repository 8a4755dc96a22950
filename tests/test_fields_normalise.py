"""Normalisers of printed bibliographic values: dates, numbers, IPC symbols with OCR confusions."""

from __future__ import annotations

import pytest

from mapping import normalise as nz
from mapping.ipc import find_symbols, repair_subclass, subclasses, symbol_confidence


@pytest.mark.parametrize(
    ("printed", "iso"),
    [
        # English (US, GB, CA)
        ("Mar. 12, 2019", "2019-03-12"),
        ("*Mar. 12, 2019", "2019-03-12"),  # terminal-disclaimer star
        ("Sept. 5, 2017", "2017-09-05"),
        ("Dec.5,2017", "2017-12-05"),
        ("Nov. 27,2018", "2018-11-27"),
        ("Oct. 3O, 2O18", "2018-10-30"),  # O read for 0 inside numbers
        ("March 12 2019", "2019-03-12"),
        ("18 Mar 74", "1974-03-18"),
        ("Noy. 14, 2017", "2017-11-14"),  # look-alike letters misread in month names
        ("Dee. 14, 2017", "2017-12-14"),
        # French
        ("12 mars 1962", "1962-03-12"),
        ("1er janvier 1970", "1970-01-01"),
        ("5 févr. 1968", "1968-02-05"),
        ("15 août 1985", "1985-08-15"),
        ("3 décembre 2001", "2001-12-03"),
        # German
        ("6. Oktober 1962", "1962-10-06"),
        ("22. Mai 1970", "1970-05-22"),
        ("1. März 1999", "1999-03-01"),
        ("18. 11. 74", "1974-11-18"),
        ("12.03.2019", "2019-03-12"),
        # year first (ISO, Canadian)
        ("2019-03-12", "2019-03-12"),
        ("1999/03/02", "1999-03-02"),
    ],
)
def test_dates_in_english_french_german_and_numeric_forms(printed: str, iso: str) -> None:
    assert nz.normalise_date(printed) == iso


@pytest.mark.parametrize(
    "text", ["", "Notice: Subject to any disclaimer", "Feb. 30, 2019", "Foo 12"]
)
def test_dates_that_are_not_dates_give_none(text: str) -> None:
    assert nz.normalise_date(text) is None


def test_two_digit_years_pivot_at_1930() -> None:
    assert nz.normalise_date("1. 2. 29") == "2029-02-01"
    assert nz.normalise_date("1. 2. 30") == "1930-02-01"


@pytest.mark.parametrize(
    ("printed", "parsed"),
    [
        ("US 10,231,003 B2", ("US", "10231003", "B2")),
        ("US 9,881,474 B2", ("US", "9881474", "B2")),
        ("US 2018/0227620 Al", ("US", "20180227620", "A1")),  # 'Al' read for A1
        ("DE 24 56 789 A1", ("DE", "2456789", "A1")),
        ("EP 0 123 456 B1", ("EP", "0123456", "B1")),
        ("WO 2019/123456 A1", ("WO", "2019123456", "A1")),
        ("2 123 456", (None, "2123456", None)),
        ("10,127,945 B2", (None, "10127945", "B2")),
    ],
)
def test_publication_numbers_split_per_st6(printed: str, parsed: tuple[object, ...]) -> None:
    assert nz.parse_publication_number(printed) == parsed


def test_machine_readable_number_line() -> None:
    assert nz.parse_barcode("US010231003B2") == ("US", "10231003", "B2")
    assert nz.parse_barcode("Karp et al.") is None


@pytest.mark.parametrize(
    ("printed", "value", "search"),
    [
        ("15/947,048", "15/947,048", "15947048"),
        ("15/947,O48", "15/947,048", "15947048"),
        ("P 12 34 567.8", "P 12 34 567.8", "P12345678"),
        ("PCT/EP2015/054512", "PCT/EP2015/054512", "PCTEP2015054512"),
        ("2,123,456", "2,123,456", "2123456"),
    ],
)
def test_application_numbers_keep_printed_form_and_a_search_form(
    printed: str, value: str, search: str
) -> None:
    assert nz.normalise_application_number(printed) == value
    assert nz.application_search_form(value) == search


def test_application_number_needs_digits() -> None:
    assert nz.normalise_application_number("Appl. No.:") is None
    assert nz.normalise_application_number("12") is None


@pytest.mark.parametrize(
    ("ocr", "symbol"),
    [
        ("GO6F 3/00 (2006.01)", "G06F 3/00 (2006.01)"),
        ("GO06F 3/00 (2006.01)", "G06F 3/00 (2006.01)"),  # a zero read twice
        ("HO4L 29/06", "H04L 29/06"),
        ("HOAN 21/436 (2011.01)", "H04N 21/436 (2011.01)"),  # bold italic 4 read as A
        ("HOA4N 5/232 (2006.01)", "H04N 5/232 (2006.01)"),
        ("HOSB 37/02 (2006.01)", "H05B 37/02 (2006.01)"),
        ("GIOL 17/22", "G10L 17/22"),
        ("G060 20/36", "G06Q 20/36"),  # G06Q with its tail lost
        ("HOAN5/225 (2006.01)", "H04N 5/225 (2006.01)"),  # no space before the group
        ("A61K 31/4035", "A61K 31/4035"),
        ("G06F 03/00", "G06F 3/00"),  # leading zero of the main group
    ],
)
def test_ipc_symbols_repaired_from_ocr_confusions(ocr: str, symbol: str) -> None:
    found = find_symbols(ocr)
    assert [s.value for s in found] == [symbol]


def test_ipc_list_keeps_order_and_editions() -> None:
    text = "CPC ....... HOAN 5/2258 (2013.01); HO4N 5/23245 (2013.01); G06F 9/54"
    assert [s.value for s in find_symbols(text)] == [
        "H04N 5/2258 (2013.01)",
        "H04N 5/23245 (2013.01)",
        "G06F 9/54",
    ]


def test_old_spaced_forms() -> None:
    assert [s.symbol for s in find_symbols("Int. Cl.: A 61 k")] == ["A61K"]
    assert [s.symbol for s in find_symbols("A 61 k 27/00")] == ["A61K 27/00"]


@pytest.mark.parametrize(
    ("printed", "code"),
    [
        ("United States Patent", "US"),
        ("RÉPUBLIQUE FRANÇAISE", "FR"),
        ("REPUBLIQUE FRANCAISE", "FR"),  # accents lost by OCR
        ("BUNDESREPUBLIK DEUTSCHLAND", "DE"),
        ("Deutsches Patentamt", "DE"),
        ("Office de la propriété intellectuelle du Canada", "CA"),
        ("DE", "DE"),
        ("Karp et al.", None),
    ],
)
def test_office_from_printed_name(printed: str, code: str | None) -> None:
    assert nz.office_from_text(printed) == code


def test_clean_symbols_outside_the_ipc_list_are_kept() -> None:
    # CPC's Y section is not in the IPC; a clean reading stands as read
    assert [s.symbol for s in find_symbols("Y02D 30/70")] == ["Y02D 30/70"]


def test_repair_prefers_subclasses_seen_on_the_page() -> None:
    plain = repair_subclass("GOSB")
    assert plain is not None and plain.subclass == "G05B"  # S for 5 is the cheaper confusion
    with_context = repair_subclass("GOSB", frozenset({"G08B"}))
    assert with_context is not None and with_context.subclass in {"G05B", "G08B"}


def test_rubbish_is_not_a_symbol() -> None:
    assert find_symbols("Ceo Moe 2012.01") == []
    assert find_symbols("G06F 17730") == []  # slash lost and no edition: unreadable, not 'G06F'


def test_slash_read_as_seven_is_put_back_but_stays_doubtful() -> None:
    (sym,) = find_symbols("G06F 17730 (2006.01)")
    assert sym.value == "G06F 17/30 (2006.01)"
    assert symbol_confidence(0.99, sym) < 0.7
    assert find_symbols("See application file for complete search history.") == []


def test_subclass_list_is_loaded() -> None:
    known = subclasses()
    assert {"A61K", "G06F", "H04W", "H10K"} <= known
    assert len(known) > 600


def test_symbol_confidence_falls_with_repair_cost() -> None:
    clean = find_symbols("G06F 3/00")[0]
    routine = find_symbols("HOAN 21/436")[0]
    costly = find_symbols("GUB 27/34")[0]
    assert symbol_confidence(0.8, clean) > symbol_confidence(0.8, routine)
    assert symbol_confidence(0.95, costly) < 0.7  # a far-fetched repair goes to review

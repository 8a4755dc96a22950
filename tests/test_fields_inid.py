"""INID marks as OCR prints them, printed labels (EN/FR/DE), and cutting lines into fields."""

from __future__ import annotations

import pytest

from mapping.frontpage import extract_front_page
from mapping.inid import inid_of_mark, label_starts_field, parse_mark, segment_lines, strip_label
from mapping.layout import Line
from ocr.models import Word


@pytest.mark.parametrize(
    ("token", "codes"),
    [
        ("(21)", {"21"}),
        ("[21]", {"21"}),
        ("{22}", {"22"}),
        ("<54>", {"54"}),
        ("21)", {"21"}),
        ("(21", {"21"}),
        ("(2l)", {"21"}),  # l for 1
        ("(5I)", {"51"}),
        ("(SI)", {"51"}),  # S for 5, I for 1
        ("[75]", {"75"}),
        ("(S51)", {"51", "55"}),  # a stray mark read as a character: the label decides
    ],
)
def test_legible_and_misread_marks(token: str, codes: set[str]) -> None:
    mark = parse_mark(token)
    assert mark is not None and set(mark.codes) == codes


def test_mark_glued_to_its_label() -> None:
    mark = parse_mark("(21)Appl.")
    assert mark is not None and mark.codes == {"21"} and mark.rest == "Appl."


@pytest.mark.parametrize("token", ["@", "©", "®", "(@)", "®)"])
def test_circled_numbers_are_marks_of_unknown_code(token: str) -> None:
    mark = parse_mark(token)
    assert mark is not None and mark.codes == frozenset()


def test_damaged_marks_offer_candidates() -> None:
    twelve = parse_mark("a2)")  # '(1' read as 'a'
    assert twelve is not None and "12" in twelve.codes and len(twelve.codes) > 1
    ten = parse_mark("(0)")  # the 1 lost
    assert ten is not None and "10" in ten.codes


@pytest.mark.parametrize("token", ["(US)", "(CA)", "(2013.01)", "Google", "(IL);", "b)", "2018"])
def test_things_that_are_not_marks(token: str) -> None:
    assert parse_mark(token) is None


def test_notice_star_is_a_breaker() -> None:
    mark = parse_mark("(*)")
    assert mark is not None and mark.notice


def test_bare_two_digit_code() -> None:
    mark = parse_mark("21")
    assert mark is not None and not mark.bracketed and mark.codes == {"21"}
    assert parse_mark("77") is None  # not an ST.9 code
    assert inid_of_mark("21") is None  # bare numbers need more evidence
    assert inid_of_mark("(2l)") == "21"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Appl. No.: 15/947,048", "21"),
        ("Aktenzeichen: P 12 34 567.8", "21"),
        ("N° d'enregistrement national : 62 12345", "21"),
        ("Filed: Apr. 6, 2018", "22"),
        ("PCT Filed: Mar. 4, 2015", "22"),
        ("Anmeldetag: 6. Oktober 1962", "22"),
        ("Date de dépôt : 12 mars 1962", "22"),
        ("Date of Patent: Mar. 12, 2019", "45"),
        ("Offenlegungstag: 18. 11. 74", "43"),
        ("Int. Cl.", "51"),
        ("Int. Cl.7 G06F 3/00", "51"),
        ("Internationale Klassifikation: A 61 k", "51"),
        ("Applicant: Google LLC", "71"),
        ("Anmelder: Siemens AG", "71"),
        ("Demandeur : Société X", "71"),
        ("Inventors: Igor Karp", "72"),
        ("Erfinder: Hans Müller", "72"),
        ("Assignee: Google LLC", "73"),
        ("Titulaire : Société X", "73"),
        ("Foreign Application Priority Data", "30"),
        ("Priorität: 12.03.62 V.St.v.Amerika 123456", "30"),
        ("Titre : Procédé de fabrication", "54"),
        ("Date de dépôt/Filing Date: 1999/03/02", "22"),  # Canadian bilingual labels
        ("Cl.Int.6/Int.Cl.6 A61K 31/40", "51"),
        ("Classification internationale (Int. Cl.) : A 61 k 27/00", "51"),
        ("Bezeichnung: Verfahren", "54"),
    ],
)
def test_printed_labels_in_english_french_and_german(text: str, code: str) -> None:
    found, skip = strip_label(text)
    assert found == code and skip > 0


def test_label_under_a_compatible_code() -> None:
    # "(10) Patent No.:" and "(22) PCT Filed:" name the field under another code
    assert strip_label("Patent No.: US 10,231,003 B2", "10")[0] == "11"
    assert strip_label("Inventors: A. Smith", "75")[0] == "72"


def test_label_alone_starts_a_field_only_where_it_cannot_be_running_text() -> None:
    assert label_starts_field("Filed: Apr. 6, 2018") == "22"
    assert label_starts_field("Int. Cl.") == "51"
    assert label_starts_field("1 Appl. No.: 15/299.076") == "21"  # '(21)' damaged to '1'
    assert label_starts_field("12 Claims, 5 Drawing Sheets") is None
    assert label_starts_field("filed on Apr. 5, 2016.") is None  # lower case: running text
    assert label_starts_field("Filed on the same day") is None  # no colon, no value


def test_a_caption_with_one_damaged_letter_starts_its_field() -> None:
    # a 1-bit scan broke the F's bar ('Viled:') and its '(22)' went unread too
    assert label_starts_field("Viled: Apr. 6, 2018") == "22"
    assert label_starts_field("Inventcrs: Igor Karp, Sunnyvale, CA (US)") == "72"
    assert label_starts_field("Field: the invention") is None  # two edits from 'filed'
    assert label_starts_field("Notice: Subject to any disclaimer") is None
    assert label_starts_field("Viled Apr. 6, 2018") is None  # no colon: could be running text


# --- segmentation on synthetic lines ----------------------------------------------------------


def _line(text: str, x: int, y: int, column: int = 0, conf: float = 0.95, h: int = 30) -> Line:
    words, cx = [], x
    for token in text.split():
        width = 18 * len(token)
        words.append(Word(text=token, bbox=(cx, y, cx + width, y + h), confidence=conf))
        cx += width + 15
    return Line(tuple(words), 0, column)


def test_a_date_and_a_party_under_damaged_captions_without_marks() -> None:
    lines = [
        _line("(21) Appl. No.: 15/947,048", 216, 793),
        _line("Viled: Apr. 6, 2018", 283, 846),
        _line("Assignec: Google LLC, Mountain View, CA (US)", 283, 900),
    ]
    fp = extract_front_page(lines)
    assert fp.fields["filing_date"].value == "2018-04-06"
    assert fp.fields["application_number"].value == "15/947,048"
    assert [(p.role, p.name) for p in fp.parties] == [("assignee", "Google LLC")]


def test_values_continue_over_lines_of_their_column() -> None:
    lines = [
        _line("(54) CAMERA DATA ACCESS BASED ON", 300, 500),
        _line("SUBSCRIPTION STATUS", 400, 540),
        _line("(71) Applicant: Google LLC, Mountain View, CA (US)", 300, 620),
    ]
    segs = segment_lines(lines)
    assert [s.code for s in segs] == ["54", "71"]
    assert segs[0].text == "CAMERA DATA ACCESS BASED ON\nSUBSCRIPTION STATUS"


def test_two_columns_read_in_order() -> None:
    lines = [
        _line("(21) Appl. No.: 15/947,048", 300, 1000, column=0),
        _line("(22) Filed: Apr. 6, 2018", 300, 1080, column=0),
        _line("(10) Patent No.: US 10,231,003 B2", 1300, 300, column=1),
        _line("(45) Date of Patent: Mar. 12, 2019", 1300, 360, column=1),
    ]
    fp = extract_front_page(lines)
    assert fp.fields["application_number"].value == "15/947,048"
    assert fp.fields["filing_date"].value == "2018-04-06"
    assert fp.fields["publication_number"].value == "10231003"
    assert fp.fields["kind"].value == "B2"
    assert fp.fields["publication_date"].value == "2019-03-12"


def test_notice_ends_the_field_above() -> None:
    lines = [
        _line("(73) Assignee: Google LLC, Mountain View, CA (US)", 300, 800),
        _line("(*) Notice: Subject to any disclaimer, the term of this", 300, 840),
    ]
    segs = segment_lines(lines)
    assert [s.code for s in segs] == ["73"]
    assert "Notice" not in segs[0].text


def test_margin_code_without_brackets_german_layout() -> None:
    lines = [
        _line("21", 100, 400),  # the code in a margin column, far left of its label
        _line("22", 100, 460),
    ]
    # put each code on the line of its label, as a margin column prints it
    lines = [
        Line(lines[0].words + _line("Aktenzeichen: P 12 34 567.8", 400, 400).words, 0, 0),
        Line(lines[1].words + _line("Anmeldetag: 6. Oktober 1962", 400, 460).words, 0, 0),
    ]
    fp = extract_front_page(lines)
    assert fp.fields["application_number"].value == "P 12 34 567.8"
    assert fp.fields["filing_date"].value == "1962-10-06"


def test_french_labels_without_codes() -> None:
    lines = [
        _line("N° d'enregistrement national : 62 12345", 300, 400),
        _line("Date de dépôt : 12 mars 1962", 300, 460),
    ]
    fp = extract_front_page(lines)
    assert fp.fields["application_number"].value == "62 12345"
    assert fp.fields["filing_date"].value == "1962-03-12"


def test_circled_mark_named_by_its_label() -> None:
    lines = [_line("@ Anmeldetag: 22. Mai 1970", 300, 400)]
    fp = extract_front_page(lines)
    assert fp.fields["filing_date"].value == "1970-05-22"


def test_inline_mark_splits_a_joined_line() -> None:
    lines = [_line("(21) Appl. No.: 15/947,048 (22) Filed: Apr. 6, 2018", 300, 400)]
    fp = extract_front_page(lines)
    assert fp.fields["application_number"].value == "15/947,048"
    assert fp.fields["filing_date"].value == "2018-04-06"


def test_ghost_line_over_a_real_line_is_dropped() -> None:
    real = _line("(51) Int. Cl.", 300, 1000, conf=0.9)
    ghost = _line("5 al ee", 305, 1000, conf=0.4)  # the same print read again as rubbish
    symbol = _line("G06F 21/00 (2013.01)", 400, 1042)
    fp = extract_front_page([real, ghost, symbol])
    assert [f.value for f in fp.ipc] == ["G06F 21/00 (2013.01)"]


def test_priority_claims_are_sequenced() -> None:
    lines = [
        _line("(30) Foreign Application Priority Data", 300, 400),
        _line("Aug. 11, 2016 (EP) ........ 16425086", 340, 440),
        _line("Feb. 17, 2017 (EP) ........ 17425018", 340, 480),
    ]
    fp = extract_front_page(lines)
    assert [(p.country, p.number, p.date) for p in fp.priorities] == [
        ("EP", "16425086", "2016-08-11"),
        ("EP", "17425018", "2017-02-17"),
    ]


def test_bilingual_label_is_skipped_whole() -> None:
    text = "Inventeur/Inventor: SMITH, JOHN, CA"
    code, skip = strip_label(text)
    assert code == "72" and text[skip:] == "SMITH, JOHN, CA"


def test_gutter_found_despite_specks_in_it() -> None:
    from mapping.layout import find_gutter
    from ocr.models import PageOcr

    words = []
    for row in range(30):
        y = 300 + 40 * row
        for block, (x0, x1) in ((1, (300, 1200)), (2, (1300, 2200))):
            step = (x1 - x0) // 4
            for i in range(4):  # four words a line
                box = (x0 + i * step, y, x0 + (i + 1) * step - 10, y + 30)
                words.append(Word(text="word", bbox=box, confidence=0.9, block=block, line=row))
    # a speck read as part of a left-column line reaches into the gutter
    words.append(Word(text="_", bbox=(1190, 900, 1285, 930), confidence=0.1, block=1, line=15))
    page = PageOcr(index=0, width=2548, height=3297, dpi=300, words=tuple(words))
    gutter = find_gutter(page)
    assert gutter is not None and 1200 <= gutter <= 1300


def test_agreeing_prints_raise_confidence() -> None:
    lines = [
        _line("US010231003B2", 1580, 160, column=1, conf=0.8),
        _line("(10) Patent No.: US 10,231,003 B2", 1300, 300, column=1, conf=0.8),
    ]
    fp = extract_front_page(lines)
    number = fp.fields["publication_number"]
    assert number.value == "10231003"
    assert number.source.confidence > 0.9  # 1 - 0.2 x 0.2
    assert not fp.notes


def test_mark_alone_on_its_line_takes_the_value_beside_and_below() -> None:
    lines = [
        _line("(51)", 300, 1692, h=33),
        Line(_line("H04W 40/22 (2009.01)", 420, 1700, h=60).words, 0, 0),  # a taller, merged box
        _line("H04W 52/46 (2009.01)", 420, 1775),
    ]
    fp = extract_front_page(lines)
    assert [f.value for f in fp.ipc] == ["H04W 40/22 (2009.01)", "H04W 52/46 (2009.01)"]


def test_printed_ipc_code_without_symbols_is_noted() -> None:
    fp = extract_front_page([_line("(51) Int. Cl.", 300, 1000)])
    assert [n.rule for n in fp.notes] == ["ipc-missing"]

"""Second readings of the title and of a party's name (mapping.refine) with a stand-in for the
crop reader: what is kept, what is not, and where the kept value says it came from."""

from __future__ import annotations

from mapping.frontpage import POSITION_DOUBT, FrontPage, extract_front_page
from mapping.inid import field_confidence
from mapping.layout import page_lines
from mapping.model import BBox, Field, Party, Provenance
from mapping.refine import refine
from ocr.models import PageOcr, Word
from ocr.reread import PROFILES
from tests.conftest import line_words

THRESHOLD = 0.7
TITLE_BOX: BBox = (282, 336, 730, 382)


class FakeReread:
    """Answers every crop with the same words and records what was asked."""

    def __init__(self, words: list[Word] | None) -> None:
        self.words = words
        self.calls: list[tuple[int, BBox, str]] = []

    def __call__(self, page: int, bbox: BBox, profile: str) -> list[Word] | None:
        self.calls.append((page, bbox, profile))
        return None if self.words is None else list(self.words)


def _title_page(conf: float, weakest: float = 1.0, value: str = "FLEXIBLE PAYM “RVIC FOR TRAVEL AND CREDIT CARDS") -> FrontPage:  # fmt: skip
    fp = FrontPage()
    raw = value.replace(" TRAVEL", "\nTRAVEL")
    fp.fields["title"] = Field(name="title", inid="54", value=value,
                               source=Provenance(page=0, bbox=TITLE_BOX, confidence=conf, raw=raw))  # fmt: skip
    fp.title_weakest = min(weakest, conf)
    return fp


def _reading(conf: float) -> list[Word]:
    """A block reading of the title's crop: the (54) mark caught by the left margin, the two
    title lines, and the top of the (71) line cut by the bottom margin."""
    return [
        *line_words("4)", 222, 338, key=(1, 1, 1), char=10, height=18, conf=0.9),
        *line_words("FLEXIBLE PAYMENT SERVICES FOR", 282, 338, key=(1, 1, 1), char=14,
                    height=18, conf=conf),
        *line_words("TRAVEL AND CREDIT CARDS", 282, 365, key=(1, 1, 2), char=14, height=17,
                    conf=conf),
        *line_words("Aan ee", 290, 384, key=(1, 1, 3), char=14, height=8, conf=0.2),
    ]  # fmt: skip


def test_a_clearly_better_title_reading_is_kept_with_its_own_provenance() -> None:
    fp = _title_page(0.5652)
    reader = FakeReread(_reading(0.93))
    assert refine(fp, reader, THRESHOLD) == 1
    title = fp.fields["title"]
    assert title.value == "FLEXIBLE PAYMENT SERVICES FOR TRAVEL AND CREDIT CARDS"
    assert reader.calls == [(0, TITLE_BOX, "title")]
    kept = [w for w in _reading(0.93) if w.text not in ("4)", "Aan", "ee")]
    assert title.source.page == 0
    assert title.source.raw == "FLEXIBLE PAYMENT SERVICES FOR\nTRAVEL AND CREDIT CARDS"
    assert title.source.confidence == round(field_confidence(kept), 4)
    x0, y0, x1, y1 = title.source.bbox or (0, 0, 0, 0)
    assert (x0, y0) == (282, 338) and y1 == 382 and x1 <= TITLE_BOX[2]


def test_a_title_reading_not_clearly_better_leaves_the_first() -> None:
    fp = _title_page(0.8)
    before = fp.fields["title"]
    reader = FakeReread(_reading(0.85))  # confidence 0.85 < 0.8 + CLEARLY_BETTER
    fp.title_weakest = 0.3
    assert refine(fp, reader, THRESHOLD) == 0
    assert len(reader.calls) == 1
    assert fp.fields["title"] == before


def test_an_unreadable_title_crop_leaves_the_first() -> None:
    fp = _title_page(0.5)
    before = fp.fields["title"]
    # nothing read, a failed or skipped reading, only the (54) mark left of the title's box
    for answer in ([], None, line_words("(54)", 200, 338, key=(1, 1, 1), conf=0.99)):
        reader = FakeReread(answer)
        assert refine(fp, reader, THRESHOLD) == 0
        assert len(reader.calls) == 1
        assert fp.fields["title"] == before


def test_the_same_title_read_again_confirms_it() -> None:
    value = "FLEXIBLE PAYMENT SERVICES FOR TRAVEL AND CREDIT CARDS"
    fp = _title_page(0.6, value=value)
    assert refine(fp, FakeReread(_reading(0.65)), THRESHOLD) == 0
    title = fp.fields["title"]
    assert title.value == value and title.source.bbox == TITLE_BOX
    assert title.source.confidence == round(field_confidence(_reading(0.65)[1:-2]), 4) > 0.6


def test_a_confident_title_is_not_read_again() -> None:
    fp = _title_page(0.95)
    reader = FakeReread(_reading(0.99))
    assert refine(fp, reader, THRESHOLD) == 0
    assert reader.calls == []


def test_one_weak_word_of_a_confident_title_is_read_again() -> None:
    # 'CAMERA DATA AC » BASED ON': the title's confidence stays above the threshold
    fp = _title_page(0.8051, weakest=0.68)
    reader = FakeReread(_reading(0.96))
    assert refine(fp, reader, THRESHOLD) == 1
    assert fp.fields["title"].value.startswith("FLEXIBLE PAYMENT SERVICES")


def test_weakest_title_word_recorded_by_extraction() -> None:
    words = [
        *line_words("(54) CAMERA DATA AC » BASED ON", 216, 336, key=(1, 1, 1), conf=0.96),
        *line_words("SUBSCRIPTION STATUS", 282, 380, key=(1, 1, 2), conf=0.96),
        *line_words("(71) Applicant: Google LLC, Mountain View, CA (US)", 216, 460,
                    key=(2, 1, 1), conf=0.96),
    ]  # fmt: skip
    words = [w.model_copy(update={"confidence": 0.68}) if w.text == "»" else w for w in words]
    page = PageOcr(index=0, width=2480, height=3508, dpi=300.0, words=tuple(words))
    fp = extract_front_page(page_lines(page))
    assert fp.fields["title"].value == "CAMERA DATA AC » BASED ON SUBSCRIPTION STATUS"
    assert fp.fields["title"].source.confidence >= THRESHOLD
    assert fp.title_weakest == 0.68
    assert not fp.title_by_position


def test_a_title_found_by_position_keeps_its_doubt() -> None:
    fp = _title_page(0.5)
    fp.title_by_position = True
    assert refine(fp, FakeReread(_reading(0.95)), THRESHOLD) == 1
    kept = _reading(0.95)[1:-2]
    assert fp.fields["title"].source.confidence == round(
        round(field_confidence(kept), 4) * POSITION_DOUBT, 4
    )


def test_title_profile_reads_a_block() -> None:
    assert PROFILES["title"].psm == 6 and PROFILES["title"].whitelist is None


def test_party_reading_keeps_only_the_words_of_the_first_reading_box() -> None:
    # 'Anthony M. Fadel' (the last letter lost); the crop's margins catch the end of the label
    # ('tors:') on the left and a cut line above
    box: BBox = (398, 567, 809, 630)
    fp = FrontPage()
    fp.parties.append(Party(role="inventor", name="Anthony M. Fadel", kind="person",
                            residence="San Francisco, CA", country="US",
                            source=Provenance(page=0, bbox=box, confidence=0.5761,
                                              raw="Anthony M. Fadel, San Francisco, CA\n(US)")))  # fmt: skip
    words = [
        *line_words("ANAT", 398, 525, key=(1, 1, 1), conf=0.01),
        *line_words("tors:", 339, 571, key=(1, 1, 2), char=8, conf=0.93),
        *line_words("Anthony M. Fadell, San Francisco, CA", 398, 568, key=(1, 1, 2), char=10,
                    conf=0.9),
        *line_words("(US); Yoky Matsuoka, Palo Alto, CA", 398, 594, key=(1, 1, 3), char=10,
                    conf=0.6),
    ]  # fmt: skip
    words = [w.model_copy(update={"confidence": 0.76}) if w.text == "M." else w for w in words]
    reader = FakeReread(words)
    assert refine(fp, reader, THRESHOLD) == 1
    assert reader.calls == [(0, box, "block")]
    party = fp.parties[0]
    assert party.name == "Anthony M. Fadell" and party.country == "US"
    name_words = [w for w in words if w.text in ("Anthony", "M.", "Fadell,")]
    assert party.source.confidence == round(field_confidence(name_words), 4)
    assert party.source.raw == "Anthony M. Fadell, San Francisco, CA\n(US)"
    assert party.source.bbox is not None and party.source.bbox[0] == 398
    assert party.source.bbox[1] == 568 and party.source.bbox[3] <= 630


def _org(role: str, name: str, conf: float, y: int) -> Party:
    box: BBox = (422, y, 1187, y + 75)
    return Party(role=role, name=name, kind="organisation", residence="Stockholm", country="SE",
                 source=Provenance(page=0, bbox=box, confidence=conf, raw=f"{name}, Stockholm (SE)"))  # fmt: skip


def test_readings_that_differ_only_in_spaces_confirm_and_keep_the_page_reading() -> None:
    """A block reading joins the printed "L M" into "LM": it confirms the name, it does not
    replace it, for a weak party and for two prints of one applicant (71/73)."""
    printed, joined = (
        "TELEFONAKTIEBOLAGET L M ERICSSON (PUBL)",
        "TELEFONAKTIEBOLAGET LM ERICSSON (PUBL)",
    )
    words = line_words(f"{joined}, Stockholm (SE)", 422, 592, key=(1, 1, 1), char=18, conf=0.95)
    fp = FrontPage()
    fp.parties.append(_org("applicant", printed, 0.6, 590))
    reader = FakeReread(words)
    assert refine(fp, reader, THRESHOLD) == 0
    assert fp.parties[0].name == printed
    assert fp.parties[0].source.confidence > 0.9  # confirmed by the second reading

    twins = FrontPage()
    twins.parties += [_org("applicant", printed, 0.8, 590), _org("assignee", joined, 0.75, 900)]
    assert refine(twins, FakeReread(None), THRESHOLD) == 0
    assert [p.name for p in twins.parties] == [printed, joined]
    assert [p.source.confidence for p in twins.parties] == [0.8, 0.8]  # each confirms the other


def _lost_first_line_page() -> PageOcr:
    """us_027 as a 1-bit scan reads it: the (54) mark alone on its row, the first title line
    gone and the two others cut to one word each; the column is as wide as the (71) line."""
    words = [
        *line_words("(54)", 216, 335, key=(1, 1, 1), char=14, height=28, conf=0.92),
        *line_words("SYSTE", 282, 363, key=(2, 1, 1), char=14, height=28, conf=0.92),
        *line_words("APPARATUSE", 282, 391, key=(2, 1, 2), char=14, height=28, conf=0.89),
        *line_words("(71) Applicant: Locoroll, Inc., Cupertino, CA (US)", 216, 443,
                    key=(3, 1, 1), char=14, height=28, conf=0.93),
    ]  # fmt: skip
    return PageOcr(index=0, width=1700, height=2200, dpi=200.0, words=tuple(words))


def _region_reading(conf: float) -> list[Word]:
    return [
        *line_words("INTELLIGENT LIGHTING CONTROL", 282, 336, key=(1, 1, 1), char=14, height=28,
                    conf=conf),
        *line_words("SYSTEM AUTOMATED ADJUSTMENT", 282, 364, key=(1, 1, 2), char=14, height=28,
                    conf=conf),
        *line_words("APPARATUSES, SYSTEMS, AND METHODS", 282, 392, key=(1, 1, 3), char=14,
                    height=28, conf=conf),
        *line_words("Applicant:", 282, 440, key=(1, 1, 4), char=14, height=28, conf=0.9),
    ]  # fmt: skip


def test_a_mark_alone_on_its_row_gives_the_title_region() -> None:
    fp = extract_front_page(page_lines(_lost_first_line_page()))
    assert fp.fields["title"].value == "SYSTE APPARATUSE"
    x0, y0, x1, y1 = fp.title_region or (0, 0, 0, 0)
    assert (x0, y0, y1) == (282, 335, 419)  # from the mark's row to the last title word
    assert x1 >= 216 + 14 * 49  # across the column, as wide as the (71) line


def test_a_title_on_its_mark_row_has_no_region() -> None:
    words = [
        *line_words("(54) CAMERA DATA ACCESS BASED ON", 216, 336, key=(1, 1, 1), conf=0.96),
        *line_words("SUBSCRIPTION STATUS", 282, 380, key=(1, 1, 2), conf=0.96),
        *line_words("(71) Applicant: Google LLC, Mountain View, CA (US)", 216, 460,
                    key=(2, 1, 1), conf=0.96),
    ]  # fmt: skip
    page = PageOcr(index=0, width=2480, height=3508, dpi=300.0, words=tuple(words))
    assert extract_front_page(page_lines(page)).title_region is None


def test_a_lost_first_title_line_is_read_from_the_title_region() -> None:
    fp = extract_front_page(page_lines(_lost_first_line_page()))
    region = fp.title_region
    first_conf = fp.fields["title"].source.confidence
    # confident enough, but not clearly more confident than the two words read first
    reading = _region_reading(first_conf + 0.02)
    reader = FakeReread(reading)
    assert refine(fp, reader, THRESHOLD) >= 1
    assert (0, region, "title") in reader.calls
    title = fp.fields["title"]
    assert title.value == (
        "INTELLIGENT LIGHTING CONTROL SYSTEM AUTOMATED ADJUSTMENT APPARATUSES, SYSTEMS, AND METHODS"
    )
    assert title.source.raw is not None and "Applicant" not in title.source.raw
    assert title.source.bbox is not None and title.source.bbox[1] == 336


def test_a_region_reading_without_the_lost_line_or_below_threshold_is_not_kept() -> None:
    fp = extract_front_page(page_lines(_lost_first_line_page()))
    before = fp.fields["title"]
    same_rows = [w for w in _region_reading(0.95) if w.bbox[1] >= 364]
    refine(fp, FakeReread(same_rows), THRESHOLD)  # nothing above the first reading's top
    assert fp.fields["title"].value == before.value

    fp = extract_front_page(page_lines(_lost_first_line_page()))
    refine(fp, FakeReread(_region_reading(0.6)), THRESHOLD)
    assert fp.fields["title"].value == before.value


def _inventor(name: str, conf: float, y: int) -> Party:
    box: BBox = (398, y, 809, y + 55)
    return Party(role="inventor", name=name, kind="person", residence="Danielsville, PA",
                 country="US", source=Provenance(page=0, bbox=box, confidence=conf,
                                                 raw=f"{name}, Danielsville, PA (US);"))  # fmt: skip


def _list_reading(weak: float) -> list[Word]:
    words = [
        *line_words("Jeffrey Kare, Danielsville, PA (US);", 398, 500, key=(1, 1, 1), char=10,
                    conf=0.95),
        *line_words("James P. Steiner, Royersford, PA (US)", 398, 560, key=(1, 1, 2), char=10,
                    conf=0.95),
    ]  # fmt: skip
    return [w.model_copy(update={"confidence": weak}) if w.text == "Kare," else w for w in words]


def test_a_weak_first_party_is_read_again_with_its_whole_list() -> None:
    """Tesseract reads a name better among its neighbours ('Fadell,' against 'Fadel],' in a
    crop of its own lines on a 1-bit page): the crop is the role's list, the first entry counts."""
    fp = FrontPage()
    fp.parties += [_inventor("Jeffrey Kare", 0.6, 500), _inventor("James P. Steiner", 0.9, 560)]
    reader = FakeReread(_list_reading(0.9))
    refine(fp, reader, THRESHOLD)
    assert reader.calls[0] == (0, (398, 500, 809, 615), "block")
    assert fp.parties[0].name == "Jeffrey Kare" and fp.parties[0].source.confidence > 0.9


def test_an_agreeing_reading_with_a_weak_word_does_not_confirm_the_name() -> None:
    # the same doubtful word read twice from the same pixels ('Kare' for 'Karc') is no witness
    fp = FrontPage()
    fp.parties += [_inventor("Jeffrey Kare", 0.6, 500), _inventor("James P. Steiner", 0.9, 560)]
    refine(fp, FakeReread(_list_reading(0.66)), THRESHOLD)
    assert fp.parties[0].source.confidence == 0.6

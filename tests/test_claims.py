"""Where claims begin (English, French, German start phrases), splitting, numbering gaps."""

from __future__ import annotations

import pytest

from mapping.bodytext import page_text_lines
from mapping.claims import find_start, match_start, references, split_claims
from mapping.fulltext import extract_fulltext
from mapping.model import IPDocument, PageInfo
from output_schemas.fulltext_rules import check_claims
from tests.conftest import column, page_of


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("What is claimed is:", "en"),
        ("We claim:", "en"),
        ("I claim:", "en"),
        ("The invention claimed is:", "en"),
        ("CLAIMS", "en"),
        ("Claims", "en"),
        ("CLAI MS", "en"),
        ("Revendications", "fr"),
        ("REVENDICATIONS", "fr"),
        ("Patentansprüche", "de"),
        ("Patentanspriiche", "de"),
        ("Ansprüche", "de"),
    ],
)
def test_start_phrases(text: str, lang: str) -> None:
    hit = match_start(text)
    assert hit is not None and hit[1] == lang


@pytest.mark.parametrize("text", ["The claims of the earlier patent were", "claimed in claim 1",
                                  "We claimed nothing here"])  # fmt: skip
def test_not_start_phrases(text: str) -> None:
    assert match_start(text) is None


def lines_of(texts: list[str], indent: dict[int, int] | None = None) -> list:
    return page_text_lines(page_of(column(texts, indent=indent)))


DESCRIPTION = ["the description ends here with a full sentence.", ""]


def test_claims_split_and_wrapped_references_kept() -> None:
    texts = DESCRIPTION + [
        "What is claimed is:",
        "1. A device comprising a frame.",
        "2. The device according to claim 1, wherein the",
        "frame is made of steel.",
        "3. The device according to claims 1 or",
        "2. wherein the frame is painted.",  # a reference that wrapped, not claim 2 again
        "4. A method of using the device of claim",
        "3.",
    ]
    lines = lines_of(texts)
    start = find_start(lines)
    assert start is not None and start.language == "en"
    drafts, stray = split_claims(lines, start)
    assert [d.number for d in drafts] == [1, 2, 3, 4]
    assert stray == 0
    assert len(drafts[2].lines) == 2 and len(drafts[3].lines) == 2


@pytest.mark.parametrize(
    ("heading", "first", "second"),
    [
        ("Revendications", "1. Dispositif comprenant un cadre.",
         "2. Dispositif selon la revendication 1, dans lequel le cadre est en acier."),
        ("Patentansprüche", "1. Vorrichtung mit einem Rahmen.",
         "2. Vorrichtung nach Anspruch 1, wobei der Rahmen aus Stahl ist."),
    ],
)  # fmt: skip
def test_french_and_german_claims(heading: str, first: str, second: str) -> None:
    texts = [*DESCRIPTION, heading, "", first, "", second]
    page = page_of(column(texts))
    text = extract_fulltext([page], ["text"])
    assert [c.number for c in text.claims] == [1, 2]
    assert text.claims[1].refers_to == (1,)
    assert text.claims[1].text.endswith("Stahl ist.") or text.claims[1].text.endswith("acier.")


def test_numbering_gap_is_an_error_for_the_gate() -> None:
    texts = [*DESCRIPTION, "We claim:", "1. A device comprising a frame.",
             "2. The device of claim 1 made of steel.", "4. The device of claim 2, painted."]  # fmt: skip
    text = extract_fulltext([page_of(column(texts))], ["text"])
    assert [c.number for c in text.claims] == [1, 2, 4]
    doc = IPDocument(doc_id="x", claims=tuple(text.claims),
                     pages=(PageInfo(index=0, kind="claims", words=40, mean_confidence=0.9,
                                     width=2480, height=3508, dpi=300),))  # fmt: skip
    findings = check_claims(doc)
    assert [(f.severity, f.rule) for f in findings] == [("error", "claims-numbering")]
    assert "claim 3 is missing" in findings[0].message
    assert findings[0].path == "claims/2" and findings[0].page == 0


def test_illegible_first_number_is_inferred() -> None:
    texts = [*DESCRIPTION, "What is claimed is:", ". A device comprising a frame.",
             "2. The device of claim 1 made of steel."]  # fmt: skip
    text = extract_fulltext([page_of(column(texts))], ["text"])
    assert [(c.number, c.inferred) for c in text.claims] == [(1, True), (2, False)]
    assert text.claims[0].text == "A device comprising a frame."


def test_ocr_misread_number_accepted_only_where_expected() -> None:
    texts = [*DESCRIPTION, "Claims", "", "l. A device comprising a frame.", "",
             "2. The device of claim 1.", "", "S. The device of claim 2.", ""]  # fmt: skip
    text = extract_fulltext([page_of(column(texts))], ["text"])
    assert [c.number for c in text.claims] == [1, 2]  # "S." is not 3


def test_references() -> None:
    assert references("The device of claim 1, wherein") == (1,)
    assert references("according to claims 1 to 3 or 5") == (1, 2, 3, 5)
    assert references("as claimed in any one of claims 2-4,") == (2, 3, 4)
    assert references("nach Anspruch 2 oder 3") == (2, 3)
    assert references("selon la revendication 4") == (4,)
    assert references("a claim holder of 1999") == ()


def test_claims_in_three_languages_keep_the_first_set() -> None:
    """EP B1 documents print the claims in English, German and French, each on new pages."""
    en = [*DESCRIPTION, "Claims", "", "1. A device comprising a frame.", "",
          "2. The device of claim 1 made of steel."]  # fmt: skip
    de = ["Patentansprüche", "", "1. Vorrichtung mit einem Rahmen.", "",
          "2. Vorrichtung nach Anspruch 1 aus Stahl."]  # fmt: skip
    fr = ["Revendications", "", "1. Dispositif comprenant un cadre.", "",
          "2. Dispositif selon la revendication 1 en acier."]  # fmt: skip
    pages = [page_of(column(t), index=i) for i, t in enumerate([en, de, fr])]
    text = extract_fulltext(pages, ["text"] * 3)
    assert [c.text for c in text.claims] == ["A device comprising a frame.",
                                             "The device of claim 1 made of steel."]  # fmt: skip
    assert [n.rule for n in text.notes] == ["claims-other-language"]
    assert text.page_kinds == {0: "claims", 1: "claims", 2: "claims"}  # page 0: mostly claims

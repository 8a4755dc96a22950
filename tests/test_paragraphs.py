"""Description paragraphs: printed numbers kept, layout numbering otherwise, headings kept."""

from __future__ import annotations

from mapping.bodytext import page_text_lines
from mapping.fulltext import extract_fulltext, numbering_style
from tests.conftest import column, page_of


def desc(texts: list[str], indent: dict[int, int] | None = None) -> list:
    return extract_fulltext([page_of(column(texts, indent=indent))], ["text"]).description


def test_printed_numbers_kept_with_ocr_variants() -> None:
    paras = desc([
        "BACKGROUND",
        "",
        "[0001] The first paragraph starts here and it goes on for a",
        "while before it ends.",
        "",
        "[O0O2] The second paragraph, whose number OCR misread.",
        "",
        "[0003]The third paragraph with its number glued to it.",
    ])  # fmt: skip
    assert [(p.kind, p.number, p.printed) for p in paras] == [
        ("heading", None, False), ("p", "0001", True), ("p", "0002", True), ("p", "0003", True)]  # fmt: skip
    assert (
        paras[1].text
        == "The first paragraph starts here and it goes on for a while before it ends."
    )
    assert paras[3].text.startswith("The third paragraph")


def test_layout_paragraphs_numbered_in_order() -> None:
    texts = [
        "The first paragraph is indented on its first line and runs on over",
        "two lines of the column.",
        "The second paragraph starts after an indent as well, and it also",
        "continues on a second line of the column.",
        "",
        "A third one follows a blank line and is not indented at all.",
    ]
    paras = desc(texts, indent={0: 60, 2: 60})
    assert [(p.number, p.printed) for p in paras] == [("0001", False), ("0002", False),
                                                     ("0003", False)]  # fmt: skip


def test_headings_centred_upper_case_and_wrapped() -> None:
    texts = [
        "CROSS-REFERENCE TO RELATED",
        "APPLICATIONS",
        "",
        "[0001] This application claims priority to an earlier one.",
        "",
        "Technical Field",
        "",
        "[0002] The invention relates to bricks.",
    ]
    paras = desc(texts)
    assert [(p.kind, p.text) for p in paras] == [
        ("heading", "CROSS-REFERENCE TO RELATED APPLICATIONS"),
        ("p", "This application claims priority to an earlier one."),
        ("heading", "Technical Field"),
        ("p", "The invention relates to bricks."),
    ]


def test_numbering_style_detection() -> None:
    bracket = page_text_lines(page_of(column(["[0001] a", "b", "[0002] c"])))
    assert numbering_style(bracket) == "bracket"
    plain = page_text_lines(page_of(column(["Some text (1) with a list", "and more text."])))
    assert numbering_style(plain) == "none"

"""The abstract (57) on the front page, and on a page of its own."""

from __future__ import annotations

from mapping.document import build_document
from tests.conftest import column, page_of

FRONT = [
    (200, 200, "(12) United States Patent"),
    (200, 260, "(10) Patent No.: US 9,999,999 B2"),
    (200, 320, "(45) Date of Patent: Jan. 6, 2015"),
    (200, 380, "(54) BRICK PRESS"),
    (200, 440, "(71) Applicant: Boer B.V."),
    (200, 500, "(21) Appl. No.: 13/648,029"),
    (1300, 200, "(57) ABSTRACT"),
    # a little more than a line's spacing below the heading, as US front pages print it
    (1300, 270, "A press for green bricks moves the mould con-"),
    (1300, 310, "tainers so that an edge forms on the bricks."),
    (1300, 420, "24 Claims, 5 Drawing Sheets"),
]


def test_front_page_abstract_after_a_wider_gap() -> None:
    doc = build_document("x", [page_of(FRONT, width=2550, height=3300)])
    assert [p.text for p in doc.abstract] == [
        "A press for green bricks moves the mould containers so that an edge forms on the bricks."
    ]
    assert doc.abstract[0].source.page == 0 and doc.abstract[0].source.bbox is not None


def test_abstract_on_its_own_page() -> None:
    body = column(["[0001] The description of the press, which moves mould containers.", "",
                   "What is claimed is:", "1. A press moving mould containers."])  # fmt: skip
    last = column(["ABSTRACT", "", "A press moves mould containers so that the bricks get an",
                   "edge."], x=600)  # fmt: skip
    pages = [page_of(body, index=0), page_of(last, index=1)]
    doc = build_document("x", pages)
    assert [p.text for p in doc.abstract] == [
        "A press moves mould containers so that the bricks get an edge."]  # fmt: skip
    assert [p.kind for p in doc.pages] == ["description", "abstract"]
    assert [c.number for c in doc.claims] == [1]

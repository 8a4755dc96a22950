"""The document model: every value keeps where it came from (page, box, OCR confidence)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

BBox = tuple[int, int, int, int]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Provenance(Frozen):
    page: int | None = None
    """0-based page index in the document."""
    bbox: BBox | None = None
    confidence: float = 0.0
    """Mean OCR confidence (0..1) of the words the value was read from."""
    raw: str = ""
    """The text as OCR read it, before normalisation."""


class Field(Frozen):
    """One bibliographic value. `value` is normalised (ISO date, digits-only number...).

    Application numbers keep their printed layout in `value` ("15/947,048", what ST.96's
    ApplicationNumberText carries) and their search form in `normalised` ("15947048").
    """

    name: str
    inid: str
    value: str
    normalised: str | None = None
    source: Provenance = Provenance()


class Party(Frozen):
    """An applicant, inventor, assignee or agent, split from the printed list."""

    role: Literal["applicant", "inventor", "assignee", "agent"]
    name: str
    kind: Literal["person", "organisation"] = "person"
    residence: str | None = None
    country: str | None = None
    source: Provenance = Provenance()


class Priority(Frozen):
    """A priority claim: (31) number, (32) date (ISO), (33) office (ST.3), in printed order."""

    country: str | None = None
    number: str = ""
    date: str | None = None
    source: Provenance = Provenance()


class Token(Frozen):
    text: str
    confidence: float


class Paragraph(Frozen):
    """A paragraph of running text; tokens keep word confidences for ST.96 OCRConfidenceData."""

    number: str | None = None
    printed: bool = False
    """True when `number` was printed on the page ([0012]); False when it was counted from layout."""
    kind: Literal["p", "heading"] = "p"
    tokens: tuple[Token, ...] = ()
    source: Provenance = Provenance()

    @property
    def text(self) -> str:
        return " ".join(t.text for t in self.tokens)


class Claim(Frozen):
    """One numbered claim. `number` is the number printed on the page; references to other
    claims stay in the text and are listed in `refers_to`."""

    number: int
    inferred: bool = False
    """The number was not legible; it was inferred from the claims around it."""
    tokens: tuple[Token, ...] = ()
    refers_to: tuple[int, ...] = ()
    source: Provenance = Provenance()

    @property
    def text(self) -> str:
        return " ".join(t.text for t in self.tokens)


class Note(Frozen):
    """Something the mapping checked and doubts (a cross-check that failed, an unreadable
    symbol) or noticed but could not represent (text it left out): the validation gate reports
    it with its rule and severity, and a `review` note keeps the document out of published/."""

    rule: str
    message: str
    severity: Literal["info", "review"] = "review"
    field: str = ""
    page: int | None = None
    source: Provenance | None = None


PageKind = Literal[
    "front", "abstract", "description", "claims", "drawing", "search-report", "other", "blank"
]


class PageInfo(Frozen):
    index: int
    kind: PageKind
    words: int
    mean_confidence: float
    width: int
    height: int
    dpi: float
    image: str | None = None
    """The page image in the output folder (drawing pages are kept as images, not text)."""


# Single-valued fields and their INID codes (WIPO ST.9). The order is the order of output.
SINGLE_FIELDS: dict[str, str] = {
    "office": "19",
    "publication_number": "11",
    "kind": "13",
    "publication_date": "45",
    "application_number": "21",
    "filing_date": "22",
    "title": "54",
}


class IPDocument(Frozen):
    doc_id: str
    language: str = "en"
    fields: dict[str, Field] = {}
    ipc: tuple[Field, ...] = ()
    cpc: tuple[Field, ...] = ()
    """CPC symbols printed under (52) (JSON only: ST.96 CPC needs data a front page lacks)."""
    parties: tuple[Party, ...] = ()
    priorities: tuple[Priority, ...] = ()
    notes: tuple[Note, ...] = ()
    abstract: tuple[Paragraph, ...] = ()
    description: tuple[Paragraph, ...] = ()
    claims: tuple[Claim, ...] = ()
    pages: tuple[PageInfo, ...] = ()

    def value(self, name: str) -> str | None:
        field = self.fields.get(name)
        return field.value if field else None

    def parties_of(self, role: str) -> list[Party]:
        return [p for p in self.parties if p.role == role]

"""Render ground-truth patent text (bench/fulltext_gt.py) into 300 dpi page images.

Seeded and deterministic: the same document, style and seed give the same pixels. Layouts imitate
the offices' printed documents closely enough to exercise the pipeline: a front page with INID
codes and the abstract under (57), drawing sheets, description pages in one or two columns with
running headers, page numbers, margin or gutter line numbers, printed paragraph numbers,
justified text with hyphenation at line ends (soft hyphens and breaks after real hyphens),
the claims under their start phrase, and a search report. A degraded copy of each page adds
skew, blur, noise and JPEG artefacts.

Fonts: URW Nimbus Roman (Debian fonts-urw-base35, a Times clone) or DejaVu Serif
(fonts-dejavu-core).
"""

from __future__ import annotations

import io
import json
import random
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from bench.fulltext_gt import GtDoc

DPI = 300
FONT_DIRS = (Path("/usr/share/fonts/opentype/urw-base35"), Path("/usr/share/fonts/truetype/dejavu"))
FONTS = {
    "nimbus": ("NimbusRoman-Regular.otf", "NimbusRoman-Bold.otf"),
    "dejavu": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
}
MONTHS = ("Jan.", "Feb.", "Mar.", "Apr.", "May", "Jun.", "Jul.", "Aug.", "Sep.", "Oct.", "Nov.",
          "Dec.")  # fmt: skip


def font_path(name: str) -> Path:
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(f"font {name} not found (install fonts-urw-base35 / fonts-dejavu-core)")


@dataclass
class Block:
    text: str
    section: str  # "description", "claims", "abstract", "front"
    prefix: str = ""  # printed number, e.g. "[0001]" or "1."
    bold_prefix: bool = True
    heading: bool = False
    align: str = "justify"  # justify | left | center
    indent_first: int = 0  # px
    indent: int = 0  # px, all lines
    space_before: int = 0  # blank lines
    new_page: bool = False
    continuation: bool = False  # a sub-clause of the previous claim: no number, own line


@dataclass
class Layout:
    page_size: tuple[int, int]
    margins: tuple[int, int, int, int]  # left, top, right, bottom
    columns: int
    gutter: int
    font_pt: float
    line_pitch: float  # x font size in px
    line_numbers: str | None  # "gutter" | "left" | None
    header: str  # running header text ({page} is replaced)
    header_right: str = ""
    footer_page_number: bool = False
    column_numbers: bool = False  # US grants number their columns at the top
    para_indent: int = 0


@dataclass
class PageRecord:
    kind: str
    words: dict[str, int] = field(default_factory=dict)


class Flow:
    """Lays blocks out into columns and pages; draws running headers, numbers, line numbers."""

    def __init__(self, layout: Layout, font: str, rng: random.Random, hyphenate: float) -> None:
        self.l = layout
        self.rng = rng
        self.hyphenate = hyphenate
        px = layout.font_pt / 72 * DPI
        regular, bold = FONTS[font]
        self.font = ImageFont.truetype(str(font_path(regular)), round(px))
        self.bold = ImageFont.truetype(str(font_path(bold)), round(px))
        self.small = ImageFont.truetype(str(font_path(regular)), round(px * 0.8))
        self.pitch = round(px * layout.line_pitch)
        self.ascent = round(px * 0.8)
        self.pages: list[Image.Image] = []
        self.records: list[PageRecord] = []
        self.column = 0
        self.row = 0
        self.page_rows = 0
        self.column_counter = 0

    # geometry ---------------------------------------------------------------------------------
    @property
    def col_width(self) -> int:
        left, _, right, _ = self.l.margins
        inner = self.l.page_size[0] - left - right
        return (inner - self.l.gutter * (self.l.columns - 1)) // self.l.columns

    def col_x(self, col: int) -> int:
        return self.l.margins[0] + col * (self.col_width + self.l.gutter)

    def rows_per_column(self) -> int:
        _, top, _, bottom = self.l.margins
        return (self.l.page_size[1] - top - bottom) // self.pitch

    def y_of(self, row: int) -> int:
        return self.l.margins[1] + row * self.pitch

    # pages ------------------------------------------------------------------------------------
    def start_page(self) -> None:
        img = Image.new("L", self.l.page_size, 255)
        self.pages.append(img)
        self.records.append(PageRecord(kind="body"))
        self.column = 0
        self.row = 0
        draw = ImageDraw.Draw(img)
        number = len(self.pages)
        w = self.l.page_size[0]
        header = self.l.header.format(page=number)
        if header:
            y = self.l.margins[1] - 3 * self.pitch
            if self.l.header_right:
                draw.text((self.l.margins[0], y), header, font=self.font, fill=0)
                right = self.l.header_right.format(page=number)
                rw = self.font.getlength(right)
                draw.text((w - self.l.margins[2] - rw, y), right, font=self.font, fill=0)
            else:
                hw = self.font.getlength(header)
                draw.text(((w - hw) / 2, y), header, font=self.font, fill=0)
        if self.l.footer_page_number:
            text = str(number)
            tw = self.font.getlength(text)
            y = self.l.page_size[1] - self.l.margins[3] + 2 * self.pitch
            draw.text(((w - tw) / 2, y), text, font=self.font, fill=0)
        if self.l.column_numbers:
            for col in range(self.l.columns):
                self.column_counter += 1
                text = str(self.column_counter)
                cx = self.col_x(col) + self.col_width / 2 - self.font.getlength(text) / 2
                draw.text((cx, self.l.margins[1] - 2 * self.pitch), text, font=self.bold, fill=0)
        rows = self.rows_per_column()
        if self.l.line_numbers == "left":
            for row in range(4, rows, 5):
                text = str(row + 1)
                tw = self.small.getlength(text)
                draw.text((self.l.margins[0] - 60 - tw, self.y_of(row) + 6), text, font=self.small,
                          fill=0)  # fmt: skip
        elif self.l.line_numbers == "gutter" and self.l.columns == 2:
            gx = self.col_x(0) + self.col_width + self.l.gutter / 2
            for row in range(4, rows, 5):
                text = str(row + 1)
                tw = self.small.getlength(text)
                draw.text((gx - tw / 2, self.y_of(row) + 6), text, font=self.small, fill=0)

    def next_column(self) -> None:
        self.column += 1
        self.row = 0
        if self.column >= self.l.columns:
            self.start_page()

    def ensure_room(self, rows: int = 1) -> None:
        if not self.pages:
            self.start_page()
        if self.row + rows > self.rows_per_column():
            self.next_column()

    def count(self, section: str, n: int) -> None:
        rec = self.records[-1]
        rec.words[section] = rec.words.get(section, 0) + n

    # text -------------------------------------------------------------------------------------
    def break_lines(self, words: list[str], width: float, first_width: float) -> list[list[str]]:
        lines: list[list[str]] = [[]]
        space = self.font.getlength(" ")
        used = 0.0
        queue = list(words)
        while queue:
            word = queue.pop(0)
            limit = first_width if len(lines) == 1 else width
            wl = self.font.getlength(word)
            need = wl if not lines[-1] else used + space + wl
            if need <= limit:
                lines[-1].append(word)
                used = need
                continue
            room = limit - used - (space if lines[-1] else 0)
            head, tail = self.split_word(word, room)
            if head:
                lines[-1].append(head)
                queue.insert(0, tail)
            else:
                queue.insert(0, word)
            if not lines[-1]:  # a word longer than the line: put it alone
                lines[-1].append(queue.pop(0))
            lines.append([])
            used = 0.0
        return [ln for ln in lines if ln]

    def split_word(self, word: str, room: float) -> tuple[str, str]:
        """Break a word at the line end: after a real hyphen, or with an added soft hyphen."""
        if room < self.font.getlength("xxx-"):
            return "", word
        hyphens = [m.end() for m in re.finditer(r"(?<=[a-z])-(?=[a-z])", word)]
        for cut in reversed(hyphens):
            if self.font.getlength(word[:cut]) <= room:
                return word[:cut], word[cut:]
        core = re.match(r"^([A-Za-z]{8,})([.,;:)]*)$", word)
        if not core or self.rng.random() > self.hyphenate or not word[0].islower():
            return "", word
        letters = core[1]
        vowels = "aeiouy"
        for cut in range(len(letters) - 3, 2, -1):
            if letters[cut - 1] in vowels and letters[cut] not in vowels:
                head = letters[:cut] + "-"
                if self.font.getlength(head) <= room:
                    return head, word[cut:]
        return "", word

    def draw_line(
        self, words: list[str], x: float, width: float, justify: bool, prefix_bold: int = 0
    ) -> None:
        img = self.pages[-1]
        draw = ImageDraw.Draw(img)
        y = self.y_of(self.row)
        space = self.font.getlength(" ")
        fonts = [self.bold if i < prefix_bold else self.font for i in range(len(words))]
        widths = [f.getlength(w) for f, w in zip(fonts, words, strict=True)]
        gaps = len(words) - 1
        extra = (width - sum(widths) - gaps * space) / gaps if justify and gaps else 0.0
        extra = min(extra, space * 2.5)
        cx = x
        for w, f, wl in zip(words, fonts, widths, strict=True):
            draw.text((cx, y), w, font=f, fill=0)
            cx += wl + space + extra
        self.row += 1

    def place(self, block: Block) -> None:
        if block.new_page and self.pages:
            self.start_page()
        self.ensure_room(1 + block.space_before + (2 if block.heading else 0))
        if self.row > 0:
            self.row += block.space_before
        words = block.text.split()
        prefix = block.prefix.split() if block.prefix else []
        all_words = prefix + words
        width = self.col_width - block.indent
        lines = self.break_lines(all_words, width, width - block.indent_first)
        self.count(block.section, len(words))
        for i, line in enumerate(lines):
            self.ensure_room()
            x = self.col_x(self.column) + block.indent + (block.indent_first if i == 0 else 0)
            w = width - (block.indent_first if i == 0 else 0)
            last = i == len(lines) - 1
            if block.align == "center":
                lw = self.font.getlength(" ".join(line))
                x = self.col_x(self.column) + (self.col_width - lw) / 2
            bold = len(prefix) if i == 0 and block.bold_prefix else 0
            if block.heading:
                bold = len(line)
            self.draw_line(line, x, w, block.align == "justify" and not last, bold)

    def gap(self, rows: int) -> None:
        self.row += rows


# front pages, drawings, search reports -----------------------------------------------------------


def _us_date(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{MONTHS[int(m) - 1]} {int(d)}, {y}"


def _eu_date(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{d}.{m}.{y}"


def _fmt_us_number(doc: GtDoc) -> str:
    n = doc.number
    if len(n) == 11:  # 20180000016 -> 2018/0000016
        return f"US {n[:4]}/{n[4:]} {doc.kind}"
    return f"US {int(n):,} {doc.kind}"


def front_page(doc: GtDoc, font: str, with_abstract: bool) -> tuple[Image.Image, list[Block]]:
    """An INID-coded front page; returns the image and the blocks it holds (for word counts)."""
    layout = Layout(page_size=(2550, 3300) if doc.office == "US" else (2480, 3508),
                    margins=(170, 200, 170, 200), columns=2, gutter=110, font_pt=9.5,
                    line_pitch=1.22, line_numbers=None, header="")  # fmt: skip
    flow = Flow(layout, font, random.Random(1), hyphenate=0.0)
    flow.start_page()
    flow.records[-1].kind = "front"
    blocks: list[Block] = []

    def put(text: str, **kw: object) -> None:
        b = Block(text=text, section="front", align="left", **kw)  # type: ignore[arg-type]
        blocks.append(b)
        flow.place(b)

    if doc.office == "US":
        if doc.kind.startswith("B"):
            put("(12) United States Patent")
            put(f"(10) Patent No.: {_fmt_us_number(doc)}")
            put(f"(45) Date of Patent: {_us_date(doc.pub_date)}")
        else:
            put("(19) United States")
            put("(12) Patent Application Publication")
            put(f"(10) Pub. No.: {_fmt_us_number(doc)}")
            put(f"(43) Pub. Date: {_us_date(doc.pub_date)}")
        put(f"(54) {doc.title.upper()}", space_before=1)
        if doc.applicants:
            put(f"(71) Applicant: {doc.applicants[0]}", space_before=1)
        if doc.inventors:
            put(f"(72) Inventors: {'; '.join(doc.inventors)}", space_before=1)
        put(f"(21) Appl. No.: {doc.app_number[:2]}/{doc.app_number[2:5]},{doc.app_number[5:]}",
            space_before=1)  # fmt: skip
        put(f"(22) Filed: {_us_date(doc.filing_date)}", space_before=1)
        if doc.ipc:
            put("(51) Int. Cl.", space_before=1)
            for sym in doc.ipc:
                put(f"{sym} (2006.01)")
    elif doc.office == "EP":
        put("(19) European Patent Office")
        put(f"(11) EP {doc.number[0]} {doc.number[1:4]} {doc.number[4:]} {doc.kind}")
        put("(12) EUROPEAN PATENT APPLICATION", space_before=1)
        put(f"(43) Date of publication: {_eu_date(doc.pub_date)}", space_before=1)
        put(f"(21) Application number: {doc.app_number}", space_before=1)
        put(f"(22) Date of filing: {_eu_date(doc.filing_date)}", space_before=1)
        put(f"(51) Int Cl.7: {', '.join(doc.ipc)}", space_before=1)
        put(f"(71) Applicant: {doc.applicants[0]}", space_before=1)
        if doc.inventors:
            put(f"(72) Inventor: {'; '.join(doc.inventors)}", space_before=1)
        put(f"(54) {doc.title}", space_before=1)
    else:
        put("(19) World Intellectual Property Organization International Bureau")
        put(f"(43) International Publication Date {_eu_date(doc.pub_date)}", space_before=1)
        put(f"(10) International Publication Number WO {doc.number} {doc.kind}", space_before=1)
        put(f"(21) International Application Number: {doc.app_number}", space_before=1)
        put(f"(22) International Filing Date: {_eu_date(doc.filing_date)}", space_before=1)
        put(f"(51) International Patent Classification: {', '.join(doc.ipc)}", space_before=1)
        put(f"(71) Applicant: {doc.applicants[0]}", space_before=1)
        if doc.inventors:
            put(f"(72) Inventors: {'; '.join(doc.inventors[:3])}", space_before=1)
        put(f"(54) Title: {doc.title.upper()}", space_before=1)
    if with_abstract:
        flow.next_column()
        heading = Block(text="(57) ABSTRACT", section="front", align="left")
        flow.place(heading)
        for para in doc.abstract:
            b = Block(text=para, section="abstract", indent_first=60)
            blocks.append(b)
            flow.place(b)
    return flow.pages[0], blocks


def drawing_sheet(doc: GtDoc, sheet: int, sheets: int, rng: random.Random, size: tuple[int, int],
                  font: str) -> Image.Image:  # fmt: skip
    """Line art: boxes, circles and leader lines with reference numerals, and a figure label."""
    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    f = ImageFont.truetype(str(font_path(FONTS[font][0])), 42)
    big = ImageFont.truetype(str(font_path(FONTS[font][1])), 70)
    w, h = size
    if doc.office == "US":
        head = f"U.S. Patent  {_us_date(doc.pub_date)}  Sheet {sheet} of {sheets}  {_fmt_us_number(doc)[3:]}"
        draw.text((170, 120), head, font=f, fill=0)
    for fig in range(2):
        top = 300 + fig * (h - 400) // 2
        numeral = 10
        boxes = []
        for _ in range(rng.randint(3, 5)):
            x0 = rng.randint(250, w - 900)
            y0 = rng.randint(top + 100, top + (h - 400) // 2 - 600)
            x1, y1 = x0 + rng.randint(300, 700), y0 + rng.randint(150, 400)
            if rng.random() < 0.3:
                draw.ellipse((x0, y0, x1, y1), outline=0, width=5)
            else:
                draw.rectangle((x0, y0, x1, y1), outline=0, width=5)
            boxes.append((x0, y0, x1, y1))
            draw.line((x1, y0, x1 + 90, y0 - 70), fill=0, width=3)
            draw.text((x1 + 100, y0 - 110), str(numeral), font=f, fill=0)
            numeral += 2
        for a, b in zip(boxes, boxes[1:], strict=False):
            draw.line(((a[0] + a[2]) // 2, a[3], (b[0] + b[2]) // 2, b[1]), fill=0, width=4)
        label = f"FIG. {2 * (sheet - 1) + fig + 1}"
        draw.text((w // 2 - 120, top + (h - 400) // 2 - 250), label, font=big, fill=0)
    return img


def search_report(doc: GtDoc, size: tuple[int, int], font: str) -> Image.Image:
    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    f = ImageFont.truetype(str(font_path(FONTS[font][0])), 40)
    b = ImageFont.truetype(str(font_path(FONTS[font][1])), 52)
    title = "INTERNATIONAL SEARCH REPORT" if doc.office == "WO" else "EUROPEAN SEARCH REPORT"
    draw.text((200, 200), title, font=b, fill=0)
    draw.text((200, 300), f"Application Number {doc.app_number}", font=f, fill=0)
    x0, x1, x2, x3 = 200, 420, 1900, size[0] - 200
    y = 450
    draw.rectangle((x0, y, x3, y + 2200), outline=0, width=4)
    draw.text((x0 + 20, y + 20), "Category", font=f, fill=0)
    draw.text((x1 + 20, y + 20), "Citation of document, with indication, where appropriate,",
              font=f, fill=0)  # fmt: skip
    draw.text((x1 + 20, y + 70), "of relevant passages", font=f, fill=0)
    draw.text((x2 + 20, y + 20), "Relevant", font=f, fill=0)
    draw.text((x2 + 20, y + 70), "to claim", font=f, fill=0)
    draw.line((x0, y + 140, x3, y + 140), fill=0, width=3)
    for x in (x1, x2):
        draw.line((x, y, x, y + 2200), fill=0, width=3)
    cites = doc.citations or ["US 8233667 B2 (SMITH) 31 July 2012", "US 2003156739 A1 (HINTON)"]
    for i, cite in enumerate(cites[:8]):
        yy = y + 180 + i * 160
        draw.text((x0 + 60, yy), "X" if i % 2 == 0 else "A", font=f, fill=0)
        draw.text((x1 + 20, yy), cite[:60], font=f, fill=0)
        draw.text((x2 + 40, yy), "1-10", font=f, fill=0)
    draw.text((200, y + 2300), "The present search report has been drawn up for all claims",
              font=f, fill=0)  # fmt: skip
    return img


# documents ---------------------------------------------------------------------------------------


def layout_for(doc: GtDoc, style: str) -> Layout:
    if style == "us-grant":
        return Layout(page_size=(2550, 3300), margins=(170, 330, 170, 200), columns=2, gutter=150,
                      font_pt=9.5, line_pitch=1.2, line_numbers="gutter",
                      header=f"{_fmt_us_number(doc)}", column_numbers=True, para_indent=60)  # fmt: skip
    if style == "us-app":
        return Layout(page_size=(2550, 3300), margins=(170, 300, 170, 200), columns=2, gutter=110,
                      font_pt=9.5, line_pitch=1.2, line_numbers=None,
                      header=_fmt_us_number(doc), header_right=_us_date(doc.pub_date),
                      footer_page_number=True)  # fmt: skip
    if style == "ep":
        return Layout(page_size=(2480, 3508), margins=(330, 330, 250, 300), columns=1, gutter=0,
                      font_pt=11, line_pitch=1.45, line_numbers="left",
                      header=f"EP {doc.number[0]} {doc.number[1:4]} {doc.number[4:]} {doc.kind}",
                      footer_page_number=True)  # fmt: skip
    return Layout(page_size=(2480, 3508), margins=(300, 330, 250, 300), columns=1, gutter=0,
                  font_pt=11, line_pitch=1.5, line_numbers=None,
                  header=f"WO {doc.number}    PCT/{doc.app_number[4:]}", footer_page_number=True)  # fmt: skip


def body_blocks(doc: GtDoc, style: str, abstract_page: bool) -> list[Block]:
    blocks: list[Block] = []
    numbered = doc.numbered_paragraphs
    first = True
    for para in doc.description:
        if para.heading:
            blocks.append(Block(text=para.text, section="description", heading=True,
                                align="center" if style == "us-grant" else "left",
                                space_before=1, new_page=first and style in {"ep", "wo"}))  # fmt: skip
        else:
            prefix = f"[{para.number}]" if numbered and para.number else ""
            blocks.append(Block(text=para.text, section="description", prefix=prefix,
                                indent_first=60 if style == "us-grant" else 0,
                                space_before=0 if style == "us-grant" else 1,
                                new_page=first and style in {"ep", "wo"}))  # fmt: skip
        first = False
    if style in {"us-grant", "us-app"}:
        blocks.append(Block(text="What is claimed is:", section="claims", align="left",
                            space_before=1, heading=False))  # fmt: skip
    else:
        blocks.append(Block(text="Claims" if style == "ep" else "CLAIMS", section="claims",
                            heading=True, align="center", new_page=True))  # fmt: skip
    for i, lines in enumerate(doc.claims, 1):
        blocks.append(Block(text=lines[0], section="claims", prefix=f"{i}.", bold_prefix=False,
                            indent_first=60 if style.startswith("us") else 0,
                            space_before=0 if style == "us-grant" else 1))  # fmt: skip
        for sub in lines[1:]:
            blocks.append(Block(text=sub, section="claims", indent=60, continuation=True))
    if abstract_page:
        blocks.append(Block(text="ABSTRACT", section="abstract", heading=True, align="center",
                            new_page=True))  # fmt: skip
        for para in doc.abstract:
            blocks.append(Block(text=para, section="abstract", indent_first=60, space_before=1))
    return blocks


@dataclass
class Rendered:
    doc_id: str
    style: str
    font: str
    pages: list[str]  # file names
    kinds: list[str]  # ground-truth page kinds


def render_document(doc: GtDoc, out: Path, *, seed: int, font: str = "nimbus",
                    abstract_page: bool = False) -> Rendered:  # fmt: skip
    rng = random.Random(seed)
    style = doc.style
    layout = layout_for(doc, style)
    images: list[Image.Image] = []
    kinds: list[str] = []
    front, _ = front_page(doc, font, with_abstract=not abstract_page)
    images.append(front)
    kinds.append("front")
    sheets = 2
    if style in {"us-grant", "us-app"}:
        for s in range(1, sheets + 1):
            images.append(drawing_sheet(doc, s, sheets, rng, layout.page_size, font))
            kinds.append("drawing")
    flow = Flow(layout, font, rng, hyphenate=0.6)
    for block in body_blocks(doc, style, abstract_page):
        flow.place(block)
    for img, rec in zip(flow.pages, flow.records, strict=True):
        images.append(img)
        kinds.append(max(rec.words, key=lambda k: rec.words[k]) if rec.words else "blank")
    if style in {"ep", "wo"}:
        for s in range(1, sheets + 1):
            images.append(drawing_sheet(doc, s, sheets, rng, layout.page_size, font))
            kinds.append("drawing")
        images.append(search_report(doc, layout.page_size, font))
        kinds.append("search-report")
    out.mkdir(parents=True, exist_ok=True)
    names = []
    for i, img in enumerate(images, 1):
        name = f"page-{i:04d}.png"
        img.save(out / name, dpi=(DPI, DPI), optimize=False)
        names.append(name)
    rendered = Rendered(doc_id=doc.doc_id, style=style, font=font, pages=names, kinds=kinds)
    (out.parent / f"{doc.doc_id}.pages.json").write_text(json.dumps(asdict(rendered), indent=1))
    return rendered


def degrade(path_in: Path, path_out: Path, seed: int, heavy: bool = False) -> None:
    """A seeded 'photocopied and scanned' copy: small skew, blur, noise, speckle, JPEG artefacts
    (`heavy`: a worse copy, about twice as much of each)."""
    rng = np.random.default_rng(seed)
    img = Image.open(path_in).convert("L")
    angle = float(rng.uniform(-1.2, 1.2) if heavy else rng.uniform(-0.6, 0.6))
    img = img.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255, expand=False)
    radius = float(rng.uniform(1.1, 1.4) if heavy else rng.uniform(0.6, 1.0))
    img = img.filter(ImageFilter.GaussianBlur(radius=radius))
    arr = np.asarray(img, dtype=np.float32)
    arr = (70 if heavy else 40) + arr * (170 / 255 if heavy else 200 / 255)  # grey paper, grey ink
    arr += rng.normal(0, 28 if heavy else 14, arr.shape)
    speckle = rng.random(arr.shape) < (0.004 if heavy else 0.0015)
    arr[speckle] = rng.choice([0, 255], size=int(speckle.sum()))
    out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    out.save(buf, format="JPEG", quality=25 if heavy else 45)
    buf.seek(0)
    Image.open(buf).save(path_out, dpi=(DPI, DPI))

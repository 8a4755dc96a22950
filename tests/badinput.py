"""A corpus of bad, odd and hostile scan inputs, generated at test time (nothing large is committed).

`build_corpus(inbox, outside)` writes the files into `inbox` (plus one file in `outside`, the
target of a symbolic link that must not be followed) and returns what each must end as:
`Expect(status, reason)`, where `reason` is the quarantine reason code or a word that the review
reasons must contain. Every file is made here from PIL drawings or hand-written bytes.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

# Small pages (2.1 x 2.4 in at 300 dpi; not letter- or A4-shaped, so no resolution is guessed from
# the paper size): Tesseract reads each in well under a second.
PAGE = (640, 720)


@dataclass(frozen=True)
class Expect:
    status: str  # "published", "review", "quarantine", or "processed" (published or review)
    reason: str | None = None
    doc_id: str | None = None
    """The document id, when the file name is not a plain id already."""


def _text_page(text: str = "Sample page 12345", mode: str = "L") -> Image.Image:
    img = Image.new("L", PAGE, 255)
    draw = ImageDraw.Draw(img)
    for i in range(6):
        draw.text((40, 60 + 40 * i), f"{text} line {i + 1}", fill=0, font_size=28)
    return img.convert(mode) if mode != "L" else img


def _png_bytes(img: Image.Image, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", **kw)
    return buf.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A ~100-byte PNG whose header declares width x height 1-bit pixels (450 MB decoded)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def png_text_bomb() -> bytes:
    """A valid small PNG with a zTXt chunk that inflates to 64 MB of text."""
    good = _png_bytes(_text_page())
    body = zlib.compress(b"A" * (64 << 20), 9)
    ztxt = _png_chunk(b"zTXt", b"Comment\x00\x00" + body)
    return good[:33] + ztxt + good[33:]  # right after the 8-byte signature + 25-byte IHDR


def tiff_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A little-endian TIFF whose one IFD declares width x height 1-bit pixels, with 8 data bytes."""
    entries = [
        (256, 4, 1, width),  # ImageWidth (LONG)
        (257, 4, 1, height),  # ImageLength
        (258, 3, 1, 1),  # BitsPerSample
        (259, 3, 1, 1),  # Compression: none
        (262, 3, 1, 0),  # Photometric: WhiteIsZero
        (273, 4, 1, 8),  # StripOffsets
        (277, 3, 1, 1),  # SamplesPerPixel
        (278, 4, 1, height),  # RowsPerStrip
        (279, 4, 1, 8),  # StripByteCounts (a lie: far fewer bytes than declared)
    ]
    ifd_offset = 16
    out = b"II*\x00" + struct.pack("<I", ifd_offset) + b"\x00" * 8
    out += struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        packed = struct.pack("<HI", value, 0)[:4] if typ == 3 else struct.pack("<I", value)
        out += struct.pack("<HHI", tag, typ, count) + packed
    return out + struct.pack("<I", 0)


def tiff_ifd_loop() -> bytes:
    """A 2-page TIFF whose second IFD points back to the first (an endless page chain)."""
    buf = io.BytesIO()
    pages = [_text_page("loop").convert("1") for _ in range(2)]
    pages[0].save(buf, "TIFF", save_all=True, append_images=pages[1:], compression="raw")
    data = bytearray(buf.getvalue())
    first = struct.unpack_from("<I", data, 4)[0]
    n = struct.unpack_from("<H", data, first)[0]
    second = struct.unpack_from("<I", data, first + 2 + 12 * n)[0]
    m = struct.unpack_from("<H", data, second)[0]
    struct.pack_into("<I", data, second + 2 + 12 * m, first)
    return bytes(data)


def many_page_tiff(pages: int) -> bytes:
    """A multi-page bitonal TIFF of tiny pages (2,000 pages in ~400 KB)."""
    frame = Image.new("1", (32, 32), 1)
    buf = io.BytesIO()
    frame.save(buf, "TIFF", save_all=True, append_images=[frame] * (pages - 1), compression="raw")
    return buf.getvalue()


def _pdf(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    """A PDF with a correct xref table from numbered object bodies (1-based)."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer_extra,
        xref,
    )
    return bytes(out)


def pdf_page(width_pt: float = 144, height_pt: float = 187) -> bytes:
    content = b"BT /F1 18 Tf 10 150 Td (Sample page 12345) Tj ET"
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.0f %.0f] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>" % (width_pt, height_pt),
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def pdf_no_pages() -> bytes:
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])


_PDF_PAD = bytes.fromhex("28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a")


def _rc4(key: bytes, data: bytes) -> bytes:
    box = list(range(256))
    j = 0
    for i in range(256):
        j = (j + box[i] + key[i % len(key)]) % 256
        box[i], box[j] = box[j], box[i]
    out, i, j = bytearray(), 0, 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + box[i]) % 256
        box[i], box[j] = box[j], box[i]
        out.append(byte ^ box[(box[i] + box[j]) % 256])
    return bytes(out)


def pdf_encrypted(user_password: bytes = b"secret", owner_password: bytes = b"owner") -> bytes:
    """A real password-protected PDF: Standard security handler revision 2 (RC4, 40-bit key),
    computed as in ISO 32000-1 section 7.6.3 (algorithms 1 to 4). It opens with `user_password`
    and with nothing else."""
    import hashlib

    def pad(pw: bytes) -> bytes:
        return (pw + _PDF_PAD)[:32]

    doc_id = bytes.fromhex("0123456789abcdef0123456789abcdef")
    perms = -44
    owner = _rc4(hashlib.md5(pad(owner_password)).digest()[:5], pad(user_password))
    key = hashlib.md5(pad(user_password) + owner + struct.pack("<i", perms) + doc_id).digest()[:5]
    user = _rc4(key, _PDF_PAD)
    content = b"BT /F1 18 Tf 10 150 Td (Secret page 12345) Tj ET"
    object_key = hashlib.md5(key + struct.pack("<I", 4)[:3] + b"\x00\x00").digest()[:10]
    stream = _rc4(object_key, content)
    encrypt = (
        b"/Encrypt 6 0 R /ID [<" + doc_id.hex().encode() + b"><" + doc_id.hex().encode() + b">] "
    )
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 144 187] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P %d /O <%s> /U <%s> >>"
            % (perms, owner.hex().encode(), user.hex().encode()),
        ],
        trailer_extra=encrypt,
    )


def _jpeg(img: Image.Image, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85, **kw)
    return buf.getvalue()


def jpeg_exif_rotated() -> bytes:
    """Pixels stored turned 90 degrees clockwise with EXIF Orientation 6 (rotate back on display)."""
    img = _text_page("Rotated").transpose(Image.Transpose.ROTATE_270)
    exif = Image.Exif()
    exif[0x0112] = 6
    return _jpeg(img, exif=exif.tobytes(), dpi=(300, 300))


def jpeg_huge_header() -> bytes:
    """A JPEG whose SOF0 header claims 65,000 x 65,000 pixels."""
    data = bytearray(_jpeg(_text_page()))
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, 65_000, 65_000)
    return bytes(data)


def gray16_png() -> bytes:
    img = _text_page().convert("I").point(lambda v: v * 257)
    return _png_bytes(img.convert("I;16"), dpi=(300, 300))


def cmyk_jpeg() -> bytes:
    return _jpeg(_text_page().convert("CMYK"), dpi=(300, 300))


def drawing_only() -> bytes:
    img = Image.new("L", PAGE, 255)
    draw = ImageDraw.Draw(img)
    draw.rectangle((60, 60, 540, 720), outline=0, width=4)
    draw.ellipse((150, 200, 450, 500), outline=0, width=3)
    draw.line((60, 60, 540, 720), fill=0, width=3)
    draw.line((100, 650, 500, 650), fill=0, width=2)
    return _png_bytes(img, dpi=(300, 300))


def build_corpus(inbox: Path, outside: Path) -> dict[str, Expect]:
    """Write the corpus; keys are the names in `inbox` (str; one is a surrogate-escaped name)."""
    inbox.mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    expect: dict[str, Expect] = {}

    def put(name: str, data: bytes, exp: Expect) -> None:
        (inbox / name).write_bytes(data)
        expect[name] = exp

    good_png = _png_bytes(_text_page(), dpi=(300, 300))
    good_jpg = _jpeg(_text_page(), dpi=(300, 300))
    good_tif = io.BytesIO()
    _text_page().save(good_tif, "TIFF", compression="tiff_lzw", dpi=(300, 300))

    # unreadable or unsupported files
    put("empty.png", b"", Expect("quarantine", "empty-file"))
    put("truncated.png", good_png[: len(good_png) // 2], Expect("quarantine", "corrupt-image"))
    put("truncated.jpg", good_jpg[: len(good_jpg) // 3], Expect("quarantine", "corrupt-image"))
    put(
        "truncated.tif",
        good_tif.getvalue()[: len(good_tif.getvalue()) // 3],
        Expect("quarantine", "corrupt-image"),
    )
    put("truncated.pdf", pdf_page()[:200], Expect("quarantine", "corrupt-pdf"))
    put("text-file.tif", b"This is a text file, not a TIFF.\n" * 20, Expect("quarantine", "unsupported-format"))  # fmt: skip
    gif = io.BytesIO()
    _text_page().convert("P").save(gif, "GIF")
    put("page.gif", gif.getvalue(), Expect("quarantine", "unsupported-format"))
    put("word-document.pdf", b"PK\x03\x04" + b"\x00" * 200, Expect("quarantine", "unsupported-format"))  # fmt: skip
    put("one-pixel.png", _png_bytes(Image.new("L", (1, 1), 255)), Expect("quarantine", "too-small"))

    # limits: bombs, page counts, page sizes, file size
    put("bomb.png", png_bomb(), Expect("quarantine", "limit-exceeded"))
    put("bomb.tif", tiff_bomb(), Expect("quarantine", "limit-exceeded"))
    put("bomb-header.jpg", jpeg_huge_header(), Expect("quarantine", "limit-exceeded"))
    put("text-chunk-bomb.png", png_text_bomb(), Expect("quarantine", "corrupt-image"))
    put("2000-pages.tif", many_page_tiff(2000), Expect("quarantine", "limit-exceeded"))
    put("ifd-loop.tif", tiff_ifd_loop(), Expect("review"))  # PIL stops at the loop: 2 pages
    put("huge-page.pdf", pdf_page(14_400, 14_400), Expect("quarantine", "limit-exceeded"))
    put("encrypted.pdf", pdf_encrypted(), Expect("quarantine", "encrypted-pdf"))
    put("no-pages.pdf", pdf_no_pages(), Expect("quarantine", "empty-pdf"))
    with (inbox / "sparse-6mb.tif").open("wb") as fh:  # over max_file_bytes (5 MB in the test)
        fh.write(good_tif.getvalue())
        fh.truncate(6_000_000)
    expect["sparse-6mb.tif"] = Expect("quarantine", "limit-exceeded")

    # readable pages without text: review, "no text found"
    put("all-white.png", _png_bytes(Image.new("L", PAGE, 255), dpi=(300, 300)), Expect("review", "no text"))  # fmt: skip
    put("all-black.png", _png_bytes(Image.new("L", PAGE, 0), dpi=(300, 300)), Expect("review", "no text"))  # fmt: skip
    put("drawing-only.png", drawing_only(), Expect("review"))

    # odd but readable encodings: processed (review: a 6-line page has no bibliographic data)
    put("gray16.png", gray16_png(), Expect("review"))
    put("cmyk.jpg", cmyk_jpeg(), Expect("review"))
    put("dpi-1.png", _png_bytes(_text_page(), dpi=(1, 1)), Expect("review"))
    put("dpi-100000.png", _png_bytes(_text_page(), dpi=(100_000, 100_000)), Expect("review"))
    put("exif-rotated.jpg", jpeg_exif_rotated(), Expect("review"))
    put("pdf-page.pdf", pdf_page(), Expect("review"))

    # names
    put("name with spaces.png", good_png, Expect("review", doc_id="name_with_spaces"))
    put("brevet-été-日本.png", good_png, Expect("review", doc_id="brevet-ete"))
    put("-rf --out=x.png", good_png, Expect("review", doc_id="rf_--out_x"))
    put("a..b..c.png", good_png, Expect("review", doc_id="a.b.c"))
    put("line\nbreak.png", good_png, Expect("review", doc_id="line_break"))
    long_name = "L" * 240 + ".png"
    put(long_name, good_png, Expect("review", doc_id="L" * 80))
    bad_utf8 = os.fsdecode(b"bad-\xff\xfe-name.png")
    put(bad_utf8, good_png, Expect("review", doc_id="bad--name"))

    # duplicate content under two names: each processed, same sha256
    put("dup-a.png", good_jpg, Expect("review"))
    put("dup-b.png", good_jpg, Expect("review"))

    # links and special files
    secret = outside / "secret.png"
    secret.write_bytes(_png_bytes(_text_page("Secret, outside the inbox"), dpi=(300, 300)))
    (inbox / "link-outside.png").symlink_to(secret)
    expect["link-outside.png"] = Expect("quarantine", "unsafe-link")
    (inbox / "link-broken.png").symlink_to(outside / "does-not-exist.png")
    expect["link-broken.png"] = Expect("quarantine", "broken-link")
    (inbox / "link-inside.png").symlink_to("dup-a.png")
    expect["link-inside.png"] = Expect("review")
    os.mkfifo(inbox / "fifo.png")
    expect["fifo.png"] = Expect("quarantine", "not-a-regular-file")

    # folder documents
    mixed = inbox / "folder-mixed"
    mixed.mkdir()
    (mixed / "page-1.png").write_bytes(good_png)
    (mixed / "notes.txt").write_text("scanned by Bob\n")
    expect["folder-mixed"] = Expect("quarantine", "unsupported-format")
    (inbox / "folder-empty").mkdir()
    expect["folder-empty"] = Expect("quarantine", "empty-folder")
    nested = inbox / "folder-nested"
    (nested / "sub").mkdir(parents=True)
    (nested / "page-1.png").write_bytes(good_png)
    (nested / "sub" / "page-2.png").write_bytes(good_png)
    expect["folder-nested"] = Expect("quarantine", "nested-folder")
    escaping = inbox / "folder-link-out"
    escaping.mkdir()
    (escaping / "page-1.png").write_bytes(good_png)
    (escaping / "page-2.png").symlink_to(secret)
    expect["folder-link-out"] = Expect("quarantine", "unsafe-link")
    good_folder = inbox / "folder-good"
    good_folder.mkdir()
    for i in (1, 2, 10):
        (good_folder / f"page-{i}.png").write_bytes(good_png)
    expect["folder-good"] = Expect("review")
    return expect

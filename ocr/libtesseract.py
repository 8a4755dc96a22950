"""The system's libtesseract through its C API (ctypes): what `ocr/tessworker.py` runs.

The library is the one the `tesseract` program links against (Debian: `libtesseract5`, installed
with `tesseract-ocr`), so the models, the version and the words are the program's; nothing is
compiled at set-up. Pages are read from their files with Leptonica's `pixRead`, as the program
reads them, so Tesseract sees the same pixels. Only the C API declared in Tesseract's `capi.h`
(stable across 4.x and 5.x) is used. ctypes releases the GIL during each call.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from dataclasses import dataclass

TSV_HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"  # fmt: skip
# Names the libraries go by: the Debian/Ubuntu sonames first, then whatever the loader finds.
TESSERACT_NAMES = ("libtesseract.so.5", "libtesseract.so.4")
LEPTONICA_NAMES = ("liblept.so.5", "libleptonica.so.6")

_P = ctypes.c_void_p
_S = ctypes.c_char_p
_I = ctypes.c_int


class LibraryMissing(OSError):
    """libtesseract or Leptonica cannot be loaded."""


def _load(names: tuple[str, ...], short: str) -> ctypes.CDLL:
    found = ctypes.util.find_library(short)
    for name in (*names, *([found] if found else [])):
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    raise LibraryMissing(f"cannot load {short} (tried {', '.join(names)})")


@dataclass(frozen=True)
class Libraries:
    tess: ctypes.CDLL
    lept: ctypes.CDLL

    @property
    def version(self) -> str:
        return str(self.tess.TessVersion().decode("ascii", "replace"))


@functools.lru_cache(maxsize=1)
def libraries() -> Libraries:
    """Both libraries with the prototypes used here (raises LibraryMissing)."""
    tess = _load(TESSERACT_NAMES, "tesseract")
    lept = _load(LEPTONICA_NAMES, "lept")
    for name, restype, argtypes in (
        ("TessVersion", _S, []),
        ("TessBaseAPICreate", _P, []),
        ("TessBaseAPIDelete", None, [_P]),
        ("TessBaseAPIEnd", None, [_P]),
        ("TessBaseAPIInit3", _I, [_P, _S, _S]),
        ("TessBaseAPISetVariable", _I, [_P, _S, _S]),
        ("TessBaseAPISetPageSegMode", None, [_P, _I]),
        ("TessBaseAPISetImage", None, [_P, _P, _I, _I, _I, _I]),
        ("TessBaseAPISetImage2", None, [_P, _P]),
        ("TessBaseAPISetSourceResolution", None, [_P, _I]),
        ("TessBaseAPIRecognize", _I, [_P, _P]),
        ("TessBaseAPIGetTsvText", _P, [_P, _I]),
        ("TessBaseAPIClear", None, [_P]),
        ("TessDeleteText", None, [_P]),
    ):
        fn = getattr(tess, name)
        fn.restype, fn.argtypes = restype, argtypes
    lept.pixRead.restype, lept.pixRead.argtypes = _P, [_S]
    lept.pixDestroy.restype, lept.pixDestroy.argtypes = None, [ctypes.POINTER(_P)]
    return Libraries(tess, lept)


def read_pgm(path: str) -> tuple[bytes, int, int] | None:
    """(grey bytes, width, height) of a binary 8-bit PGM (P5), or None for any other file."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise ImageUnreadable(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not data.startswith(b"P5"):
        return None
    fields: list[int] = []
    pos = 2
    while len(fields) < 3:  # width, height, maxval: separated by white space and # comments
        while pos < len(data) and data[pos : pos + 1].isspace():
            pos += 1
        if data[pos : pos + 1] == b"#":
            pos = data.find(b"\n", pos) + 1 or len(data)
            continue
        start = pos
        while pos < len(data) and data[pos : pos + 1].isdigit():
            pos += 1
        if start == pos:
            return None
        fields.append(int(data[start:pos]))
    width, height, maxval = fields
    pixels = data[pos + 1 : pos + 1 + width * height]  # one white-space byte ends the header
    if maxval > 255 or len(pixels) != width * height:
        return None  # 16-bit or truncated: left to Leptonica, which says what is wrong
    return pixels, width, height


class InitFailed(RuntimeError):
    """Tesseract could not load the language data."""


class ImageUnreadable(RuntimeError):
    """Leptonica cannot read the page file."""


class Api:
    """One initialised Tesseract (models loaded once) that reads pages and crops in turn."""

    def __init__(self, datapath: str, lang: str) -> None:
        self.libs = libraries()
        self.handle = self.libs.tess.TessBaseAPICreate()
        if self.libs.tess.TessBaseAPIInit3(self.handle, datapath.encode(), lang.encode()) != 0:
            self.close()
            raise InitFailed(f"could not initialize tesseract with {lang!r} from {datapath}")

    def close(self) -> None:
        if self.handle:
            self.libs.tess.TessBaseAPIEnd(self.handle)
            self.libs.tess.TessBaseAPIDelete(self.handle)
            self.handle = None

    def _configure(self, psm: int, dpi: float, whitelist: str | None) -> None:
        """What the program's `--psm N --dpi D -c preserve_interword_spaces=0` set; on every
        call, because the same instance reads pages and crops."""
        tess, h = self.libs.tess, self.handle
        tess.TessBaseAPISetPageSegMode(h, psm)
        tess.TessBaseAPISetVariable(h, b"user_defined_dpi", str(round(dpi)).encode())
        tess.TessBaseAPISetVariable(h, b"preserve_interword_spaces", b"0")
        tess.TessBaseAPISetVariable(h, b"tessedit_char_whitelist", (whitelist or "").encode())

    def _tsv(self) -> str:
        tess, h = self.libs.tess, self.handle
        try:
            if tess.TessBaseAPIRecognize(h, None) != 0:
                raise RuntimeError("recognition failed")
            ptr = tess.TessBaseAPIGetTsvText(h, 0)
            if not ptr:
                raise RuntimeError("no TSV returned")
            try:
                text = ctypes.string_at(ptr).decode("utf-8", errors="replace")
            finally:
                tess.TessDeleteText(ptr)
        finally:
            tess.TessBaseAPIClear(h)  # frees the image and results; the models stay loaded
        return TSV_HEADER + text

    def read_file(self, path: str, *, psm: int, dpi: float) -> str:
        """The page file's TSV, with the header the program writes. The pipeline's own page
        files (8-bit PGM) are read here: Leptonica's PNM reader takes ~0.1 s a page."""
        grey = read_pgm(path)
        if grey is not None:
            pixels, width, height = grey
            return self.read_pixels(pixels, width, height, psm=psm, dpi=dpi, whitelist=None)
        pix = ctypes.c_void_p(self.libs.lept.pixRead(path.encode()))
        if not pix.value:
            raise ImageUnreadable(f"Leptonica cannot read {path}")
        try:
            self._configure(psm, dpi, None)
            self.libs.tess.TessBaseAPISetImage2(self.handle, pix)
            self.libs.tess.TessBaseAPISetSourceResolution(self.handle, round(dpi))
            return self._tsv()
        finally:
            self.libs.lept.pixDestroy(ctypes.byref(pix))

    def read_pixels(
        self, pixels: bytes, width: int, height: int, *, psm: int, dpi: float,
        whitelist: str | None,
    ) -> str:  # fmt: skip
        """A grey image given as bytes (one per pixel, rows of `width`): a crop's TSV."""
        self._configure(psm, dpi, whitelist)
        buffer = ctypes.create_string_buffer(pixels, len(pixels))  # alive until the TSV is read
        self.libs.tess.TessBaseAPISetImage(self.handle, buffer, width, height, 1, width)
        self.libs.tess.TessBaseAPISetSourceResolution(self.handle, round(dpi))
        return self._tsv()

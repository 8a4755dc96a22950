"""Reproducible degraded scans from clean pages, for the preprocessing benchmark.

    python bench/degrade.py --out /tmp/ipd-degraded --pages 20 [--source ../shared/data/us-frontpages]

Every (page, degradation) pair has its own seed derived from both names, so a page's variant does
not change when pages or types are added. Plain OpenCV and numpy only (augraphy needs the
non-headless OpenCV, which clashes with the runtime's opencv-python-headless). The source pages are
~207 dpi office renders of US patent front pages (1758 x 2275 px, US letter); ground truth (text
and fields) carries over from the clean page: `manifest.json` names the source of each variant with
the true rotation and skew applied.

Degradations (`TYPES`):
  skew          rotation by +-0.3..6 deg (white fill, canvas grown)
  rotated       quarter turn 90/180/270 (cycling over pages) plus +-0..1 deg skew
  gauss         Gaussian grain, sigma 15..30 grey levels
  saltpepper    2..5 % of pixels set to black or white
  blur          Gaussian blur, sigma 1.2..2.0 px (out-of-focus scan)
  dpi150        area-averaged down to 150 dpi, dpi stored in the file
  dpi200        down to 200 dpi
  nodpi         150 dpi, margins cropped unevenly, no resolution in the file (PNG without pHYs)
  g4            200 dpi bitonal (fixed threshold after light noise), CCITT G4 TIFF
  jpeg          JPEG quality 20..40
  borders       black scanner borders on 2-3 sides, gutter shadow, 2-3 punch holes, skew 0.3..1.5
  illumination  brightness falling to 45..65 % across the page (lamp or curl), low contrast
  bleed         mirrored, blurred text of another page showing through (15..30 %)
  negative      white text on black (a microfilm print)
  scan          a bad office scan: skew, borders, uneven light, grain, JPEG quality 30..45
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

SOURCE_DPI = 1758 / 8.5  # the US front pages are US letter at ~206.8 dpi
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEFAULT_SOURCE = SHARED / "data" / "us-frontpages"


@dataclass
class Variant:
    pixels: np.ndarray
    dpi: float
    rotation: int = 0
    """Counter-clockwise quarter turn that rights the page (what a reader must apply)."""
    skew: float = 0.0
    """Counter-clockwise angle the text lines were turned by, degrees."""
    fmt: str = "png"
    quality: int = 0


def rng_for(page_id: str, kind: str, seed: int) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}:{page_id}:{kind}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def rotate(pixels: np.ndarray, angle: float, fill: int = 255) -> np.ndarray:
    """Counter-clockwise by `angle` degrees, canvas grown, uncovered corners `fill`."""
    h, w = pixels.shape
    rad = math.radians(angle)
    nw = int(round(w * abs(math.cos(rad)) + h * abs(math.sin(rad))))
    nh = int(round(h * abs(math.cos(rad)) + w * abs(math.sin(rad))))
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(
        pixels, m, (nw, nh), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT, borderValue=fill
    )


def signed(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi) * rng.choice([-1.0, 1.0]))


def add_grain(pixels: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    noisy = pixels.astype(np.float32) + rng.normal(0, sigma, pixels.shape).astype(np.float32)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def resample(pixels: np.ndarray, dpi: float, source_dpi: float = SOURCE_DPI) -> np.ndarray:
    f = dpi / source_dpi
    return cv2.resize(pixels, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)


def shading(shape: tuple[int, int], rng: np.random.Generator, low: float) -> np.ndarray:
    """A smooth brightness field falling from 1 to `low` along a random direction."""
    h, w = shape
    theta = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = (xx / w - 0.5) * math.cos(theta) + (yy / h - 0.5) * math.sin(theta)
    t = (t - t.min()) / (t.max() - t.min())
    return (1.0 - (1.0 - low) * t**1.5).astype(np.float32)


def add_borders(pixels: np.ndarray, rng: np.random.Generator, dpi: float) -> np.ndarray:
    """Black scanner lid on 2-3 sides with a ragged edge, a gutter shadow, and punch holes."""
    out = pixels.astype(np.float32)
    h, w = out.shape
    sides = ["left", "right", "top", "bottom"]
    chosen = rng.choice(sides, size=int(rng.integers(2, 4)), replace=False)
    # Gutter shadow: darkening over ~1 inch next to one long edge.
    gutter = rng.choice(["left", "right"])
    span = int(dpi * rng.uniform(0.6, 1.2))
    ramp = np.linspace(rng.uniform(0.35, 0.6), 1.0, span, dtype=np.float32)
    if gutter == "left":
        out[:, :span] *= ramp[None, :]
    else:
        out[:, w - span :] *= ramp[::-1][None, :]
    # Punch holes: 6 mm black discs, 12 mm from the left edge, 80 mm apart.
    r = int(round(3 / 25.4 * dpi))
    cx = int(round(12 / 25.4 * dpi))
    n_holes = int(rng.integers(2, 4))
    pitch = int(80 / 25.4 * dpi)
    first = h // 2 - (n_holes - 1) * pitch // 2
    for i in range(n_holes):
        cv2.circle(out, (cx, first + i * pitch), r, float(rng.uniform(5, 30)), -1, cv2.LINE_AA)
    for side in chosen:
        depth = int(dpi * rng.uniform(0.15, 0.5))
        wobble = (np.cumsum(rng.normal(0, 1.0, max(h, w))) * 0.3).astype(int)
        level = float(rng.uniform(0, 40))
        if side in ("left", "right"):
            for y in range(h):
                d = max(2, depth + wobble[y])
                if side == "left":
                    out[y, :d] = level
                else:
                    out[y, w - d :] = level
        else:
            for x in range(w):
                d = max(2, depth + wobble[x])
                if side == "top":
                    out[:d, x] = level
                else:
                    out[h - d :, x] = level
    return np.clip(out, 0, 255).astype(np.uint8)


def bleed_through(pixels: np.ndarray, other: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    back = cv2.flip(cv2.resize(other, (pixels.shape[1], pixels.shape[0])), 1)
    back = cv2.GaussianBlur(back, (0, 0), 1.5).astype(np.float32) / 255.0
    alpha = rng.uniform(0.15, 0.3)
    out = pixels.astype(np.float32) * (1.0 - alpha * (1.0 - back))
    return np.clip(out, 0, 255).astype(np.uint8)


def degrade(
    kind: str,
    page: np.ndarray,
    other: np.ndarray,
    rng: np.random.Generator,
    index: int,
    dpi: float = SOURCE_DPI,
) -> Variant:
    """`page` at `dpi`; `index` picks the quarter turn of `rotated` (cycling 90/180/270)."""
    if kind == "clean":
        return Variant(page, dpi)
    if kind == "skew":
        angle = signed(rng, 0.3, 6.0)
        return Variant(rotate(page, angle), dpi, skew=angle)
    if kind == "rotated":
        turn = (90, 180, 270)[index % 3]  # the page is turned clockwise by `turn`
        angle = signed(rng, 0.0, 1.0)
        img = np.ascontiguousarray(np.rot90(rotate(page, angle), k=-turn // 90))
        return Variant(img, dpi, rotation=turn, skew=angle)
    if kind == "gauss":
        return Variant(add_grain(page, rng, rng.uniform(15, 30)), dpi)
    if kind == "saltpepper":
        img = page.copy()
        p = rng.uniform(0.02, 0.05)
        u = rng.random(img.shape)
        img[u < p / 2] = 0
        img[(u >= p / 2) & (u < p)] = 255
        return Variant(img, dpi)
    if kind == "blur":
        return Variant(cv2.GaussianBlur(page, (0, 0), rng.uniform(1.2, 2.0)), dpi)
    if kind in ("dpi150", "dpi200"):
        target = 150.0 if kind == "dpi150" else 200.0
        return Variant(resample(page, target, dpi), target)
    if kind == "nodpi":
        img = resample(page, 150.0, dpi)
        h, w = img.shape  # margins cropped unevenly, so the page size no longer tells the dpi
        top, left = int(h * rng.uniform(0.03, 0.06)), int(w * rng.uniform(0.02, 0.05))
        img = img[top : h - int(h * rng.uniform(0.08, 0.15)), left : w - int(w * 0.03)]
        return Variant(np.ascontiguousarray(img), 150.0, fmt="png-nodpi")
    if kind == "g4":
        img = add_grain(resample(page, 200.0, dpi), rng, 8)
        bw = np.where(img > rng.uniform(120, 150), 255, 0).astype(np.uint8)
        return Variant(bw, 200.0, fmt="g4")
    if kind == "jpeg":
        return Variant(page, dpi, fmt="jpeg", quality=int(rng.integers(20, 41)))
    if kind == "borders":
        angle = signed(rng, 0.3, 1.5)
        return Variant(add_borders(rotate(page, angle), rng, dpi), dpi, skew=angle)
    if kind == "illumination":
        low = rng.uniform(0.45, 0.65)
        faded = 60 + page.astype(np.float32) * (195 / 255)  # low contrast: ink ~60, paper ~255
        img = np.clip(faded * shading(page.shape, rng, low), 0, 255).astype(np.uint8)
        return Variant(img, dpi)
    if kind == "bleed":
        return Variant(bleed_through(page, other, rng), dpi)
    if kind == "negative":
        return Variant(255 - page, dpi)
    if kind == "scan":
        angle = signed(rng, 0.5, 4.0)
        img = add_borders(rotate(page, angle), rng, dpi)
        img = np.clip(
            img.astype(np.float32) * shading(img.shape, rng, rng.uniform(0.7, 0.85)), 0, 255
        )
        img = add_grain(img.astype(np.uint8), rng, rng.uniform(6, 12))
        return Variant(img, dpi, skew=angle, fmt="jpeg", quality=int(rng.integers(30, 46)))
    raise ValueError(f"unknown degradation {kind!r}")


TYPES: tuple[str, ...] = (
    "skew", "rotated", "gauss", "saltpepper", "blur", "dpi150", "dpi200", "nodpi", "g4", "jpeg",
    "borders", "illumination", "bleed", "negative", "scan",
)  # fmt: skip


def save(variant: Variant, path_stem: Path) -> Path:
    img = Image.fromarray(variant.pixels)
    dpi = (round(variant.dpi, 2), round(variant.dpi, 2))
    if variant.fmt == "g4":
        path = path_stem.with_suffix(".tif")
        img.convert("1", dither=Image.Dither.NONE).save(path, compression="group4", dpi=dpi)
    elif variant.fmt == "jpeg":
        path = path_stem.with_suffix(".jpg")
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=variant.quality, dpi=dpi)
        path.write_bytes(buf.getvalue())
    elif variant.fmt == "png-nodpi":
        path = path_stem.with_suffix(".png")
        img.save(path, "PNG")
    else:
        path = path_stem.with_suffix(".png")
        img.save(path, "PNG", dpi=dpi)
    return path


def select_pages(source: Path, count: int) -> list[str]:
    """Every k-th page id of the set in sorted order, skipping pages whose labels were corrected."""
    ids = sorted(p.stem for p in (source / "images").glob("*.png"))
    usable = [i for i in ids if i not in {"crypto_3", "crypto_9", "crypto_14", "us_023"}]
    step = max(1, len(usable) // count)
    return usable[::step][:count]


@dataclass
class SourcePage:
    id: str
    """Also the stem of the written files, so it must not hold a dot."""
    pixels: np.ndarray
    dpi: float


def write_set(
    pages: list[SourcePage],
    out: Path,
    types: tuple[str, ...],
    seed: int,
    variants: int = 1,
    extra: dict[str, object] | None = None,
) -> list[dict[str, object]]:
    """Each page clean once and `variants` times per degradation type, plus `manifest.json`.

    Variant 0 of a page is seeded by its id, variant v > 0 by `<id>~v`, so adding variants, pages
    or types never changes an existing file. Entries are listed variant by variant, so the first
    len(pages) of a type are variant 0 of every page. Bleed-through shows the next page of the list; the
    quarter turn of `rotated` cycles 90/180/270 over pages, then over variants."""
    out.mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, object]] = []
    for v in range(variants):  # variant-major, so `run.py --pages len(pages)` takes variant 0
        for n, source in enumerate(pages):
            other = pages[(n + 1) % len(pages)].pixels
            name = source.id if v == 0 else f"{source.id}~{v}"
            for kind in ("clean", *types) if v == 0 else types:
                rng = rng_for(name, kind, seed)
                variant = degrade(kind, source.pixels, other, rng, n + v * len(pages), source.dpi)
                (out / kind).mkdir(exist_ok=True)
                path = save(variant, out / kind / name)
                entries.append({
                    "id": f"{kind}/{name}", "source": source.id, "kind": kind,
                    "file": str(path.relative_to(out)), "dpi": round(variant.dpi, 2),
                    "rotation": variant.rotation, "skew": round(variant.skew, 3),
                    "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                })  # fmt: skip
    manifest = {"seed": seed, **(extra or {}), "pages": entries}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return entries


def generate(
    source: Path, out: Path, pages: int, types: tuple[str, ...], seed: int
) -> list[dict[str, object]]:
    """The US front-page set: `pages` pages (`select_pages`), one variant per type."""
    chosen = []
    for i in select_pages(source, pages):
        pixels = cv2.imread(str(source / "images" / f"{i}.png"), cv2.IMREAD_GRAYSCALE)
        if pixels is None:
            raise FileNotFoundError(source / "images" / f"{i}.png")
        chosen.append(SourcePage(i, pixels, SOURCE_DPI))
    return write_set(chosen, out, types, seed, extra={"source": str(source)})


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--types", default=",".join(TYPES))
    ap.add_argument("--seed", type=int, default=20240611)
    args = ap.parse_args()
    entries = generate(args.source, args.out, args.pages, tuple(args.types.split(",")), args.seed)
    print(f"{len(entries)} pages written to {args.out}")


if __name__ == "__main__":
    main()

"""One nested, frozen settings model: defaults < TOML config file < IPDIGITISE_* env < CLI flags."""

from __future__ import annotations

import hashlib
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OcrSettings(Section):
    lang: str = Field("eng", description="Tesseract languages, e.g. eng+fra+deu")
    psm: int = Field(3, ge=0, le=13, description="Tesseract page segmentation mode")
    timeout: float = Field(
        180.0, gt=0, le=3600, description="seconds per page before Tesseract is stopped"
    )
    tesseract_cmd: str = Field("tesseract", description="the Tesseract binary")
    engine: Literal["auto", "libtesseract", "tesserocr", "cli"] = Field(
        "auto", description="cli: the tesseract program, a process per page; libtesseract: the "
        "same Tesseract's library in worker processes that load the models once (same words, "
        "faster); tesserocr: in-process through the optional tesserocr wheel; auto: "
        "libtesseract if it loads with the languages and tesseract_cmd is the default, else cli"
    )  # fmt: skip
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=256,
                         description="pages OCR'd at once (one single-threaded Tesseract each)")  # fmt: skip
    retries: int = Field(
        2, ge=0, le=10, description="retries for transient OCR failures (timeouts)"
    )
    reread_fields: int = Field(8, ge=0, le=50,
                               description="second OCR readings of weak fields per document (0: off)")  # fmt: skip


class LimitSettings(Section):
    max_pixels: int = Field(
        120_000_000, ge=10_000, description="pixels per page (decompression bombs)"
    )
    max_pages: int = Field(500, ge=1, description="pages per document")
    max_file_bytes: int = Field(2_000_000_000, ge=1, description="bytes per input file")


class PreprocessSettings(Section):
    target_dpi: float = Field(300.0, ge=100, le=600)
    upsample_below: float = Field(250.0, ge=50, le=600, description="resize pages below this dpi")
    assumed_dpi: float = Field(300.0, ge=50, le=1200, description="dpi for images that do not say")
    pdf_dpi: float = Field(
        300.0, ge=72, le=600, description="rasterisation resolution for PDF pages"
    )
    # Steps (ocr/preprocess.py); each can be switched off. Defaults as measured in bench/README.md.
    resolution: bool = Field(True, description="resize pages far from target_dpi")
    estimate_dpi: bool = Field(
        True, description="judge a missing or implausible resolution from text height"
    )
    invert: bool = Field(True, description="turn white-on-black pages into black on white")
    denoise: bool = Field(True, description="fill specks from their neighbours, blur grain")
    specks: Literal["fill", "median"] = Field(
        "fill", description="specks replaced by the mean of their speck-free neighbours, or median"
    )
    showthrough: bool = Field(
        True, description="lift a grey show-through layer away from the ink to paper white"
    )
    borders: bool = Field(True, description="paint dark scanner borders and punch holes white")
    orientation: Literal["fast", "osd", "off"] = Field(
        "fast", description="quarter-turn detection: fast (OpenCV) or osd (Tesseract, ~0.8 s/page)"
    )
    deskew: bool = Field(True, description="measure the skew of the text lines and correct it")
    max_skew: float = Field(
        8.0, ge=0.5, le=45, description="largest skew searched (degrees); none beyond is applied"
    )
    min_skew: float = Field(0.1, ge=0, le=5, description="smaller skews are left alone (degrees)")
    drawings: bool = Field(
        False, description="paint line-art regions (front-page drawings) paper-coloured"
    )
    sharpen: bool = Field(True, description="unsharp mask (1-bit pages: anti-alias) at the end")
    binarise: Literal["auto", "otsu", "sauvola", "flatten", "off"] = Field(
        "auto", description="auto: Sauvola where the paper is too uneven, else keep grey"
    )

    def options(self) -> dict[str, Any]:
        """The fields ocr.preprocess.PreprocessOptions takes."""
        return self.model_dump(exclude={"assumed_dpi", "pdf_dpi"})


class GateSettings(Section):
    min_field_confidence: float = Field(
        0.7, ge=0, le=1, description="below: document goes to review"
    )
    min_page_confidence: float = Field(0.6, ge=0, le=1, description="mean word confidence per page")
    low_confidence_word: float = Field(0.6, ge=0, le=1,
                                       description="words below are marked OCRConfidenceData in ST.96")  # fmt: skip
    min_document_confidence: float = Field(
        0.9, ge=0, le=1, description="mean word confidence of the whole text; below: review"
    )
    max_low_confidence_share: float = Field(
        0.03, ge=0, le=1, description="share of words below low_confidence_word; above: review"
    )


class PrefectSettings(Section):
    """Which Prefect API `run` uses when PREFECT_API_URL is not set (see flows/prefect_api.py)."""

    reuse_local_server: bool = Field(
        True, description="use a Prefect server of this PREFECT_HOME answering at local_server_url"
    )
    local_server_url: str = Field(
        "http://127.0.0.1:4200/api", description="where to look for it (loopback addresses only)"
    )
    early_start: bool = Field(
        True, description="start the temporary server at once, while inputs are checked"
    )

    @field_validator("local_server_url")
    @classmethod
    def _loopback(cls, url: str) -> str:
        from flows.prefect_api import is_loopback_url

        if not url.startswith("http://") or not is_loopback_url(url):
            raise ValueError("must be an http:// URL on this machine (127.0.0.1, localhost, ::1)")
        return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="IPDIGITISE_", env_nested_delimiter="__", frozen=True, extra="forbid"
    )

    ocr: OcrSettings = OcrSettings()
    limits: LimitSettings = LimitSettings()
    preprocess: PreprocessSettings = PreprocessSettings()
    gate: GateSettings = GateSettings()
    prefect: PrefectSettings = PrefectSettings()

    def engine(self) -> str:
        """The OCR engine these settings select on this host ("libtesseract", "tesserocr" or
        "cli")."""
        from ocr.engines import resolve

        return resolve(self.ocr.engine, self.ocr.tesseract_cmd, self.ocr.lang)

    def fingerprint(self) -> str:
        """Hash of everything that changes outputs (not workers or timeouts): part of cache keys."""
        relevant = self.model_dump(
            exclude={"ocr": {"workers", "timeout", "retries", "tesseract_cmd"}, "prefect": True}
        )
        relevant["ocr"]["engine"] = self.engine()  # the one that runs: auto depends on the host
        return hashlib.sha256(repr(sorted(_flatten(relevant).items())).encode()).hexdigest()[:16]


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        out[key] = _merge(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


def load_settings(config: Path | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Defaults, then the TOML file, then IPDIGITISE_* environment variables, then CLI overrides."""
    from_env = Settings().model_dump(exclude_unset=True)
    data: dict[str, Any] = {}
    if config is not None:
        with config.open("rb") as fh:
            data = tomllib.load(fh)
    data = _merge(data, from_env)
    data = _merge(data, {k: {kk: vv for kk, vv in v.items() if vv is not None}
                         for k, v in (overrides or {}).items()})  # fmt: skip
    return Settings(**data)

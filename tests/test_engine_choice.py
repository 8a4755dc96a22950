"""Which OCR engine `ocr.engine` selects, and where the one that ran is recorded (no OCR here:
the library's availability is stubbed, so this runs without it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lxml import etree

from flows.settings import Settings, load_settings
from ocr import engines, library_engine
from ocr.tesseract import TesseractEngine
from output_schemas import st96


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, bool]]:
    """libtesseract "loads with every language" unless the test says otherwise."""
    state = {"usable": True}
    monkeypatch.setattr(library_engine, "usable", lambda lang: state["usable"])
    engines.resolve.cache_clear()
    yield state
    engines.resolve.cache_clear()


def test_auto_is_the_library_for_the_default_command(installed: dict[str, bool]) -> None:
    assert engines.resolve("auto", "tesseract", "eng") == "libtesseract"
    made = engines.make("auto", lang="eng", psm=3, timeout=9, cmd="tesseract")
    assert type(made).__name__ == "LibraryEngine"


def test_auto_keeps_a_custom_command_on_the_cli(installed: dict[str, bool]) -> None:
    # a configured binary (or the tests' fake `tesseract`) is what the operator wants to run
    assert engines.resolve("auto", "/opt/tesseract-5.4/bin/tesseract", "eng") == "cli"
    made = engines.make("auto", lang="eng", psm=3, timeout=9, cmd="/opt/t/tesseract")
    assert isinstance(made, TesseractEngine) and made.cmd == "/opt/t/tesseract"


def test_auto_falls_back_to_the_cli_without_the_library(installed: dict[str, bool]) -> None:
    installed["usable"] = False  # not loadable, or a language it lacks
    assert engines.resolve("auto", "tesseract", "eng+fra") == "cli"
    assert isinstance(
        engines.make("auto", lang="eng", psm=3, timeout=9, cmd="tesseract"), TesseractEngine
    )


def test_explicit_choices_win(installed: dict[str, bool]) -> None:
    installed["usable"] = False
    assert engines.resolve("tesserocr", "/opt/t/tesseract", "eng") == "tesserocr"
    assert engines.resolve("libtesseract", "/opt/t/tesseract", "eng") == "libtesseract"
    installed["usable"] = True
    assert engines.resolve("cli", "tesseract", "eng") == "cli"


def test_engine_setting_from_the_environment_and_in_the_fingerprint(
    installed: dict[str, bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IPDIGITISE_OCR__ENGINE", raising=False)
    auto = load_settings()
    assert auto.ocr.engine == "auto" and auto.engine() == "libtesseract"  # the default
    monkeypatch.setenv("IPDIGITISE_OCR__ENGINE", "cli")
    cli, forced = load_settings(), Settings(ocr={"engine": "libtesseract"})
    assert cli.engine() == "cli"
    assert auto.fingerprint() == forced.fingerprint()  # the same engine runs: same results
    assert auto.fingerprint() != cli.fingerprint()  # another engine: not "unchanged"
    with pytest.raises(ValueError):
        Settings(ocr={"engine": "easyocr"})


def test_st96_records_the_engine_in_a_processing_instruction() -> None:
    tree = etree.ElementTree(etree.Element("{urn:x}PatentPublication"))
    st96.add_ocr_engine(tree, "tesserocr", '5.5.4 (tesserocr 2.13.0)"', "eng+fra")
    pis = [n for n in tree.getroot() if isinstance(n, etree._ProcessingInstruction)]
    assert [p.target for p in pis] == ["ipdigitise-ocr"]
    assert pis[0].text == 'engine="tesserocr" version="5.5.4 (tesserocr 2.13.0)" language="eng+fra"'

"""Printed party lists split into separate parties with residence and country."""

from __future__ import annotations

import pytest

from mapping.parties import is_organisation, repair_legal_forms, split_parties


def _parties(text: str) -> list[tuple[str, str | None, str | None]]:
    return [(name, res, country) for name, res, country, _ in split_parties(text)]


def test_persons_split_at_semicolons_over_lines() -> None:
    text = "Igor Karp, Sunnyvale, CA (US); Lev\nStesin, Mountain View, CA (US)"
    assert _parties(text) == [
        ("Igor Karp", "Sunnyvale, CA", "US"),
        ("Lev Stesin", "Mountain View, CA", "US"),
    ]


def test_lost_semicolon_after_a_country() -> None:
    text = (
        "Dikla Dotan-Cohen, Herzliya (IL); Assaf Avihoo, Tel Aviv (IL) Ido Priness, Herzliya (IL)"
    )
    assert [p[0] for p in _parties(text)] == ["Dikla Dotan-Cohen", "Assaf Avihoo", "Ido Priness"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (
            "Verizon Patent and Licensing Inc.,\nBasking Ridge, NJ (US)",
            "Verizon Patent and Licensing Inc.",
        ),
        ("Samsung Electronics Co., Ltd.,\nSuwon-si (KR)", "Samsung Electronics Co., Ltd."),
        (
            "AT&T Intellectual Property II, L.P.,\nAtlanta, GA (US)",
            "AT&T Intellectual Property II, L.P.",
        ),
        ("Rohde & Schwarz GmbH & Co. KG,\nMunich (DE)", "Rohde & Schwarz GmbH & Co. KG"),
        (
            "TELEFONAKTIEBOLAGET L M ERICSSON (PUBL), Stockholm (SE)",
            "TELEFONAKTIEBOLAGET L M ERICSSON (PUBL)",
        ),
        ("! SONY CORPORATION, Tokyo (JP)", "SONY CORPORATION"),  # OCR speck before the name
    ],
)
def test_organisation_names_keep_their_legal_form(text: str, name: str) -> None:
    parties = _parties(text)
    assert parties[0][0] == name
    assert is_organisation(parties[0][0])


def test_older_lists_with_and() -> None:
    text = "John Smith, Chicago, Ill.; and Jane Doe, Evanston, Ill."
    assert [p[0] for p in _parties(text)] == ["John Smith", "Jane Doe"]


def test_person_is_not_an_organisation() -> None:
    assert not is_organisation("Igor Karp")


@pytest.mark.parametrize(
    ("ocr", "fixed"),
    [
        ("HUAWEI TECHNOLOGIES CoO., LTD.", "HUAWEI TECHNOLOGIES CO., LTD."),
        ("Huawei Technologies CoO., Ltd.", "Huawei Technologies Co., Ltd."),
        ("Estimote Polska Sp. z 0. 0.", "Estimote Polska Sp. z o. o."),
        ("AT&T Mobility Il, LLC", "AT&T Mobility II, LLC"),
        ("Google Ine.", "Google Inc."),
        ("Google LLC", "Google LLC"),
        ("Andrew II B Zhou", "Andrew H B Zhou"),  # a generation follows the surname: an H
        ("Henry Ford II", "Henry Ford II"),
        ("Partners Fund II LP", "Partners Fund II LP"),
    ],
)
def test_legal_form_ocr_repairs(ocr: str, fixed: str) -> None:
    assert repair_legal_forms(ocr) == fixed


@pytest.mark.parametrize(
    ("text", "name", "residence"),
    [
        ("Locoroll, Inc.. Cupertino. CA (US)", "Locoroll, Inc.", "Cupertino. CA"),  # 1-bit scan
        ("Noon Home, Inc. Cupertino, CA (US)", "Noon Home, Inc.", "Cupertino, CA"),
        ("John Doe, Jr. Austin, TX (US)", "John Doe, Jr.", "Austin, TX"),
        ("Jane Roe, St. Louis, MO (US)", "Jane Roe", "St. Louis, MO"),  # not a legal form
    ],
)
def test_a_legal_form_whose_comma_was_read_as_a_period(
    text: str, name: str, residence: str
) -> None:
    (got_name, got_residence, country, _), *_ = split_parties(text)
    assert (got_name, got_residence, country) == (name, residence, "US")


def test_a_semicolon_read_as_a_colon_after_the_country_still_ends_an_entry() -> None:
    # crypto_2's 1-bit page: ';' read as ':', and the comma after two names as a period
    text = (
        "Andrew II B Zhou. Tiburon. CA (US):\nTiger T G Zhou, \u2018Tiburon, CA (US):\n"
        "Zhou Tian Xing. \u2018liburon, CA (US)"
    )
    assert _parties(text) == [
        ("Andrew H B Zhou", "Tiburon. CA", "US"),
        ("Tiger T G Zhou", "\u2018Tiburon, CA", "US"),
        ("Zhou Tian Xing", "\u2018liburon, CA", "US"),
    ]


@pytest.mark.parametrize(
    ("text", "name", "residence"),
    [
        ("John A. Smith. Austin. TX (US)", "John A. Smith", "Austin. TX"),  # not the initial
        ("Dolby Laboratories Licensing Corp. San Francisco, CA (US)",
         "Dolby Laboratories Licensing Corp.", "San Francisco, CA"),  # the legal form keeps it
        ("Prof. Dr. Hans Müller, Berlin (DE)", "Prof. Dr. Hans Müller", "Berlin"),  # first word
        ("Sony Corp. of America, New York, NY (US)", "Sony Corp. of America", "New York, NY"),
    ],
)  # fmt: skip
def test_the_comma_after_a_name_read_as_a_period(text: str, name: str, residence: str) -> None:
    (got_name, got_residence, _, _), *_ = split_parties(text)
    assert (got_name, got_residence) == (name, residence)

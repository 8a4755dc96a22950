"""The gate's JSON Schema validator: Draft 2020-12 whatever else is imported, and its shortcut
for arrays of word tokens reports exactly what plain jsonschema reports, valid or not.

Document: the recorded EP1000000A1 fixture (tests/resources/fulltext, see its README), mapped.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

import jsonschema
import pytest

from mapping.document import build_document
from output_schemas import jsonout
from output_schemas.jsonvalidator import TOKEN_SCHEMA, json_validator, plain_token, schema
from tests.conftest import fixture_pages, load_fixture


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    fx = load_fixture("EP1000000A1.clean")
    doc = build_document(fx["doc_id"], fixture_pages(fx), non_text_ink=fx["ink"])
    return jsonout.to_json_dict(doc)


def _errors(validator: Any, data: dict[str, Any]) -> list[tuple[str, str, list[Any]]]:
    return sorted(
        (e.message, e.validator, list(e.absolute_path)) for e in validator.iter_errors(data)
    )


def test_the_schema_still_has_the_token_the_shortcut_is_written_for() -> None:
    assert schema()["$defs"]["Token"] == TOKEN_SCHEMA
    draft = jsonschema.Draft202012Validator
    cls = type(json_validator())
    assert cls.META_SCHEMA == draft.META_SCHEMA and cls.TYPE_CHECKER is draft.TYPE_CHECKER
    assert {k: v for k, v in cls.VALIDATORS.items() if k != "items"} == {
        k: v for k, v in draft.VALIDATORS.items() if k != "items"
    }


@pytest.mark.parametrize(
    ("token", "plain"),
    [
        ({"text": "a", "confidence": 0.5}, True),
        ({"text": "a", "confidence": 1}, True),
        ({"text": "a", "confidence": True}, False),  # bool is not a JSON number
        ({"text": 1, "confidence": 0.5}, False),
        ({"text": "a"}, False),
        ({"text": "a", "confidence": 0.5, "x": 1}, False),
        (["a", 0.5], False),
    ],
)
def test_plain_token(token: object, plain: bool) -> None:
    assert plain_token(token) is plain
    assert jsonschema.Draft202012Validator(TOKEN_SCHEMA).is_valid(token) or not plain


def _damage(data: dict[str, Any], how: str) -> dict[str, Any]:
    out = copy.deepcopy(data)
    tokens = out["description"][2]["tokens"]
    if how == "bool":
        tokens[3]["confidence"] = True
    elif how == "extra":
        tokens[0]["bold"] = True
    elif how == "missing":
        del tokens[-1]["text"]
    elif how == "type":
        tokens[1]["text"] = 7
        out["claims"][0]["tokens"][0] = "word"
    elif how == "not-a-list":
        out["description"][2]["tokens"] = {"text": "a", "confidence": 1.0}
    elif how == "elsewhere":
        out["pages"][0]["words"] = "many"
    return out


@pytest.mark.parametrize("how", ["none", "bool", "extra", "missing", "type", "not-a-list",
                                 "elsewhere"])  # fmt: skip
def test_same_errors_as_plain_jsonschema(data: dict[str, Any], how: str) -> None:
    damaged = _damage(data, how)
    plain = jsonschema.Draft202012Validator(schema())
    got = _errors(json_validator(), damaged)
    assert got == _errors(plain, damaged)
    assert bool(got) is (how != "none")


def test_threads_starting_together_share_one_validator() -> None:
    from output_schemas import jsonvalidator

    jsonvalidator._build.cache_clear()
    start = threading.Barrier(3)
    got: list[object] = []

    def first_use() -> None:
        start.wait()
        got.append(json_validator())

    threads = [threading.Thread(target=first_use) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 3 and got[0] is got[1] is got[2]
    assert jsonvalidator._build.cache_info().misses == 1

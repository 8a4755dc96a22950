"""The gate's JSON Schema check: Draft 2020-12 whatever else is imported, and its compiled
acceptance test says "valid" only where jsonschema finds nothing, so the gate reports exactly
what plain jsonschema reports.

Document: the recorded EP1000000A1 fixture (tests/resources/fulltext, see its README), mapped;
then damaged in many seeded ways (wrong types, missing and extra keys, out-of-range lists).
"""

from __future__ import annotations

import copy
import random
import threading
from typing import Any

import jsonschema
import pytest

from mapping.document import build_document
from output_schemas import jsonout
from output_schemas.jsonvalidator import certainly_valid, compile_acceptance, json_validator, schema
from output_schemas.validate import check_json
from tests.conftest import fixture_pages, load_fixture


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    fx = load_fixture("EP1000000A1.clean")
    doc = build_document(fx["doc_id"], fixture_pages(fx), non_text_ink=fx["ink"])
    return jsonout.to_json_dict(doc)


def test_draft_2020_12_by_name_and_the_shortcut_covers_the_schema() -> None:
    assert type(json_validator()) is jsonschema.Draft202012Validator
    assert compile_acceptance(schema()) is not None


def test_a_valid_document_is_accepted_without_jsonschema(data: dict[str, Any]) -> None:
    assert json_validator().is_valid(data)
    assert certainly_valid(data)
    assert len(data["description"]) > 5 and data["claims"]  # full text, not just a front page


_REPLACEMENTS: list[Any] = [None, True, 0, 1, 2.5, "", "x", [], [1, 2, 3, 4], {}, {"x": 1}]


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _nodes(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _nodes(v, (*path, i))
    return out


def _damaged(data: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    out = copy.deepcopy(data)
    path = rng.choice(_nodes(out)[1:])
    parent = out
    for key in path[:-1]:
        parent = parent[key]
    what = rng.random()
    if what < 0.6:
        parent[path[-1]] = copy.deepcopy(rng.choice(_REPLACEMENTS))
    elif what < 0.8 and isinstance(parent, dict):
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent["unexpected"] = 1
    else:
        parent.append(copy.deepcopy(parent[-1]) if rng.random() < 0.5 else "stray")
    return out


def test_never_accepts_what_jsonschema_rejects(data: dict[str, Any]) -> None:
    """On 200 damaged copies the acceptance test says "valid" only for valid ones, and the
    gate's findings equal plain jsonschema's."""
    rng = random.Random(20261126)
    plain = jsonschema.Draft202012Validator(schema())
    data = copy.deepcopy(data)  # a small copy: a few paragraphs of a few words
    data.update(description=data["description"][:3], claims=data["claims"][:2])
    for para in data["description"] + data["claims"] + data["abstract"]:
        para["tokens"] = para["tokens"][:4]
    rejected = 0
    for _ in range(200):
        damaged = _damaged(data, rng)
        errors = sorted(
            (e.message, "/" + "/".join(str(p) for p in e.absolute_path))
            for e in plain.iter_errors(damaged)
        )
        if certainly_valid(damaged):
            assert not errors
        got = sorted((f.message, f.path) for f in check_json(damaged))
        assert got == errors
        rejected += bool(errors)
    assert rejected > 60  # the damage really breaks the schema often


@pytest.mark.parametrize(
    ("schema_", "value", "accepted"),
    [
        ({"type": "integer"}, True, False),  # bool is not an integer
        ({"type": "number"}, 1, True),
        ({"enum": [1, "a"]}, True, False),  # True == 1 in Python, not in JSON
        ({"const": "a"}, "a", True),
        ({"type": "array", "prefixItems": [{"type": "integer"}], "items": {"type": "string"}},
         [1, "a", "b"], True),
        ({"type": "array", "prefixItems": [{"type": "integer"}], "items": {"type": "string"}},
         [1, 2], False),
        ({"properties": {"a": {"type": "string"}}, "additionalProperties": False}, {"b": 1}, False),
        ({"additionalProperties": {"type": "integer"}}, {"b": 1}, True),
        ({"required": ["a"]}, {}, False),
        ({"anyOf": [{"type": "null"}, {"minItems": 2}]}, [1], False),
    ],
)  # fmt: skip
def test_keywords(schema_: dict[str, Any], value: Any, accepted: bool) -> None:
    check = compile_acceptance(schema_)
    assert check is not None and check(value) is accepted
    assert jsonschema.Draft202012Validator(schema_).is_valid(value) or not accepted


def test_unknown_keywords_turn_the_shortcut_off() -> None:
    assert compile_acceptance({"type": "string", "pattern": "^a"}) is None
    assert compile_acceptance({"$ref": "https://example.invalid/x"}) is None


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

"""The JSON Schema validator of ipdocument.schema.json, built once per process.

Draft 2020-12 by name: `validator_for` would return whichever class last registered for the
2020-12 meta-schema, and Prefect registers its own (slower, with a hook for its placeholders)
when it is imported, so the gate's behaviour would depend on import order.

Most of a long document's JSON is word tokens (`{"text": ..., "confidence": ...}`), hundreds
per page. jsonschema descends into every one of them through `$ref`; an array of tokens that
are all plainly valid is accepted here in one pass instead. Anything else (a token with a
wrong type, a missing or extra key, another array) goes through jsonschema's own `items`, so
the errors reported are exactly jsonschema's.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

TOKEN_REF = {"$ref": "#/$defs/Token"}
TOKEN_SCHEMA = {
    "additionalProperties": False,
    "properties": {
        "confidence": {"title": "Confidence", "type": "number"},
        "text": {"title": "Text", "type": "string"},
    },
    "required": ["text", "confidence"],
    "title": "Token",
    "type": "object",
}
"""The schema the shortcut is written for; another Token schema turns the shortcut off."""
_TOKEN_KEYS = frozenset(("text", "confidence"))
_Draft = jsonschema.Draft202012Validator
_ITEMS = _Draft.VALIDATORS["items"]


def plain_token(value: object) -> bool:
    """True only for what TOKEN_SCHEMA certainly accepts: a dict with exactly a str `text`
    and a number `confidence` (int or float, not bool: JSON Schema's "number")."""
    return (
        type(value) is dict
        and value.keys() == _TOKEN_KEYS
        and type(value["text"]) is str
        and type(value["confidence"]) in (float, int)
    )


def _items(
    validator: Any, items: Any, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if items == TOKEN_REF and type(instance) is list and all(map(plain_token, instance)):
        return
    yield from _ITEMS(validator, items, instance, schema)


_TokenValidator = jsonschema.validators.extend(_Draft, {"items": _items})


def schema() -> dict[str, Any]:
    text = resources.files("output_schemas").joinpath("ipdocument.schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


_BUILDING = threading.Lock()


def json_validator() -> jsonschema.protocols.Validator:
    """The validator, built once per process (checking the schema against the meta-schema
    takes a tenth of a second); jsonschema validators are immutable and safe to share."""
    with _BUILDING:
        return _build()


@functools.lru_cache(maxsize=1)
def _build() -> jsonschema.protocols.Validator:
    doc = schema()
    _Draft.check_schema(doc)
    if doc.get("$defs", {}).get("Token") == TOKEN_SCHEMA:
        return _TokenValidator(doc)  # type: ignore[no-any-return]
    return _Draft(doc)

"""The JSON Schema check of ipdocument.schema.json: a fast acceptance test, then jsonschema.

jsonschema walks a document keyword by keyword, building a validator object for every node it
descends into: tens of milliseconds for one front page, more for a document with its full text.
Almost every document is valid, so the schema is also compiled into plain Python predicates
that answer one question, "certainly valid?", in one pass. They are written to be at least as
strict as the schema (an integer must be an `int`, where JSON Schema would also take 2.0), so
"yes" means jsonschema finds nothing; on "no" jsonschema runs as before and reports exactly its
own errors. A keyword the compiler does not know turns the shortcut off for the whole schema.

jsonschema's validator is Draft 2020-12 by name: `validator_for` would return whichever class
last registered for the 2020-12 meta-schema, and Prefect registers its own (slower, with a hook
for its placeholders) when it is imported, so the gate would depend on import order.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from importlib import resources
from typing import Any

import jsonschema

Check = Callable[[Any], bool]
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$id", "$schema", "$defs",
                          "$comment"})  # fmt: skip
_TYPES: dict[str, Check] = {
    "string": lambda v: type(v) is str,
    "integer": lambda v: type(v) is int,
    "number": lambda v: type(v) is int or type(v) is float,
    "boolean": lambda v: type(v) is bool,
    "null": lambda v: v is None,
    "object": lambda v: type(v) is dict,
    "array": lambda v: type(v) is list,
}


class Unsupported(Exception):
    """A schema construct the acceptance test does not cover."""


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same type (stricter than JSON Schema's equality, never looser)."""
    return type(a) is type(b) and a == b


class _Compiler:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def ref(self, ref: str) -> Check:
        if not ref.startswith("#/$defs/") or ref[8:] not in self.root.get("$defs", {}):
            raise Unsupported(ref)
        if ref not in self.refs:
            target: list[Check] = []
            self.refs[ref] = lambda v: target[0](v)  # recursive schemas resolve lazily
            target.append(self.compile(self.root["$defs"][ref[8:]]))
        return self.refs[ref]

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return lambda v: True
        if schema is False or not isinstance(schema, dict):
            raise Unsupported(repr(schema))
        checks: list[Check] = []
        for key, value in schema.items():
            if key in _ANNOTATIONS or key in ("properties", "additionalProperties", "prefixItems"):
                continue  # object and array keywords are compiled together below
            checks.append(self.keyword(key, value, schema))
        if "properties" in schema or "additionalProperties" in schema:
            checks.append(self.object_members(schema))
        if "prefixItems" in schema:
            checks.append(self.prefix_items(schema["prefixItems"]))
        if len(checks) == 1:
            return checks[0]
        return lambda v: all(check(v) for check in checks)

    def keyword(self, key: str, value: Any, schema: dict[str, Any]) -> Check:
        if key == "type":
            names = [value] if isinstance(value, str) else list(value)
            if any(n not in _TYPES for n in names):
                raise Unsupported(f"type {value!r}")
            kinds = [_TYPES[n] for n in names]
            return kinds[0] if len(kinds) == 1 else lambda v: any(k(v) for k in kinds)
        if key == "$ref":
            return self.ref(value)
        if key == "anyOf":
            subs = [self.compile(s) for s in value]
            return lambda v: any(s(v) for s in subs)
        if key == "enum":
            options = list(value)
            return lambda v: any(_same(v, o) for o in options)
        if key == "const":
            return lambda v: _same(v, value)
        if key == "required":
            names = list(value)
            return lambda v: type(v) is not dict or all(n in v for n in names)
        if key == "items":
            item = self.compile(value)
            skip = len(schema.get("prefixItems", ()))
            return lambda v: type(v) is not list or all(item(x) for x in v[skip:])
        if key == "minItems":
            return lambda v: type(v) is not list or len(v) >= value
        if key == "maxItems":
            return lambda v: type(v) is not list or len(v) <= value
        raise Unsupported(key)

    def object_members(self, schema: dict[str, Any]) -> Check:
        props = {k: self.compile(s) for k, s in schema.get("properties", {}).items()}
        extra = schema.get("additionalProperties", True)
        other: Check | None = None if extra is False else self.compile(extra)

        def members(v: Any) -> bool:
            if type(v) is not dict:
                return True
            for k, x in v.items():
                check = props.get(k, other)
                if check is None or not check(x):
                    return False
            return True

        return members

    def prefix_items(self, schemas: list[Any]) -> Check:
        subs = [self.compile(s) for s in schemas]
        return lambda v: type(v) is not list or all(s(x) for s, x in zip(subs, v, strict=False))


def schema() -> dict[str, Any]:
    text = resources.files("output_schemas").joinpath("ipdocument.schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def compile_acceptance(doc: dict[str, Any]) -> Check | None:
    """ "Certainly valid under `doc`?" as one predicate; None when the schema uses something the
    compiler does not cover (then every document goes through jsonschema)."""
    try:
        return _Compiler(doc).compile(doc)
    except Unsupported:
        return None


_BUILDING = threading.Lock()


def json_validator() -> jsonschema.protocols.Validator:
    """jsonschema's validator, built once per process (checking the schema against the
    meta-schema takes a tenth of a second); jsonschema validators are safe to share."""
    with _BUILDING:
        return _build()[0]


def certainly_valid(data: Any) -> bool:
    """True only when jsonschema would find no error in `data`."""
    with _BUILDING:
        accept = _build()[1]
    return accept is not None and accept(data)


@functools.lru_cache(maxsize=1)
def _build() -> tuple[jsonschema.protocols.Validator, Check | None]:
    doc = schema()
    jsonschema.Draft202012Validator.check_schema(doc)
    return jsonschema.Draft202012Validator(doc), compile_acceptance(doc)

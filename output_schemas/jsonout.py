"""IPDocument -> JSON (ST.97-style exchange), described by our own draft 2020-12 JSON Schema."""

from __future__ import annotations

import json
from typing import Any

from mapping.model import IPDocument

FORMAT = "ipdigitise/patent-publication/1"


def to_json_dict(doc: IPDocument) -> dict[str, Any]:
    data = doc.model_dump(mode="json")
    return {"format": FORMAT, **data}


def dumps(data: dict[str, Any]) -> bytes:
    """Deterministic bytes: sorted keys, UTF-8, trailing newline."""
    return (json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode("utf-8")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of `to_json_dict`'s output, generated from the model (see the committed
    output_schemas/ipdocument.schema.json, which a test keeps equal to this)."""
    schema = IPDocument.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://ipdigitise.invalid/schemas/ipdocument.schema.json"
    schema["title"] = "ipdigitise patent publication"
    schema["properties"] = {"format": {"const": FORMAT}, **schema["properties"]}
    schema["required"] = sorted({"format", "doc_id", *schema.get("required", [])})
    schema["additionalProperties"] = False
    return schema


def schema_bytes() -> bytes:
    """The committed schema file's exact bytes (regenerate with `python -m output_schemas.jsonout`)."""
    return dumps(json_schema())


if __name__ == "__main__":
    from importlib import resources

    target = resources.files("output_schemas").joinpath("ipdocument.schema.json")
    with resources.as_file(target) as path:
        path.write_bytes(schema_bytes())
        print(f"wrote {path}")

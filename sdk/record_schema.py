"""The detection record's one declaration, `detection.schema.json` (package data beside the
manifest's schema), and what readers of records take from it: the fields in their order,
the region's fields, which fields are maps (dicts in JSON, key/value pairs in Arrow), and
text made safe to write in a record.

`Detection.to_dict` and `DetectionFailure.to_dict` write records of this schema; scan's
Arrow schema is derived from `FIELDS`; the report reads records through it. No pyarrow
here: the core runtime does not need it."""

from __future__ import annotations

import json
from importlib import resources


def json_schema(name: str) -> dict:
    """A JSON Schema shipped with the package: "detection" or "summary" (a run summary)."""
    return json.loads(resources.files("artifactsdk").joinpath(f"{name}.schema.json").read_text(encoding="utf-8"))


SCHEMA = json_schema("detection")
FIELDS: dict[str, dict] = SCHEMA["properties"]  # every field a record may have, in column order
REGION_FIELDS: dict[str, dict] = SCHEMA["$defs"]["region"]["properties"]
MAP_FIELDS = tuple(name for name, spec in FIELDS.items() if "additionalProperties" in spec)


def resolved(spec: dict) -> dict:
    """A field's schema with its local reference ("#/$defs/...") followed."""
    if "$ref" not in spec:
        return spec
    return SCHEMA["$defs"][spec["$ref"].removeprefix("#/$defs/")]


def types(spec: dict) -> tuple[str, ...]:
    """The JSON types a field's schema allows, "null" last if at all."""
    kinds = resolved(spec)["type"]
    return (kinds,) if isinstance(kinds, str) else tuple(sorted(kinds, key=lambda kind: kind == "null"))


def safe_text(text: str) -> str:
    """`text` with the bytes of a non-UTF-8 file name (kept by Python as lone surrogates)
    written as \\xNN, so it encodes as UTF-8 and strict JSON parsers accept it."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def map_value(value):
    """A map field as a dict: Arrow's maps come back from `to_pylist()` as a list of
    (key, value) pairs, other writers' as {"key": ..., "value": ...} objects."""
    if not isinstance(value, list):
        return value
    return {pair["key"] if isinstance(pair, dict) else pair[0]:
            pair["value"] if isinstance(pair, dict) else pair[1] for pair in value}

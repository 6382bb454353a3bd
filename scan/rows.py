"""One results row per image: the Parquet schema both scan engines write, derived from
the detection record's JSON Schema (`artifactsdk.record_schema`), column for field.

A row holds the fields of `Detection.to_dict(timings=True)` (the record `artifactsdk
detect` writes as JSON, under the same names) plus where the image came from (its
content hash and byte count), the mask / overlay files written for it, and, for an
image that could not be processed, the error instead of the detection's fields.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa

from artifactsdk.detection import DetectionFailure
from artifactsdk.record_schema import FIELDS, MAP_FIELDS, map_value, resolved, types

_SCALARS = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}


def arrow_type(spec: dict) -> pa.DataType:
    """The Arrow type of a field of the record's JSON Schema (every Arrow field is nullable)."""
    spec = resolved(spec)
    kind = types(spec)[0]
    if kind == "array":
        return pa.list_(arrow_type(spec["items"]))
    if kind == "object" and "properties" in spec:
        return pa.struct([(name, arrow_type(field)) for name, field in spec["properties"].items()])
    if kind == "object":
        return pa.map_(pa.string(), arrow_type(spec["additionalProperties"]))
    return _SCALARS[kind]


SCHEMA = pa.schema([(name, arrow_type(spec)) for name, spec in FIELDS.items()])

KEY = ("source", "content_hash")  # what --resume recognises an image by
MEDIA_KINDS = ("mask", "overlay")  # pictures a row may name, in folders masks/ and overlays/


def media_folder(kind: str) -> str:
    return f"{kind}s"


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def detection_row(source: str, digest: str, data_bytes: int, detection, media: dict[str, str] | None = None) -> dict:
    record = detection.to_dict(timings=True)
    record["source"] = source
    return {**record, "content_hash": digest, "file_bytes": data_bytes, **(media or {})}


def error_row(source: str, digest: str | None, data_bytes: int | None, failure: DetectionFailure) -> dict:
    return {**failure.to_dict(), "source": source, "content_hash": digest, "file_bytes": data_bytes}


def to_table(rows: list[dict], schema: pa.Schema = SCHEMA) -> pa.Table:
    """Rows -> a table of SCHEMA (missing fields are null); `schema`: SCHEMA with file metadata."""
    columns = {name: [row.get(name) for row in rows] for name in SCHEMA.names}
    for name in MAP_FIELDS:
        columns[name] = [None if value is None else list(value.items()) for value in columns[name]]
    return pa.Table.from_pydict(columns, schema=schema)


def to_record(row: dict) -> dict:
    """A row read back with `Table.to_pylist()` -> the JSON-like record (maps as dicts)."""
    return {name: map_value(value) if name in MAP_FIELDS else value for name, value in row.items()}

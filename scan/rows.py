"""One results row per image: the Parquet schema both scan engines write.

A row holds the fields of `Detection.to_dict(timings=True)` (the record `artifactsdk
detect` writes as JSON, under the same names) plus where the image came from (its
content hash and byte count), the mask / overlay files written for it, and, for an
image that could not be processed, the error instead of the detection's fields.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa

from artifactsdk.detection import DetectionFailure
from artifactsdk.image_files import safe_text

_REGION = pa.struct([
    ("box", pa.list_(pa.int64())), ("area_fraction", pa.float64()), ("mean_score", pa.float64()),
    ("label", pa.string()), ("label_name", pa.string()), ("caption", pa.string()),
])

SCHEMA = pa.schema([
    ("source", pa.string()),  # the path (or URI) the image was read from
    ("content_hash", pa.string()),  # sha256 of the file's bytes, hex
    ("file_bytes", pa.int64()),
    ("size", pa.list_(pa.int64())),  # (width, height) the detection is reported in
    ("original_size", pa.list_(pa.int64())),
    ("artifact_score", pa.float64()),
    ("is_artifact", pa.bool_()),
    ("labels", pa.list_(pa.string())),
    ("scores", pa.map_(pa.string(), pa.float64())),
    ("segmented", pa.bool_()),
    ("pixel_threshold", pa.float64()),
    ("regions", pa.list_(_REGION)),
    ("timings_ms", pa.map_(pa.string(), pa.float64())),
    ("mask", pa.string()),  # mask / overlay PNG written for the image, relative to the results
    ("overlay", pa.string()),
    ("error", pa.string()),  # why the image could not be processed (the other fields are then null)
    ("error_type", pa.string()),
])

KEY = ("source", "content_hash")  # what --resume recognises an image by
MEDIA_KINDS = ("mask", "overlay")  # pictures a row may name, in folders masks/ and overlays/
_MAPS = ("scores", "timings_ms")  # dicts in a record, key/value pairs in Arrow


def media_folder(kind: str) -> str:
    return f"{kind}s"


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def detection_row(source: str, digest: str, data_bytes: int, detection, media: dict[str, str] | None = None) -> dict:
    record = detection.to_dict(timings=True)
    record["source"] = source
    return {**record, "content_hash": digest, "file_bytes": data_bytes, **(media or {})}


def error_row(source: str, digest: str | None, data_bytes: int | None, failure: DetectionFailure) -> dict:
    return {"source": source, "content_hash": digest, "file_bytes": data_bytes, "error": safe_text(failure.error),
            "error_type": failure.error_type}


def to_table(rows: list[dict], schema: pa.Schema = SCHEMA) -> pa.Table:
    """Rows -> a table of SCHEMA (missing fields are null); `schema`: SCHEMA with file metadata."""
    columns = {name: [row.get(name) for row in rows] for name in SCHEMA.names}
    for name in _MAPS:
        columns[name] = [None if value is None else list(value.items()) for value in columns[name]]
    return pa.Table.from_pydict(columns, schema=schema)


def to_record(row: dict) -> dict:
    """A row read back with `Table.to_pylist()` -> the JSON-like record (maps as dicts)."""
    return {name: dict(value) if name in _MAPS and value is not None else value for name, value in row.items()}

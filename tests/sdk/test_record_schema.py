"""The detection record has one declaration, detection.schema.json: what the runtime writes
follows it, and scan's Arrow schema is derived from it (issue 25, "Deliver" 3)."""

from __future__ import annotations

import jsonschema
import numpy as np
import pytest

from artifactsdk.detection import DetectionFailure
from artifactsdk.errors import ImageDecodeError
from artifactsdk.record_schema import FIELDS, MAP_FIELDS, REGION_FIELDS, SCHEMA
from tiny_bundle import write_red_square_images

RECORD = jsonschema.Draft202012Validator(SCHEMA)


def test_detection_to_dict_follows_the_schema(detector, tmp_path):
    folder = write_red_square_images(tmp_path, 2, 26, "img{}.png")
    detections = [detector.detect(path) for path in sorted(folder.glob("*.png"))]
    assert any(detection.regions for detection in detections), "a record with regions must be checked"
    for detection in detections:
        RECORD.validate(detection.to_dict())
        RECORD.validate(detection.to_dict(timings=True))


def test_failure_to_dict_follows_the_schema_and_is_safe_text():
    failure = DetectionFailure.of("bad\udcff.png", ValueError("broken"))
    record = failure.to_dict()
    RECORD.validate(record)
    assert record["source"] == "bad\\xff.png"
    assert record["error"].encode("utf-8")  # strict UTF-8: no lone surrogates left
    RECORD.validate(DetectionFailure.of(None, ImageDecodeError("x.png: not an image")).to_dict())


def test_a_record_is_a_detection_or_a_failure_never_both(detector):
    record = detector.detect(np.zeros((32, 32, 3), np.uint8)).to_dict()
    with pytest.raises(jsonschema.ValidationError):
        RECORD.validate({**record, "error": "broken", "error_type": "ValueError"})


def test_the_arrow_schema_is_derived_field_for_field():
    pa = pytest.importorskip("pyarrow")
    from artifactsdk.scan.rows import SCHEMA as ARROW

    assert ARROW.names == list(FIELDS)
    assert MAP_FIELDS == ("scores", "timings_ms")
    assert all(ARROW.field(name).type == pa.map_(pa.string(), pa.float64()) for name in MAP_FIELDS)
    assert ARROW.field("regions").type.value_type.names == list(REGION_FIELDS)
    assert ARROW.field("size").type == pa.list_(pa.int64())
    assert ARROW.field("is_artifact").type == pa.bool_()

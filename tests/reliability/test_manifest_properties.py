"""Property-based tests of manifest validation: any value put anywhere in a valid manifest
either passes both checks with values the runtime can use, or fails with BundleError."""

from __future__ import annotations

import copy
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from artifactsdk.errors import BundleError
from artifactsdk.manifest import MANIFEST_NAME, parse_manifest

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8)


@pytest.fixture(scope="module")
def manifest(tiny_bundle):
    return json.loads((tiny_bundle / MANIFEST_NAME).read_text())


def _places(value, path=()):
    """Every (container path, key) in a parsed JSON document."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield path, key
        yield from _places(child, (*path, key))


def _usable(manifest: dict) -> None:
    for model in manifest["models"].values():
        spec = model["input"]
        assert 1 <= spec["height"] <= 8192 and 1 <= spec["width"] <= 8192
        assert all(math.isfinite(s) and s >= 1e-4 for s in spec["std"])
        for value in model.get("thresholds", {}).values():
            assert isinstance(value, (int, float)) and 0 <= value <= 1
        labels = model.get("labels", [])
        assert sorted(label["index"] for label in labels) == list(range(len(labels)))


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_single_change_is_usable_or_a_bundle_error(manifest, data):
    places = list(_places(manifest))
    path, key = data.draw(st.sampled_from(places))
    changed = copy.deepcopy(manifest)
    target = changed
    for step in path:
        target = target[step]
    target[key] = data.draw(JSON_VALUES)
    try:
        parsed = parse_manifest(json.dumps(changed).encode(), "manifest")
    except BundleError:
        return
    _usable(parsed)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=512))
def test_any_bytes_parse_or_give_a_bundle_error(data):
    try:
        parse_manifest(data, "manifest")
    except BundleError:
        pass

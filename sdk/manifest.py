"""The bundle manifest: schema check on write and read, and file verification.

A bundle is a directory holding `manifest.json` and the model files it lists. The
manifest carries all metadata (never prepended to a model or engine file); each file
is listed with its sha256, which is checked before anything is loaded.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import posixpath
from functools import lru_cache
from importlib import resources
from pathlib import Path

from artifactsdk.errors import BundleError

MANIFEST_NAME = "manifest.json"
MAX_MANIFEST_BYTES = 4 << 20  # a manifest is a few kilobytes; anything near this is not one
MAX_NESTING = 32  # the schema's deepest path is about 10 levels


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(resources.files("artifactsdk").joinpath("manifest.schema.json").read_text())


def validate_manifest(manifest: dict, where: str = "manifest") -> None:
    """Raise BundleError listing every place where `manifest` breaks the schema."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    problems = sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path))
    if problems:
        lines = [f"  at {'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in problems[:10]]
        raise BundleError(f"{where} does not match the bundle schema:\n" + "\n".join(lines))


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


# The messages of onnx.proto that can hold a TensorProto, by field number -> the message that
# field holds. The walk follows these and reads every field by its number, whatever the order
# the fields were written in (protobuf allows any), so no ordering of the bytes hides a reference.
_ONNX_MESSAGES = {
    "model": {7: "graph", 20: "training_info", 25: "function"},
    "training_info": {1: "graph", 2: "graph"},
    "graph": {1: "node", 5: "tensor", 15: "sparse_tensor"},
    "function": {7: "node"},
    "node": {5: "attribute"},
    "attribute": {5: "tensor", 6: "graph", 10: "tensor", 11: "graph", 22: "sparse_tensor", 23: "sparse_tensor"},
    "sparse_tensor": {1: "tensor", 2: "tensor"},
    "tensor": {13: "external_data_entry"},
}
_ENTRY_KEY, _ENTRY_VALUE = 1, 2  # StringStringEntryProto
_LENGTH_DELIMITED = 2
_FIXED_SIZE = {1: 8, 5: 4}  # wire types 64-bit and 32-bit


def _varint(data: memoryview, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while pos < len(data) and shift < 64:
        byte = data[pos]
        value, shift, pos = value | (byte & 0x7F) << shift, shift + 7, pos + 1
        if byte < 0x80:
            return value, pos
    raise ValueError(f"a varint is cut or too long at byte {pos}")


def _fields(message: memoryview):
    """(field number, value) of each field of one protobuf message: the bytes of a
    length-delimited field, None for the others (numbers are not needed here)."""
    pos = 0
    while pos < len(message):
        key, pos = _varint(message, pos)
        number, wire = key >> 3, key & 7
        value = None
        if wire == 0:
            _, pos = _varint(message, pos)
        elif wire == _LENGTH_DELIMITED:
            length, pos = _varint(message, pos)
            value = message[pos:pos + length]
            pos += length
        elif wire in _FIXED_SIZE:
            pos += _FIXED_SIZE[wire]
        else:
            raise ValueError(f"wire type {wire} of field {number} is not one protobuf writes")
        if pos > len(message):
            raise ValueError(f"field {number} runs past the end of its message")
        yield number, value


def _external_locations(model: memoryview) -> set[str]:
    """The `location` of every external-data entry of every tensor in a serialized ModelProto."""
    found, stack = set(), [("model", model)]
    while stack:
        kind, message = stack.pop()
        if kind == "external_data_entry":
            entry = {number: bytes(value) for number, value in _fields(message) if value is not None}
            if entry.get(_ENTRY_KEY) == b"location" and _ENTRY_VALUE in entry:
                found.add(entry[_ENTRY_VALUE].decode("utf-8", "backslashreplace"))
            continue
        children = _ONNX_MESSAGES[kind]
        stack.extend((children[number], value) for number, value in _fields(message)
                     if value is not None and number in children)
    return found


def external_data_locations(onnx_path: str | Path) -> set[str]:
    """The external data files an ONNX model names (relative to its folder), found by parsing
    its protobuf (without the onnx package, which the runtime does not need): what the writer
    lists and what the verifier expects come from this one reading."""
    with open(onnx_path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return set()
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            view = memoryview(mapped)
            try:
                return _external_locations(view)
            except ValueError as exc:
                raise BundleError(f"{onnx_path} is not a readable ONNX model: {exc}.") from None
            finally:
                view.release()


def _record(path: Path, relative_path: str) -> dict:
    return {"path": relative_path, "sha256": sha256_file(path), "bytes": path.stat().st_size}


def file_entry(bundle_dir: str | Path, relative_path: str, fmt: str, precision: str,
               external_data: list[str] | tuple[str, ...] = (), **extra) -> dict:
    """The manifest record of a file already written inside the bundle; `external_data`
    names the files its weights live in (ONNX external data), each hashed too."""
    entry = {**_record(Path(bundle_dir) / relative_path, relative_path), "format": fmt, "precision": precision,
             **extra}
    if external_data:
        entry["external_data"] = [_record(Path(bundle_dir) / name, name) for name in external_data]
    return entry


def write_manifest(bundle_dir: str | Path, manifest: dict) -> Path:
    """Validate and write `manifest.json` (sorted keys, so equal content gives equal bytes)."""
    validate_manifest(manifest)
    check_semantics(manifest)
    path = Path(bundle_dir) / MANIFEST_NAME
    path.write_text(manifest_text(manifest), encoding="utf-8")
    return path


def manifest_text(manifest: dict) -> str:
    return json.dumps(manifest, indent=2, sort_keys=True) + "\n"


def read_manifest_bytes(bundle_dir: str | Path) -> bytes:
    """The raw bytes of `manifest.json` (what a signature covers), size-limited."""
    path = bundle_path(bundle_dir, MANIFEST_NAME)
    if not path.is_file():
        raise BundleError(f"{bundle_dir} is not a bundle: it has no {MANIFEST_NAME}. "
                          "Create one with 'artifactsdk export'.")
    with open(path, "rb") as fh:
        data = fh.read(MAX_MANIFEST_BYTES + 1)
    if len(data) > MAX_MANIFEST_BYTES:
        raise BundleError(f"{path} is larger than {MAX_MANIFEST_BYTES:,} bytes; a manifest is a few kilobytes.")
    return data


def _parse_constant(name: str) -> float:
    """Infinity passes (an exact layer's SQNR); every range the runtime reads is bounded in the
    schema, which a NaN would slip through (it compares false), so NaN is refused here."""
    if name == "NaN":
        raise ValueError("NaN is not a number the runtime can use")
    return float(name)


def parse_manifest(data: bytes, where: str) -> dict:
    """Manifest bytes -> a dict that passes the schema and the semantic check."""
    try:
        manifest = json.loads(data.decode("utf-8"), parse_constant=_parse_constant)
    except RecursionError:
        raise BundleError(f"{where} nests deeper than the JSON parser allows; not a manifest.") from None
    except (UnicodeDecodeError, ValueError) as exc:  # json.JSONDecodeError is a ValueError
        raise BundleError(f"{where} is not valid JSON: {exc}") from exc
    if _depth(manifest) > MAX_NESTING:
        raise BundleError(f"{where} nests deeper than {MAX_NESTING} levels; not a manifest.")
    if not isinstance(manifest, dict):
        raise BundleError(f"{where} holds a JSON {type(manifest).__name__}, not an object.")
    validate_manifest(manifest, where=where)
    check_semantics(manifest, where=where)
    return manifest


def _depth(value) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_NESTING:
            break
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, level + 1) for child in children)
    return deepest


def read_manifest(bundle_dir: str | Path) -> dict:
    return parse_manifest(read_manifest_bytes(bundle_dir), str(Path(bundle_dir) / MANIFEST_NAME))


def bundle_path(bundle_dir: str | Path, relative_path: str) -> Path:
    """`relative_path` resolved inside the bundle, checked before anything is opened: relative,
    normalised ('/'-separated, no '.', '..' or empty parts) and not a link leading outside.
    Errors repeat the manifest's text only, never anything about a file outside the bundle."""
    parts = relative_path.split("/")
    if (not relative_path or relative_path.startswith("/") or "\\" in relative_path or "\x00" in relative_path
            or any(part in ("", ".", "..") for part in parts)):
        raise BundleError(f"bundle path {relative_path!r} is not a normalised relative path inside the bundle "
                          "(no '..', '.', empty parts, backslashes or leading '/'); refused.")
    root = os.path.realpath(bundle_dir)
    real = os.path.realpath(os.path.join(root, *parts))
    if os.path.commonpath([root, real]) != root:
        raise BundleError(f"bundle path {relative_path!r} is a link that leads outside the bundle; refused.")
    return Path(bundle_dir, *parts)


def _verify_one(bundle_dir: str | Path, record: dict) -> Path:
    path = bundle_path(bundle_dir, record["path"])
    if not path.is_file():
        raise BundleError(f"bundle file {path} is listed in the manifest but missing.")
    size = path.stat().st_size
    if size != record["bytes"]:
        raise BundleError(f"bundle file {path} has {size} bytes, the manifest expects "
                          f"{record['bytes']}: it was changed or truncated. Re-export the bundle.")
    actual = sha256_file(path)
    if actual != record["sha256"]:
        raise BundleError(f"bundle file {path} fails verification: sha256 {actual} does not match "
                          f"the manifest's {record['sha256']}. The file was modified; re-export the bundle.")
    return path


def verify_file(bundle_dir: str | Path, entry: dict) -> Path:
    """Check one listed file's size and sha256, and those of its external data files, and that
    an ONNX model loads no external data the manifest does not list; return its path or raise
    BundleError."""
    listed = {record["path"] for record in entry.get("external_data", ())}
    for record in entry.get("external_data", ()):
        _verify_one(bundle_dir, record)
    path = _verify_one(bundle_dir, entry)
    locations = external_data_locations(path) if entry["format"] == "onnx" else set()
    folder = posixpath.dirname(entry["path"])
    unlisted = sorted({posixpath.normpath(posixpath.join(folder, location)) for location in locations} - listed)
    if unlisted:
        raise BundleError(f"bundle file {entry['path']} loads external data {unlisted} that its manifest entry "
                          "does not list or hash; refused. Re-export the bundle.")
    return path


def verify_bundle(bundle_dir: str | Path, manifest: dict | None = None) -> dict:
    """Verify every file of every model; return the manifest."""
    manifest = manifest if manifest is not None else read_manifest(bundle_dir)
    for model in manifest["models"].values():
        for entry in model["files"].values():
            verify_file(bundle_dir, entry)
    return manifest


def check_semantics(manifest: dict, where: str = "manifest") -> None:
    """What the schema cannot say: label indices unique and within the labels, trained
    classes that name a label, output names unique. (Names and sizes that need the
    graph are checked when a model is loaded: Detector.load.)"""
    for role, model in manifest["models"].items():
        labels = model.get("labels", [])
        indices = [label["index"] for label in labels]
        if len(set(indices)) != len(indices) or any(index >= len(labels) for index in indices):
            raise BundleError(f"{where}: the {role}'s label indices {sorted(indices)} must be distinct and "
                              f"below the number of labels ({len(labels)}).")
        keys = {label["key"] for label in labels}
        trained = model.get("source", {}).get("config", {}).get("trained_classes", [])
        unknown = [key for key in trained if key not in keys] if labels else []
        if unknown:
            raise BundleError(f"{where}: the {role}'s trained_classes {unknown} are not among its labels.")
        names = [output["name"] for output in model["outputs"]]
        if len(set(names)) != len(names):
            raise BundleError(f"{where}: the {role} lists an output name twice: {names}.")

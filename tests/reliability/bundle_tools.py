"""Make bad bundles from the tiny one: copy it, then edit the manifest as raw JSON (no
validation on the way, like an attacker's editor) or its files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from artifactsdk.manifest import MANIFEST_NAME, sha256_file


def copy_bundle(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def load(root: Path) -> dict:
    return json.loads((root / MANIFEST_NAME).read_text())


def save(root: Path, manifest: dict) -> None:
    (root / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2))


def edit(root: Path, change) -> Path:
    """Apply `change(manifest)` and write the result unchecked."""
    manifest = load(root)
    change(manifest)
    save(root, manifest)
    return root


def rehash(record: dict, path: Path) -> None:
    """What an attacker who can write the bundle does after swapping a file."""
    record["sha256"] = sha256_file(path)
    record["bytes"] = path.stat().st_size


def only_fp32(manifest: dict) -> None:
    """Drop the int8 files so the fp32 ones (the ones the tests change) are loaded."""
    for model in manifest["models"].values():
        model["files"] = {"fp32": model["files"]["fp32"]}


def key_pair(folder: Path, name: str) -> tuple[Path, Path]:
    """A new Ed25519 key pair as PEM files: (private, public)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private, public = folder / f"{name}.pem", folder / f"{name}.pub.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public

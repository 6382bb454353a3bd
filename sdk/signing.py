"""Signed bundles: a detached Ed25519 signature over the exact bytes of manifest.json.

The manifest lists every file's sha256, so a valid signature over it covers the whole
bundle. Keys are PEM files (`openssl genpkey -algorithm ed25519`); the `cryptography`
package does the signing and checking (the optional extra `artifactsdk[sign]`).
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from artifactsdk.errors import BundleError, MissingDependencyError
from artifactsdk.manifest import MANIFEST_NAME, bundle_path, read_manifest_bytes

SIGNATURE_NAME = MANIFEST_NAME + ".sig"  # base64 of the 64-byte Ed25519 signature


def _serialization():
    try:
        from cryptography.hazmat.primitives import serialization
    except ImportError:
        raise MissingDependencyError("cryptography", "sign", "Signing or checking bundle signatures") from None
    return serialization


def _ed25519():
    _serialization()
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return ed25519


def load_private_key(path: str | Path):
    """An Ed25519 private key from a PEM file (unencrypted)."""
    try:
        key = _serialization().load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise BundleError(f"signing key {path}: cannot be read as an unencrypted PEM private key ({exc}).") from exc
    if not isinstance(key, _ed25519().Ed25519PrivateKey):
        raise BundleError(f"signing key {path} is a {type(key).__name__}; bundles are signed with Ed25519 keys.")
    return key


def load_public_key(key):
    """An Ed25519 public key from a PEM file path, PEM bytes, or a key object."""
    ed25519 = _ed25519()
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    what = "the public key bytes" if isinstance(key, bytes) else str(key)
    try:
        loaded = _serialization().load_pem_public_key(key if isinstance(key, bytes) else Path(key).read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        raise BundleError(f"trusted key {what}: cannot be read as a PEM public key ({exc}).") from exc
    if not isinstance(loaded, ed25519.Ed25519PublicKey):
        raise BundleError(f"trusted key {what} is a {type(loaded).__name__}; bundles are signed with Ed25519 keys.")
    return loaded


def sign_bundle(bundle_dir: str | Path, private_key) -> Path:
    """Write manifest.json.sig for the bundle's current manifest; `private_key` is a key
    object or a PEM file path."""
    key = private_key if isinstance(private_key, _ed25519().Ed25519PrivateKey) else load_private_key(private_key)
    signature = key.sign(read_manifest_bytes(bundle_dir))
    path = Path(bundle_dir) / SIGNATURE_NAME
    path.write_text(base64.b64encode(signature).decode("ascii") + "\n", encoding="ascii")
    return path


def verify_signature(bundle_dir: str | Path, manifest_bytes: bytes, trusted_keys) -> None:
    """Raise BundleError unless one of `trusted_keys` signed exactly `manifest_bytes`."""
    keys = [load_public_key(key) for key in trusted_keys]  # a MissingDependencyError without cryptography
    if not keys:
        raise BundleError("trusted_keys is empty: give at least one public key, or None to skip the check.")
    from cryptography.exceptions import InvalidSignature

    path = bundle_path(bundle_dir, SIGNATURE_NAME)
    if not path.is_file():
        raise BundleError(f"bundle {bundle_dir} is not signed (no {SIGNATURE_NAME}) and trusted keys were given; "
                          "refused. Sign it with 'artifactsdk export ... --sign KEY'.")
    try:
        signature = base64.b64decode(path.read_bytes()[:200].strip(), validate=True)
    except (binascii.Error, ValueError):
        signature = b""
    for key in keys:
        try:
            key.verify(signature, manifest_bytes)
            return
        except InvalidSignature:
            continue
    raise BundleError(f"bundle {bundle_dir}: {SIGNATURE_NAME} is not a valid signature of manifest.json by any "
                      f"of the {len(keys)} trusted key(s); the manifest or its signature was changed. Refused.")

"""Signed bundles (issue 15, "Why" 7): whoever can write the bundle can swap a model and its
hash together; with trusted keys that bundle is refused."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from artifactsdk import BundleError, Detector
from artifactsdk.cli import main
from artifactsdk.signing import SIGNATURE_NAME, sign_bundle
from bundle_tools import copy_bundle, edit, key_pair, only_fp32, rehash


@pytest.fixture
def signed(tiny_bundle, tmp_path):
    bundle = edit(copy_bundle(tiny_bundle, tmp_path / "bundle"), only_fp32)
    private, public = key_pair(tmp_path, "release")
    sign_bundle(bundle, private)
    return bundle, public


def test_a_signed_bundle_loads_with_its_key(signed):
    bundle, public = signed
    with Detector.load(bundle, trusted_keys=[public]) as detector:
        assert detector.bundle.root == bundle
    with Detector.load(bundle, trusted_keys=[public.read_bytes()]):
        pass


def test_a_model_swapped_with_its_hash_is_refused(signed, tiny_bundle):
    bundle, public = signed
    swapped = bundle / "segmenter.fp32.onnx"
    swapped.write_bytes((tiny_bundle / "segmenter.int8.onnx").read_bytes())  # another model, same names
    edit(bundle, lambda m: rehash(m["models"]["segmenter"]["files"]["fp32"], swapped))
    Detector.load(bundle).close()  # unsigned trust: the swap goes through, as the issue describes
    with pytest.raises(BundleError, match="not a valid signature"):
        Detector.load(bundle, trusted_keys=[public])


def test_missing_signature_or_other_key_is_refused(signed, tmp_path):
    bundle, public = signed
    _, stranger = key_pair(tmp_path, "stranger")
    with pytest.raises(BundleError, match="not a valid signature"):
        Detector.load(bundle, trusted_keys=[stranger])
    (bundle / SIGNATURE_NAME).unlink()
    with pytest.raises(BundleError, match="is not signed"):
        Detector.load(bundle, trusted_keys=[public])


def test_validate_key_refuses_an_unsigned_bundle(signed):
    bundle, public = signed
    (bundle / SIGNATURE_NAME).unlink()
    result = CliRunner().invoke(main, ["validate", str(bundle), "--key", str(public)])
    assert result.exit_code == 1 and "is not signed" in result.output and "bundle OK" not in result.output


def test_checking_a_signature_without_cryptography_names_the_extra(tiny_bundle, tmp_path, monkeypatch):
    from artifactsdk.errors import MissingDependencyError
    from artifactsdk.signing import verify_signature

    for name in ("cryptography", "cryptography.exceptions", "cryptography.hazmat.primitives",
                 "cryptography.hazmat.primitives.asymmetric"):
        monkeypatch.setitem(sys.modules, name, None)  # what an install without the extra imports
    with pytest.raises(MissingDependencyError, match="sign"):
        verify_signature(tiny_bundle, b"{}", [tmp_path / "key.pub.pem"])

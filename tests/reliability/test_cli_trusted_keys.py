"""Signatures required from the command line (issue 26, "Why" 10): every command that loads a
bundle takes --key (repeatable) and reads $ARTIFACTSDK_TRUSTED_KEYS, so an operator can
refuse unsigned bundles without Python."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from PIL import Image

from artifactsdk.cli import main
from artifactsdk.cli.option_settings import TRUSTED_KEYS_VARIABLE
from artifactsdk.signing import sign_bundle
from bundle_tools import copy_bundle, edit, key_pair, only_fp32
from tiny_bundle import red_square_image


@pytest.fixture
def bundles(tiny_bundle, tmp_path):
    """(an unsigned bundle, a signed one, the signer's public key)."""
    unsigned = edit(copy_bundle(tiny_bundle, tmp_path / "unsigned"), only_fp32)
    signed = edit(copy_bundle(tiny_bundle, tmp_path / "signed"), only_fp32)
    private, public = key_pair(tmp_path, "release")
    sign_bundle(signed, private)
    return unsigned, signed, public


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    Image.fromarray(red_square_image(64, (4, 6, 24, 26))).save(folder / "a.png")
    return folder


def _commands(images, out):
    """Each command that loads a bundle, as it would run on `images`, writing under `out`."""
    return {
        "detect": ["detect", images, "--quiet"],
        "scan": ["scan", images, "--out", out / "scan", "--quiet"],
        "rank": ["rank", images, "--quiet"],
        "fix": ["fix", images, "--out", out / "fix", "--quiet"],
        "export-web": ["export-web", "--out", out / "web"],
    }


@pytest.mark.parametrize("command", ["detect", "scan", "rank", "fix", "export-web"])
def test_every_command_refuses_an_unsigned_bundle_given_a_key(bundles, images, tmp_path, command):
    unsigned, _, public = bundles
    args = _commands(images, tmp_path)[command]
    if command == "export-web":
        args = [args[0], unsigned, *args[1:]]
    else:
        args = [*args, "--bundle", unsigned]
    result = CliRunner().invoke(main, [*map(str, args), "--key", str(public)])
    assert result.exit_code == 1 and "is not signed" in result.output, result.output


@pytest.mark.parametrize("command", ["detect", "scan", "rank"])
def test_a_signed_bundle_runs_with_its_key_from_the_environment(bundles, images, tmp_path, command):
    unsigned, signed, public = bundles
    _, stranger = key_pair(tmp_path, "stranger")
    args = [*map(str, _commands(images, tmp_path)[command]), "--bundle", str(signed)]
    keys = os.pathsep.join([str(stranger), str(public)])  # any one trusted key is enough
    refused = CliRunner().invoke(main, args, env={TRUSTED_KEYS_VARIABLE: str(stranger)})
    assert refused.exit_code == 1 and "not a valid signature" in refused.output
    result = CliRunner().invoke(main, args, env={TRUSTED_KEYS_VARIABLE: keys})
    assert result.exit_code == 0, result.output


def test_a_key_that_is_not_a_public_key_is_a_usage_error(bundles, images, tmp_path):
    _, signed, _ = bundles
    private, _ = key_pair(tmp_path, "oops")
    result = CliRunner().invoke(main, ["detect", str(images), "--bundle", str(signed), "--key", str(private)])
    assert result.exit_code == 2 and "--key" in result.output and "PEM public key" in result.output


def test_serve_refuses_an_unsigned_bundle_given_a_key(bundles):
    unsigned, _, public = bundles
    command = [sys.executable, "-m", "artifactsdk.cli", "serve", "--bundle", str(unsigned), "--port", "0",
               "--log-level", "error"]
    done = subprocess.run(command, env={**os.environ, TRUSTED_KEYS_VARIABLE: str(public)}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0 and "is not signed" in done.stderr, done.stderr[-2000:]

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from artifactsdk.cli import main


@pytest.fixture(scope="session")
def sample_images(samples, tmp_path_factory) -> Path:
    """The shipped sample images, copied (reports must not write beside the package)."""
    folder = tmp_path_factory.mktemp("images")
    for image in sorted(samples.glob("*.*")):
        if image.suffix in (".png", ".jpg"):
            shutil.copy(image, folder / image.name)
    return folder


@pytest.fixture(scope="session")
def detect_out(sample_images, tmp_path_factory) -> Path:
    """`artifactsdk detect --out --overlay --mask` on the samples with the default bundle."""
    out = tmp_path_factory.mktemp("detect")
    result = CliRunner().invoke(main, ["detect", str(sample_images), "--out", str(out), "--overlay", "--mask",
                                       "--quiet"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def detect_jsonl(sample_images, tmp_path_factory) -> Path:
    result = CliRunner().invoke(main, ["detect", str(sample_images), "--jsonl", "--quiet"])
    assert result.exit_code == 0, result.output
    path = tmp_path_factory.mktemp("jsonl") / "results.jsonl"
    path.write_text(result.output, encoding="utf-8")
    return path

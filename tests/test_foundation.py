import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

import artifactsdk
from artifactsdk import taxonomy
from artifactsdk.cli import COMMANDS, main
from artifactsdk.errors import BundleError
from artifactsdk.manifest import validate_manifest


def test_taxonomy_is_the_thirteen_synartifact_classes():
    assert taxonomy.NUM_CLASSES == 13
    assert [c.index for c in taxonomy.CLASSES] == list(range(13))
    assert taxonomy.get("2").name == "Distorted and Deformed Components"
    assert taxonomy.get(7).key == "localized_blur"
    assert taxonomy.get("luminance_discrepancy").index == 11
    assert set(taxonomy.INJECTABLE) >= {0, 2, 3, 4, 7, 8, 9, 11}
    assert all(c.prompts for c in taxonomy.CLASSES)
    with pytest.raises(KeyError, match="outside"):
        taxonomy.get(13)


def test_info_json_has_versions_providers_and_cpu_features():
    result = CliRunner().invoke(main, ["info", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["artifactsdk"] == artifactsdk.__version__
    assert "CPUExecutionProvider" in info["onnxruntime"]["providers"]
    assert set(info["optional"]) == {"torch", "onnx", "optimum", "tensorrt"}
    assert {"model", "avx512", "vnni"} <= set(info["cpu"])


def test_help_lists_every_command_without_importing_them():
    code = ("import sys; from click.testing import CliRunner; from artifactsdk.cli import main;"
            "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0, r.output;"
            "print(r.output); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert all(name in out for name in COMMANDS)
    assert out.strip().endswith("False")


def test_info_reports_the_optional_libraries_without_importing_them():
    code = ("import sys; from click.testing import CliRunner; from artifactsdk.cli import main;"
            "r = CliRunner().invoke(main, ['info', '--json']); assert r.exit_code == 0, r.output; print(r.output);"
            "print(sorted(m for m in ('torch', 'onnx', 'optimum', 'tensorrt') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    info = json.loads(out[:out.rindex("}") + 1])
    assert info["optional"]["torch"]["available"] is True  # installed in the dev extra, found all the same
    assert out.strip().endswith("[]")


def test_version_option():
    result = CliRunner().invoke(main, ["--version"])
    assert artifactsdk.__version__ in result.output


def test_manifest_schema_rejects_a_tampered_hash():
    manifest = {
        "format_version": 1, "name": "x", "version": "1", "sdk_version": "0.1.0", "created": "test",
        "models": {"segmenter": {
            "task": "segmentation", "architecture": "a",
            "input": {"name": "pixels", "height": 64, "width": 64, "resize": "stretch", "colour_order": "RGB",
                      "mean": [0, 0, 0], "std": [1, 1, 1], "layout": "NCHW"},
            "outputs": [{"name": "logits", "semantics": "artifact_logit"}],
            "files": {"fp32": {"path": "m.onnx", "format": "onnx", "precision": "fp32",
                               "sha256": "0" * 64, "bytes": 1}}}}}
    validate_manifest(manifest)
    manifest["models"]["segmenter"]["files"]["fp32"]["sha256"] = "not-a-hash"
    with pytest.raises(BundleError, match="sha256"):
        validate_manifest(manifest)


def test_every_source_package_is_listed_in_pyproject():
    """A subpackage missing from pyproject's list silently drops out of a wheel install."""
    from pathlib import Path

    tomllib = pytest.importorskip("tomllib")
    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {folder: name for name, folder in config["package-dir"].items()}
    on_disk = set()
    for folder, namespace in folders.items():
        for init in (root / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(root / folder).parts
            on_disk.add(".".join((namespace, *relative)))
    listed = set(config["packages"])
    assert on_disk <= listed
    # The rest hold data only (the default bundle, the samples): each says which files it ships.
    assert listed - on_disk <= set(config["package-data"])


def test_each_command_lives_in_its_own_command_module():
    """`artifactsdk NAME` is the click command of the module artifactsdk.cli.NAME (ARCHITECTURE.md)."""
    from artifactsdk.cli import COMMANDS

    for name, (target, _, _) in COMMANDS.items():
        module = target.split(":")[0]
        assert module == "artifactsdk.cli." + name.replace("-", "_"), (name, module)


def test_every_python_m_tool_is_a_command_under_the_contracts():
    """A module with a `__main__` block is a command: listed in the cli-independence contract,
    so no library imports it (ARCHITECTURE.md). Not tools: the benchmark report's re-render
    (`python -m artifactsdk.benchmarks.markdown FILE`, a library module) and web/serve.py,
    which `export-web` copies into its output as a standalone script."""
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text())
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "cli-independence")
    not_tools = {"artifactsdk.benchmarks.markdown", "artifactsdk.web.serve"}
    tools = set()
    for namespace, folder in config["tool"]["setuptools"]["package-dir"].items():
        for source in (root / folder).rglob("*.py"):
            if 'if __name__ == "__main__":' in source.read_text():
                tools.add(".".join((namespace, *source.relative_to(root / folder).with_suffix("").parts)))
    assert tools - not_tools <= set(contract["modules"]), tools - not_tools - set(contract["modules"])

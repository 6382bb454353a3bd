"""A missing optional dependency is a MissingDependencyError (or a one-line CLI error) that
names the one extra to install, also from a clone (issue 24). Each test hides a module the
way an environment without it behaves: `import` raises ModuleNotFoundError."""

import re
import sys
from importlib import metadata

import pytest
from click.testing import CliRunner

from artifactsdk.cli import COMMANDS, main
from artifactsdk.errors import MissingDependencyError

def hide(monkeypatch, *modules: str) -> None:
    """Make `import MODULE` fail for each of `modules` and re-import whatever imported them."""
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)
    for name in [name for name in sys.modules if name.startswith("artifactsdk.")]:
        if name.split(".")[1] in ("serve", "report", "feedback", "scan", "benchmarks") or name.startswith("artifactsdk.cli."):
            monkeypatch.delitem(sys.modules, name)


def extras_named(message: str) -> set[str]:
    return set(re.findall(r"artifactsdk\[(\w+)\]", message)) | set(re.findall(r"'\.\[(\w+)\]'", message))


def test_every_command_names_an_extra_that_exists():
    extras = set(metadata.metadata("artifactsdk").get_all("Provides-Extra"))
    assert {extra for _, _, extra in COMMANDS.values() if extra} <= extras


@pytest.mark.parametrize("command, hidden, extra", [("serve", "uvicorn", "serve"), ("scan", "pyarrow", "scale")])
def test_a_command_without_its_extra_names_that_one_extra(monkeypatch, command, hidden, extra):
    hide(monkeypatch, hidden)
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert extras_named(result.output) == {extra}, result.output
    assert f"'{hidden}'" in result.output and "./weights" in result.output


def test_report_on_a_scan_folder_without_pyarrow_names_the_report_extra(monkeypatch, tmp_path):
    """It used to crash constructing the error (TypeError: missing 2 positional arguments)."""
    scan = tmp_path / "scan"
    scan.mkdir()
    (scan / "part-00000.parquet").write_bytes(b"PAR1")
    hide(monkeypatch, "pyarrow", "pyarrow.parquet")
    result = CliRunner().invoke(main, ["report", str(scan), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 1 and not isinstance(result.exception, TypeError), result.output
    assert "'pyarrow'" in result.output and extras_named(result.output) == {"report"}


def test_best_of_n_pipeline_without_torch_names_the_feedback_extra(monkeypatch):
    hide(monkeypatch, "torch")
    from artifactsdk.feedback import best_of_n_pipeline

    with pytest.raises(MissingDependencyError, match="best_of_n_pipeline needs the Python package 'torch'") as error:
        best_of_n_pipeline(lambda **kwargs: None, "a barn", 2, reward=None)
    assert extras_named(str(error.value)) == {"feedback"}


def test_benchmarks_name_the_bench_extra(monkeypatch):
    hide(monkeypatch, "onnx")
    from artifactsdk.benchmarks.macs import count_macs

    with pytest.raises(MissingDependencyError) as error:
        count_macs("model.onnx")
    assert extras_named(str(error.value)) == {"bench"}

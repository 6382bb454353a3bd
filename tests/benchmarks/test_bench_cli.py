"""`artifactsdk bench` on tiny real models: the JSON's schema and content, never its timings."""

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from artifactsdk.cli import main

SCHEMA = json.loads((Path(__file__).with_name("bench.schema.json")).read_text())
QUICK = ["--runs", "2", "--warmup", "0", "--quiet"]


def _bench(*args) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["bench", *args], catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def full_run(bench_bundle, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench_out")
    code, output = _bench("--bundle", str(bench_bundle), *QUICK, "--accuracy-count", "3",
                          "--json", str(out / "bench.json"), "--markdown", str(out / "bench.md"),
                          "--plot", str(out / "bench.png"))
    assert code == 0, output
    return json.loads((out / "bench.json").read_text()), out


def test_json_matches_the_schema(full_run):
    doc, _ = full_run
    jsonschema.validate(doc, SCHEMA)


def test_every_onnx_configuration_is_timed_with_accuracy_and_machine_numbers(full_run):
    doc, _ = full_run
    timed = {(r["model"], r["backend"], r["precision"]) for r in doc["results"]}
    assert timed == {(m, "ort-cpu", p) for m in ("segmenter", "classifier") for p in ("fp32", "int8", "fp16")}
    for r in doc["results"]:
        assert r["batch"] == 1 and r["input_shape"] == [1, 3, 32, 32]
        assert r["latency"]["runs"] == 2
        assert r["file_bytes"] == Path(r["file"]).stat().st_size
        assert r["providers"] == ["CPUExecutionProvider"]
        assert r["gmacs"] > 0 and r["fraction_of_peak"] > 0
        expected = {"iou", "f1", "auroc", "clean_fp_area"} if r["model"] == "segmenter" else {"macro_f1", "map"}
        assert expected <= set(r["accuracy"])
        assert r["accuracy"].get("images", 3) == 3
    assert set(doc["machine_peak"]) == {"fp32", "int8"}


def test_what_cannot_run_is_listed_with_its_reason(full_run):
    doc, _ = full_run
    torch_skips = [s for s in doc["skipped"] if s["backend"] == "torch" and s["model"] != "detector"]
    assert {(s["model"], s["precision"]) for s in torch_skips} == {
        (m, p) for m in ("segmenter", "classifier") for p in ("fp32", "int8", "fp16")}
    assert all("safetensors" in s["reason"] for s in torch_skips)
    assert any(s["model"] == "detector" and s["precision"] == "fp16" and "GPU" in s["reason"]
               for s in doc["skipped"])
    for name, status in doc["backends"].items():
        assert status["available"] or status["reason"], name


def test_detector_is_split_into_stages(full_run):
    doc, _ = full_run
    assert {(d["backend"], d["precision"]) for d in doc["detector"]} == {("ort-cpu", "fp32"), ("ort-cpu", "int8")}
    for d in doc["detector"]:
        assert d["image"].startswith("1024x1024 PNG")
        assert set(d["models"]) == {"segmenter", "classifier"}
        assert d["models"]["segmenter"]["precision"] == d["precision"]
        # the split is the detector's own: its parts cannot exceed the whole call
        parts = sum(d["stages"][s]["mean_ms"] for s in ("decode", "preprocess", "inference", "postprocess", "mask"))
        assert 0 < parts <= d["stages"]["total"]["mean_ms"] * 1.001


def test_comparisons_and_drops_pair_each_precision_with_fp32(full_run):
    doc, _ = full_run
    pairs = {(c["model"], c["subject"], c["reference"]) for c in doc["comparisons"]}
    assert ("segmenter", "ort-cpu int8", "ort-cpu fp32") in pairs
    drops = {(d["model"], d["subject"]): d for d in doc["accuracy_drops"]}
    assert set(drops) == {(m, f"ort-cpu {p}") for m in ("segmenter", "classifier") for p in ("int8", "fp16")}
    for d in drops.values():
        assert d["drop_points"] == pytest.approx((d["reference_value"] - d["value"]) * 100)


def test_markdown_and_plot_are_written(full_run):
    doc, out = full_run
    text = (out / "bench.md").read_text()
    assert "| segmenter | ort-cpu | int8 | 1 |" in text
    assert "## Detector end to end" in text and "## Skipped" in text
    assert (out / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_batch_sizes(bench_bundle, tmp_path):
    code, output = _bench("--bundle", str(bench_bundle), *QUICK, "--models", "segmenter", "--backends", "ort",
                          "--precision", "fp32", "--batch", "1,3", "--no-accuracy", "--no-peak",
                          "--json", str(tmp_path / "b.json"))
    assert code == 0, output
    doc = json.loads((tmp_path / "b.json").read_text())
    assert [r["input_shape"] for r in doc["results"]] == [[1, 3, 32, 32], [3, 3, 32, 32]]
    assert all(r["accuracy"] is None and r["fraction_of_peak"] is None for r in doc["results"])


def test_gates_exit_non_zero(bench_bundle, tmp_path):
    common = ["--bundle", str(bench_bundle), *QUICK, "--models", "segmenter", "--no-peak",
              "--precision", "fp32,int8", "--accuracy-count", "2"]
    code, output = _bench(*common, "--max-drop", "1000")
    assert code == 0, output
    code, output = _bench(*common, "--max-drop", "-1")
    assert code == 1 and "max_drop failed" in output
    # torch cannot run on this bundle, so the speed-up cannot be checked: that fails too
    code, output = _bench(*common, "--min-speedup", "1", "--no-accuracy")
    assert code == 1 and "needs both 'torch fp32' and 'ort int8'" in output


def test_arbitrary_onnx_file(bench_bundle, tmp_path):
    code, output = _bench("--onnx", str(bench_bundle / "segmenter.int8.onnx"), "--input-shape", "2x3x32x32",
                          *QUICK, "--no-peak", "--json", str(tmp_path / "o.json"))
    assert code == 0, output
    (result,) = json.loads((tmp_path / "o.json").read_text())["results"]
    assert (result["model"], result["backend"], result["precision"]) == ("segmenter.int8.onnx", "ort-cpu", "int8")
    assert result["input_shape"] == [2, 3, 32, 32] and result["gmacs"] > 0


def test_torchscript_file(tmp_path):
    import torch

    module = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU())
    torch.jit.save(torch.jit.trace(module.eval(), torch.zeros(1, 3, 16, 16)), str(tmp_path / "m.pt"))
    code, output = _bench("--torchscript", str(tmp_path / "m.pt"), "--input-shape", "1x3x16x16", *QUICK,
                          "--no-peak", "--json", str(tmp_path / "t.json"))
    assert code == 0, output
    (result,) = json.loads((tmp_path / "t.json").read_text())["results"]
    assert (result["backend"], result["precision"], result["providers"]) == ("torchscript", "fp32", [])


def test_file_mode_needs_an_input_shape(bench_bundle):
    code, output = _bench("--onnx", str(bench_bundle / "segmenter.fp32.onnx"), *QUICK)
    assert code != 0 and "--input-shape" in output


def test_torch_backend_and_the_speedup_gate_on_a_native_checkpoint(native_bundle, tmp_path):
    common = ["--bundle", str(native_bundle), *QUICK, "--models", "segmenter", "--backends", "torch,ort",
              "--precision", "fp32,int8", "--no-accuracy", "--no-peak"]
    code, output = _bench(*common, "--json", str(tmp_path / "n.json"), "--min-speedup", "0")
    assert code == 0, output
    doc = json.loads((tmp_path / "n.json").read_text())
    timed = {(r["backend"], r["precision"]): r for r in doc["results"]}
    assert set(timed) == {("torch", "fp32"), ("ort-cpu", "fp32"), ("ort-cpu", "int8")}
    assert timed[("torch", "fp32")]["file"].endswith(".safetensors") and timed[("torch", "fp32")]["providers"] == []
    assert timed[("torch", "fp32")]["gmacs"] == timed[("ort-cpu", "fp32")]["gmacs"]  # counted on the fp32 graph
    assert [s["precision"] for s in doc["skipped"] if s["backend"] == "torch"] == ["int8"]
    (gate,) = doc["gates"]
    assert gate["passed"] and gate["checked"][0]["subject"] == "ort-cpu int8"
    code, output = _bench(*common, "--min-speedup", "1e9")
    assert code == 1 and "below 1000000000.0x" in output

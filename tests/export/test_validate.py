import numpy as np
import pytest
import tiny_models
import torch
from tiny_models import SPEC

from artifactsdk.errors import ExportError
from artifactsdk.export.pipeline import validation_batches
from artifactsdk.runtimes.onnxruntime_backend import onnx_file_backend
from artifactsdk.runtimes.torch_backend import module_backend
from artifactsdk.export.validate import compare_outputs, require_match


def _torch(model, output: str):
    """The torch reference as the exporter runs it: the runtime's torch backend, `output` named."""
    return module_backend(model.eval, SPEC.to_manifest(), (output,)).run_batch


def test_fp32_onnx_matches_torch_within_1e_4_on_real_images(fp32_segmenter, heldout):
    model, path = fp32_segmenter
    batches = validation_batches(heldout.images, SPEC, "segmentation", 32)
    report = require_match(compare_outputs(_torch(model, "artifact_logits"), onnx_file_backend(path).run_batch, batches),
                           "tiny segmenter")
    assert report.images == len(heldout) + 2  # every held-out image, plus two at another size
    assert {b.shape[0] for b in batches} >= {1, 2, 8}  # dynamic batch exercised
    assert {b.shape[2:] for b in batches} == {(64, 64), (128, 96)}  # dynamic height and width exercised
    assert 0 < report.outputs[0].max_abs <= 1e-4


def test_a_mismatch_stops_the_export_with_the_numbers(fp32_segmenter, heldout):
    model, path = fp32_segmenter
    changed = tiny_models.randomized(tiny_models.TinySegmenter)
    with torch.no_grad():
        changed.load_state_dict(model.state_dict())
        changed.head.bias += 0.01  # a drift ONNX does not have
    batches = validation_batches(heldout.images, SPEC, "segmentation", 8)
    report = compare_outputs(_torch(changed, "artifact_logits"), onnx_file_backend(path).run_batch, batches)
    assert report.outputs[0].max_abs == pytest.approx(0.01, rel=1e-3)
    with pytest.raises(ExportError, match=r"(?s)artifact_logits\s+max abs 1\.000e-02.*--no-validate"):
        require_match(report, "the fp32 ONNX segmenter")


def test_wrong_output_names_are_an_error(fp32_segmenter):
    model, path = fp32_segmenter
    batch = np.zeros((1, 3, 64, 64), np.float32)
    with pytest.raises(ExportError, match="output names"):
        compare_outputs(_torch(model, "mask"), onnx_file_backend(path).run_batch, [batch])


def _constant_predictor(value: float):
    return lambda batch: {"logits": np.full((len(batch), 1, 4, 4), value, np.float32)}


def test_the_tolerance_grows_with_the_outputs_scale_as_numpy_allclose():
    batch = [np.zeros((2, 3, 4, 4), np.float32)]
    # logits near 10 that differ by 1.5e-4 (1.5e-5 of their scale): float32 summation order
    close = compare_outputs(_constant_predictor(10.0), _constant_predictor(10.00015), batch)
    assert close.passed and close.outputs[0].scale == pytest.approx(10.0)
    # the same difference on logits near 1 is over 1e-4 + 1e-5 x 1
    assert not compare_outputs(_constant_predictor(1.0), _constant_predictor(1.00015), batch).passed
    assert not compare_outputs(_constant_predictor(10.0), _constant_predictor(10.001), batch).passed


def test_validate_takes_the_default_bundle_by_name_and_refuses_a_missing_one(tmp_path):
    from click.testing import CliRunner

    from artifactsdk.cli import main

    result = CliRunner().invoke(main, ["validate", "default", "--eval-synth", "2", "--quiet"])
    assert result.exit_code == 0 and "2 files match their sha256" in result.output and "bundle OK" in result.output
    missing = CliRunner().invoke(main, ["validate", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "holding manifest.json" in missing.output


def test_the_tolerance_scales_with_the_largest_output_of_the_model():
    """The classifier's logit is the mean of its evidence map, whose cells run to +-100: the
    logit carries their float error (2.4e-4 measured), not an error of its own size."""
    from artifactsdk.export.validate import OutputDiff, ValidationReport

    mean_of_map = OutputDiff("artifact_logit", 2.4e-4, 7.0)
    assert not ValidationReport(32, 1e-4, (mean_of_map,)).passed
    assert ValidationReport(32, 1e-4, (mean_of_map, OutputDiff("artifact_map", 6.3e-4, 100.0))).passed
    assert not ValidationReport(32, 1e-4, (OutputDiff("artifact_map", 2.1e-3, 100.0),)).passed

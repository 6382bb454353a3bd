import numpy as np
import pytest

from artifactsdk.calibration.ranges import CalibrationMethodSettings, compute_ranges
from artifactsdk.calibration.reader import ImageBatchReader
from artifactsdk.errors import ExportError


def _ranges(spec, model, images, settings, symmetric=False, per_pass=1):
    reader = ImageBatchReader(images, spec, batch_size=4)
    data = compute_ranges(model, reader, len(reader), settings, symmetric, batches_per_pass=per_pass)
    return {name: tuple(float(np.asarray(v).reshape(-1)[0]) for v in data[name].range_value) for name in data}


def test_minmax_ranges_cover_every_calibrated_tensor(conv_model, images, spec):
    ranges = _ranges(spec, conv_model, images, CalibrationMethodSettings("minmax"))
    assert {"pixels", "c1", "r1", "features"} <= set(ranges)
    low, high = ranges["pixels"]
    assert low == pytest.approx(-123.675 / 58.395, abs=0.02) and high == pytest.approx((255 - 103.53) / 57.375, abs=0.02)


def test_entropy_bin_settings_really_change_the_ranges(spec, conv_model, images):
    """quantize_static would run entropy with 128/128 bins whatever extra_options say;
    here num_bins and num_quantized_bins reach the calibrator."""
    coarse = _ranges(spec, conv_model, images, CalibrationMethodSettings("entropy", num_bins=128, num_quantized_bins=128))
    fine = _ranges(spec, conv_model, images, CalibrationMethodSettings("entropy", num_bins=2048, num_quantized_bins=128))
    narrow = _ranges(spec, conv_model, images, CalibrationMethodSettings("entropy", num_bins=2048, num_quantized_bins=32))
    assert coarse["features"] != fine["features"] != narrow["features"]


def test_percentile_value_counts(conv_model, images, spec):
    high = _ranges(spec, conv_model, images, CalibrationMethodSettings("percentile", num_bins=2048, percentile=99.999), True)
    low = _ranges(spec, conv_model, images, CalibrationMethodSettings("percentile", num_bins=2048, percentile=99.0), True)
    assert 0 < low["r1"][1] < high["r1"][1]


def test_calibration_in_several_passes_sees_every_image(conv_model, images, spec):
    """Bounded memory: one pass per batch merges to the same min / max as one pass over all."""
    settings = CalibrationMethodSettings("minmax")
    assert _ranges(spec, conv_model, images, settings, per_pass=1) == _ranges(spec, conv_model, images, settings, per_pass=3)


def test_defaults_and_invalid_parameters():
    assert CalibrationMethodSettings("entropy").to_dict() == {
        "method": "entropy", "num_bins": 2048, "num_quantized_bins": 128}
    assert CalibrationMethodSettings("percentile").percentile == 99.999
    with pytest.raises(ExportError, match="kl"):
        CalibrationMethodSettings("kl")
    with pytest.raises(ExportError, match="num_quantized_bins"):
        CalibrationMethodSettings("entropy", num_bins=64, num_quantized_bins=128)
    with pytest.raises(ExportError, match="percentile"):
        CalibrationMethodSettings("percentile", num_bins=2048, percentile=101.0)
    with pytest.raises(ExportError, match="does not use percentile"):
        CalibrationMethodSettings("minmax", percentile=99.0)
    assert CalibrationMethodSettings("entropy", num_bins=512).to_dict() == {
        "method": "entropy", "num_bins": 512, "num_quantized_bins": 128}

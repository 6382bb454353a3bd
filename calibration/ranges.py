"""Tensor ranges for int8, computed by ONNX Runtime's own calibrators with every parameter honoured.

`quantize_static` forwards only a few calibration options to `create_calibrator`
(onnxruntime 1.31 `quantize.py`: symmetric, moving average, percentile), so the
histogram settings `num_bins` / `num_quantized_bins` passed through `extra_options`
are silently dropped and the entropy method always runs with 128 / 128 bins, which
makes it almost min-max. Here the calibrator is created directly with the real
parameters; its ranges are then handed to `quantize_static` as a calibration cache.
"""

from __future__ import annotations

import io
import tempfile
from contextlib import redirect_stdout
from dataclasses import asdict, dataclass
from pathlib import Path

from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, create_calibrator
from onnxruntime.quantization.calibrate import TensorsData

from artifactsdk.calibration.entropy import entropy_ranges
from artifactsdk.errors import ExportError

ORT_METHODS = {"minmax": CalibrationMethod.MinMax, "entropy": CalibrationMethod.Entropy,
               "percentile": CalibrationMethod.Percentile}
# The parameters each method uses, with their defaults: TensorRT's entropy settings (2048
# bins into 128) and the usual 99.999th percentile.
METHOD_DEFAULTS = {"minmax": {}, "entropy": {"num_bins": 2048, "num_quantized_bins": 128},
                   "percentile": {"num_bins": 2048, "percentile": 99.999}}
PARAMETERS = ("num_bins", "num_quantized_bins", "percentile")


@dataclass(frozen=True)
class CalibrationMethodSettings:
    """A calibration method and the parameters it really uses (the others stay None). A
    parameter left None gets the method's default (METHOD_DEFAULTS); giving one the method
    does not use is an error, not silently ignored."""

    method: str = "minmax"
    num_bins: int | None = None
    num_quantized_bins: int | None = None
    percentile: float | None = None

    def __post_init__(self):
        if self.method not in ORT_METHODS:
            raise ExportError(f"unknown calibration method {self.method!r}; expected one of {', '.join(ORT_METHODS)}.")
        given = {key: getattr(self, key) for key in PARAMETERS if getattr(self, key) is not None}
        unused = [key for key in given if key not in METHOD_DEFAULTS[self.method]]
        if unused:
            raise ExportError(f"calibration method {self.method!r} does not use {', '.join(unused)}; "
                              "entropy uses bins and quantized bins, percentile uses bins and the percentile.")
        for key, value in METHOD_DEFAULTS[self.method].items():
            if key not in given:
                object.__setattr__(self, key, value)
        if self.num_bins is not None and self.num_bins < 2:
            raise ExportError(f"num_bins is {self.num_bins}; a histogram needs at least 2 bins.")
        if self.num_quantized_bins is not None and not 2 <= self.num_quantized_bins <= (self.num_bins or 0):
            raise ExportError(f"num_quantized_bins is {self.num_quantized_bins}; it must be between 2 and "
                              f"num_bins ({self.num_bins}).")
        if self.percentile is not None and not 50.0 < self.percentile <= 100.0:
            raise ExportError(f"percentile is {self.percentile}; expected a value in (50, 100], e.g. 99.999.")

    @property
    def ort_method(self) -> CalibrationMethod:
        return ORT_METHODS[self.method]

    def calibrator_options(self, symmetric: bool) -> dict:
        options = {"symmetric": symmetric}
        options.update({key: value for key, value in asdict(self).items()
                        if key != "method" and value is not None})
        return options

    def to_dict(self) -> dict:
        return {key: value for key, value in asdict(self).items() if value is not None}


class _Window(CalibrationDataReader):
    """At most `batches` feeds of `reader`, so one calibrator pass holds a bounded number
    of intermediate tensors in memory (the histogram calibrators keep all of one pass)."""

    def __init__(self, reader: CalibrationDataReader, batches: int):
        self.reader = reader
        self.left = batches

    def get_next(self):
        if self.left == 0:
            return None
        self.left -= 1
        return self.reader.get_next()


def compute_ranges(model_path: str | Path, reader: CalibrationDataReader, batches: int,
                   settings: CalibrationMethodSettings, symmetric: bool,
                   op_types: list[str] | None = None, batches_per_pass: int = 1) -> TensorsData:
    """Run `reader`'s `batches` feeds through the calibrator of `settings` on the model at `model_path`."""
    # the calibrators print their progress to stdout; the exporter shows its own
    with tempfile.TemporaryDirectory(prefix="artifactsdk-calib-") as work, redirect_stdout(io.StringIO()):
        calibrator = create_calibrator(
            Path(model_path), op_types, augmented_model_path=str(Path(work) / "augmented.onnx"),
            calibrate_method=settings.ort_method, providers=["CPUExecutionProvider"],
            extra_options=settings.calibrator_options(symmetric))
        for _ in range(0, batches, batches_per_pass):
            calibrator.collect_data(_Window(reader, batches_per_pass))
        if settings.method == "entropy":  # ONNX Runtime's search, vectorised: same thresholds
            ranges = TensorsData(CalibrationMethod.Entropy,
                                 entropy_ranges(calibrator.collector.histogram_dict, settings.num_quantized_bins))
        else:
            ranges = calibrator.compute_data()
        del calibrator
    return ranges

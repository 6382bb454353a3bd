"""What an `artifactsdk export` run will do, built from the command line, and running it:
read the images once, check the held-out set is unseen, export each checkpoint."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from artifactsdk.calibration.ranges import CalibrationMethodSettings
from artifactsdk.calibration.sources import (DEFAULT_CALIB_COUNT, DEFAULT_CALIB_SEED, FolderImages, SynthImages,
                                             load_images)
from artifactsdk.errors import ExportError
from artifactsdk.export.heldout import (DEFAULT_EVAL_COUNT, DEFAULT_EVAL_SEED, folder_heldout, require_disjoint,
                                        synthetic_heldout)
from artifactsdk.export.pipeline import ExportOptions, export_checkpoints
from artifactsdk.export.quantize import Int8Settings


@dataclass(frozen=True)
class DataPlan:
    """Calibration images (a folder, or synthetic with a seed) and the held-out set (the same choice)."""

    calib_dir: Path | None = None
    calib_count: int = DEFAULT_CALIB_COUNT
    calib_seed: int = DEFAULT_CALIB_SEED
    eval_dir: Path | None = None
    eval_count: int = DEFAULT_EVAL_COUNT
    eval_seed: int = DEFAULT_EVAL_SEED

    def __post_init__(self):
        synthetic_both = self.calib_dir is None and self.eval_dir is None
        if synthetic_both and self.calib_seed == self.eval_seed:
            raise ExportError(f"the held-out seed equals the calibration seed ({self.eval_seed}): the accuracy "
                              "gate must score images calibration never saw. Pass a different --eval-seed.")
        if self.calib_dir is not None and self.eval_dir is not None and \
                Path(self.calib_dir).resolve() == Path(self.eval_dir).resolve():
            raise ExportError(f"--calib and --eval-data are the same folder ({self.calib_dir}); "
                              "the accuracy gate needs held-out images calibration never saw.")
        if self.calib_count < 1 or self.eval_count < 1:
            raise ExportError("--calib-synth and --eval-synth need at least one image.")

    def calibration_source(self, size: int):
        if self.calib_dir is not None:
            return FolderImages(Path(self.calib_dir))
        return SynthImages(self.calib_count, self.calib_seed, size)

    def heldout(self, size: int, quiet: bool):
        if self.eval_dir is not None:
            return folder_heldout(self.eval_dir, quiet)
        return synthetic_heldout(self.eval_count, self.eval_seed, size, quiet)


@dataclass(frozen=True)
class ExportPlan:
    checkpoints: dict  # role -> checkpoint directory
    out: Path
    options: ExportOptions
    data: DataPlan

    @classmethod
    def from_cli(cls, *, checkpoints: dict, out: Path, precision: str, calib_dir, calib_count: int,
                 calib_seed: int, calib_method: str, calib_bins, calib_quantized_bins, calib_percentile,
                 preset: str, per_channel: bool, keep_float_ops, keep_float_nodes, keep_float_heads: bool,
                 float_search: int, min_sqnr: float, min_label_agreement: float, max_drop: float, opset: int,
                 validate: bool, eval_count: int, eval_seed: int, eval_dir, quiet: bool) -> "ExportPlan":
        calibration = calibration_settings(calib_method, calib_bins, calib_quantized_bins, calib_percentile)
        int8 = Int8Settings(preset=preset, calibration=calibration, per_channel=per_channel,
                            keep_float_op_types=tuple(keep_float_ops), keep_float_nodes=tuple(keep_float_nodes),
                            keep_float_heads=keep_float_heads, float_search=float_search,
                            min_sqnr_db=min_sqnr, min_label_agreement=min_label_agreement)
        precisions = tuple(p.strip() for p in precision.split(",") if p.strip())
        options = ExportOptions(precisions=precisions, opset=opset, validate=validate, int8=int8,
                                max_drop=max_drop, quiet=quiet)
        data = DataPlan(calib_dir, calib_count, calib_seed, eval_dir, eval_count, eval_seed)
        return cls(dict(checkpoints), Path(out), options, data)


def calibration_settings(method: str, bins=None, quantized_bins=None, percentile=None) -> CalibrationMethodSettings:
    """The method's defaults with the given parameters replaced; a parameter the method does
    not use is an error, not silently ignored."""
    from dataclasses import replace

    settings = CalibrationMethodSettings.default(method)
    given = {"num_bins": bins, "num_quantized_bins": quantized_bins, "percentile": percentile}
    given = {key: value for key, value in given.items() if value is not None}
    unused = [key for key in given if getattr(settings, key) is None]
    if unused:
        raise ExportError(f"calibration method {method!r} does not use {', '.join(unused)}; "
                          "entropy uses bins and quantized bins, percentile uses bins and the percentile.")
    return replace(settings, **given)


def largest_input(checkpoints: dict) -> int:
    """Images are made once at the largest input size; smaller models resize them as the runtime does."""
    from artifactsdk.models import read_config

    sizes = [read_config(directory)["input"] for directory in checkpoints.values()]
    return max(max(spec["height"], spec["width"]) for spec in sizes)


def run_plan(plan: ExportPlan, sources: dict | None = None) -> dict:
    """Run the export; return the written manifest. `sources` (role -> SourceModel from
    export/sources: Hugging Face, TorchScript) take the place of native checkpoints."""
    from artifactsdk.export.sources.pipeline import export_sources, largest_source_input

    size = largest_source_input(sources) if sources else largest_input(plan.checkpoints)
    heldout = plan.data.heldout(size, plan.options.quiet)
    calibration = None
    if "int8" in plan.options.precisions:
        calibration = load_images(plan.data.calibration_source(size), plan.options.quiet)
        require_disjoint(heldout, calibration)
    if sources:
        return export_sources(sources, plan.out, plan.options, heldout, calibration)
    return export_checkpoints(plan.checkpoints, plan.out, plan.options, heldout, calibration)

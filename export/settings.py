"""What an export does, as one settings object per concern: `ExportSettings` (precisions,
validation, gate), its `Int8Settings` (export/quantize.py) and `DataSettings` (calibration
and held-out images). `artifactsdk export` fills them from its options (one option per
field, declared with artifactsdk.cli.option_settings); from Python:

    export_bundle(checkpoints, out, ExportSettings(int8=Int8Settings(min_sqnr_db=38)))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from artifactsdk.calibration.sources import DEFAULT_CALIB_COUNT, DEFAULT_CALIB_SEED, FolderImages, SynthImages
from artifactsdk.errors import ExportError
from artifactsdk.export.accuracy_gate import DEFAULT_MAX_DROP
from artifactsdk.export.heldout import DEFAULT_EVAL_COUNT, DEFAULT_EVAL_SEED, folder_heldout, synthetic_heldout
from artifactsdk.export.onnx_export import DEFAULT_OPSET
from artifactsdk.export.quantize import Int8Settings
from artifactsdk.export.validate import DEFAULT_ATOL

PRECISIONS = ("fp32", "int8", "fp16")
NATIVE = "torch"  # the bundle's copy of the native checkpoint, for the torch backend


@dataclass(frozen=True)
class DataSettings:
    """Calibration images (a folder, or synthetic with a seed) and the held-out set (the same choice)."""

    calib_dir: Path | None = None
    calib_count: int = DEFAULT_CALIB_COUNT
    calib_seed: int = DEFAULT_CALIB_SEED
    eval_dir: Path | None = None
    eval_count: int = DEFAULT_EVAL_COUNT
    eval_seed: int = DEFAULT_EVAL_SEED
    # folders of real images on which int8 must keep fp32's verdicts and labels (Int8Settings.min_real_agreement)
    agreement_dirs: tuple[Path, ...] = ()

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
class ExportSettings:
    precisions: tuple[str, ...] = ("fp32", "int8")
    # The files the bundle keeps: some of `precisions`, and NATIVE; None keeps every file made.
    # fp32 is always made (int8 and fp16 come from it, the gate compares with it).
    bundle_files: tuple[str, ...] | None = None
    opset: int = DEFAULT_OPSET
    validate: bool = True
    atol: float = DEFAULT_ATOL
    validation_images: int = 32
    int8: Int8Settings = field(default_factory=Int8Settings)
    max_drop: float = DEFAULT_MAX_DROP
    data: DataSettings = field(default_factory=DataSettings)
    quiet: bool = True

    def __post_init__(self):
        unknown = [p for p in self.precisions if p not in PRECISIONS]
        if unknown:
            raise ExportError(f"unknown precision {unknown}; expected some of {', '.join(PRECISIONS)}.")
        if "fp32" not in self.precisions:
            raise ExportError("--precision must include fp32: it is the graph int8 and fp16 are made from "
                              "and the reference the accuracy gate compares them with.")
        if self.bundle_files is not None:
            stray = [name for name in self.bundle_files if name not in (*self.precisions, NATIVE)]
            if stray or not self.bundle_files:
                raise ExportError(f"--bundle-files {','.join(self.bundle_files)}: name at least one of the exported "
                                  f"precisions ({','.join(self.precisions)}) or {NATIVE!r}.")
        if self.max_drop < 0:
            raise ExportError(f"--max-drop is {self.max_drop}; it is the points a precision may lose, >= 0.")

    def keeps(self, name: str) -> bool:
        """Whether the bundle keeps the file `name` (a precision or NATIVE)."""
        return self.bundle_files is None or name in self.bundle_files

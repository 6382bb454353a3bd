"""Models from outside the SDK through the exporter's own pipeline (validation, int8
calibration, accuracy gate, bundle), exactly as native checkpoints go."""

from __future__ import annotations

from pathlib import Path

from artifactsdk.export.bundle_writer import write_bundle
from artifactsdk.export.sources import SourceModel


def largest_source_input(sources: dict[str, SourceModel]) -> int:
    """The side the held-out and calibration images are made at (models resize them, as the runtime does)."""
    return max(max(s.config["input"]["height"], s.config["input"]["width"]) for s in sources.values())


def source_options(source: SourceModel, options):
    """`options` with the source's int8 op types (and the ones whose outputs stay float), unless
    the user chose ops or nodes to keep in float."""
    from dataclasses import replace

    # imports onnx: only when this runs
    from artifactsdk.export.quantize import quantizable_op_types

    settings = options.int8
    if source.int8_op_types is None or settings.keep_float_op_types or settings.keep_float_nodes:
        return options
    keep = tuple(op for op in quantizable_op_types() if op not in source.int8_op_types)
    return replace(options, int8=replace(settings, keep_float_op_types=keep,
                                         float_output_op_types=source.int8_float_outputs))


def export_sources(sources: dict[str, SourceModel], bundle_dir: str | Path, options, heldout,
                   calibration=None) -> dict:
    """Export every source (role -> SourceModel) into one bundle; return the manifest."""
    # imports onnx: only when this runs
    from artifactsdk.export.pipeline import export_model

    bundle_dir = Path(bundle_dir)
    bundle_dir.mkdir(parents=True, exist_ok=True)
    entries = {}
    for source in sources.values():
        exported = export_model(source.module, source.config, None, bundle_dir, source_options(source, options),
                                heldout, calibration, write_onnx=source.write_onnx)
        entries[exported.role] = exported.entry
    return write_bundle(bundle_dir, entries, name="artifactsdk-byo")

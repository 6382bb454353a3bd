"""An export run: read the images once, check the held-out set is unseen, export each checkpoint."""

from __future__ import annotations

from pathlib import Path

from artifactsdk.bundle import ROLES
from artifactsdk.calibration.sources import load_images
from artifactsdk.errors import ExportError
from artifactsdk.export.heldout import require_disjoint
from artifactsdk.export.pipeline import export_checkpoints
from artifactsdk.export.settings import ExportSettings
from artifactsdk.export.sources.pipeline import export_sources, largest_source_input


def checkpoint_dirs(target: str, checkpoint: Path | None) -> dict[str, Path]:
    """role -> checkpoint directory; for `all`, `checkpoint` holds segmenter/ and classifier/."""
    # imports torch: only when this runs
    from artifactsdk.models.checkpoint import shipped_weights

    root = checkpoint or shipped_weights()
    if target != "all":
        return {target: root / target if checkpoint is None else root}
    missing = [role for role in ROLES if not (root / role).is_dir()]
    if missing:
        raise ExportError(f"'export all' expects {root} to hold the checkpoint directories "
                          f"{', '.join(ROLES)}; {', '.join(missing)} missing. Export one model with "
                          "'artifactsdk export segmenter --checkpoint DIR' instead.")
    return {role: root / role for role in ROLES}


def largest_input(checkpoints: dict) -> int:
    """Images are made once at the largest input size; smaller models resize them as the runtime does."""
    # imports torch: only when this runs
    from artifactsdk.models import read_config

    sizes = [read_config(directory)["input"] for directory in checkpoints.values()]
    return max(max(spec["height"], spec["width"]) for spec in sizes)


def export_bundle(checkpoints: dict[str, Path], out: str | Path, settings: ExportSettings = ExportSettings(),
                  sources: dict | None = None) -> dict:
    """Export checkpoint directories (role -> dir) into the bundle `out`; return its manifest.
    `sources` (role -> SourceModel from export/sources: Hugging Face, TorchScript) take the
    place of native checkpoints."""
    size = largest_source_input(sources) if sources else largest_input(checkpoints)
    heldout = settings.data.heldout(size, settings.quiet)
    calibration = None
    if "int8" in settings.precisions:
        calibration = load_images(settings.data.calibration_source(size), settings.quiet)
        require_disjoint(heldout, calibration)
    if sources:
        return export_sources(sources, Path(out), settings, heldout, calibration)
    return export_checkpoints(checkpoints, Path(out), settings, heldout, calibration)

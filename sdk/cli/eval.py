"""`artifactsdk eval`: score checkpoints or a bundle on a dataset with the metrics of
sdk.metrics, and the runtime Detector on real images (training.real_eval)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import click

from artifactsdk.bundle import PRECISIONS, ROLES
from artifactsdk.detector import Detector
from artifactsdk.cli.detector_options import detector_options
from artifactsdk.detector_settings import DetectorSettings
from artifactsdk.errors import ArtifactSDKError
from artifactsdk.cli.option_settings import build_settings, settings_option
from artifactsdk.training import real_eval


@dataclass(frozen=True)
class EvalSettings:
    """What `artifactsdk eval` scores besides checkpoints on --data: a bundle, real images, and
    the Detector that scores those. `bundle` and `precision` also choose what --data scores,
    so they are the command's own and fill the Detector's (the shipped bundle, "auto" without)."""

    clean_photos: Path | None = None
    mos_csv: Path | None = None
    images: Path | None = None
    name_column: str = "name"
    mos_column: str = "mos_quality"
    group_column: str | None = None
    group_from_name: bool = False
    auroc_groups: tuple[str, ...] = ()
    by_generator: bool = False
    worst: int = 10
    deletion_fill: str = real_eval.DEFAULT_FILL
    bundle: Path | None = None
    precision: str | None = None
    detector: DetectorSettings = field(default_factory=lambda: DetectorSettings(threads=1))

    def detector_settings(self) -> DetectorSettings:
        return replace(self.detector, bundle=self.bundle or "default", precision=self.precision or "auto")


def setting(name: str, *param_decls: str, **attrs):
    return settings_option(EvalSettings, name, *param_decls, **attrs)


def format_table(result: dict) -> str:
    """The metrics as aligned text lines, per-class rows indented under the classifier."""
    def number(value) -> str:
        return "   n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:6.3f}"

    lines = []
    for model, metrics in result.items():
        lines.append(model)
        for key, value in metrics.items():
            if key != "per_class":
                lines.append(f"  {key:<16}{number(value) if isinstance(value, float) else value}")
        for key, cls in metrics.get("per_class", {}).items():
            lines.append(f"    {key:<36} f1 {number(cls['f1'])}  ap {number(cls['ap'])}  "
                         f"auroc {number(cls['auroc'])}  n {cls['support']}")
    return "\n".join(lines)


def format_result(result: dict) -> str:
    """The dataset metrics as a table, the real-image reports as short summaries."""
    metrics = {role: result[role] for role in ROLES if role in result}
    parts = [format_table(metrics)] if metrics else []
    if "clean_photos" in result:
        parts.append(real_eval.format_clean_photos(result["clean_photos"]))
    if "mos" in result:
        parts.append(real_eval.format_mos(result["mos"]))
    return "\n".join(parts)


def check_options(data, split, run: EvalSettings) -> None:
    """UsageError for a missing mode or options that do not go together."""
    clean_photos, mos_csv, images, group_column = run.clean_photos, run.mos_csv, run.images, run.group_column
    if data is None and clean_photos is None and mos_csv is None:
        raise click.UsageError("nothing to evaluate: give --data DIR (a dataset), --clean-photos DIR (clean "
                               "photographs) or --mos-csv FILE with --images DIR (images rated by people).")
    if (mos_csv is None) != (images is None):
        raise click.UsageError("--mos-csv FILE and --images DIR go together: the CSV names files in that folder.")
    if split is not None and data is None:
        raise click.UsageError("--split selects a split of the --data dataset; give --data DIR.")
    if group_column is not None and run.group_from_name:
        raise click.UsageError("--group-column and --group-from-name are alternatives; choose one.")
    if run.auroc_groups and group_column is None and not run.group_from_name:
        raise click.UsageError("--auroc-groups needs groups: add --group-column COL or --group-from-name.")
    if data is not None and run.bundle is not None and run.precision == "auto":
        raise click.UsageError("--data with --bundle scores one ONNX precision: give --precision fp32, int8 or fp16.")


def dataset_metrics(checkpoints: tuple[Path, ...], data: Path, split: str | None, bundle: Path | None,
                    precision: str, threads: int, quiet: bool) -> dict:
    """{"segmenter": ..., "classifier": ...} of the checkpoints, or of the bundle's ONNX models, on DATA."""
    import torch

    from artifactsdk.models import load_checkpoint, shipped_weights
    from artifactsdk.training.datasets import load_samples
    from artifactsdk.training.evaluate import evaluate, find_checkpoints
    from artifactsdk.training.predict import predictor_for

    torch.set_num_threads(threads)
    dirs = [] if bundle is not None else find_checkpoints(checkpoints or (shipped_weights(),))
    if bundle is None and not dirs:
        raise click.ClickException(f"no checkpoint (a folder with config.json) in {', '.join(map(str, checkpoints))}")
    samples = load_samples(data, quiet, split)
    kwargs = {}
    if bundle is not None:
        from artifactsdk.export.bundle_eval import evaluate_arguments
        kwargs = evaluate_arguments(bundle, precision)
    for directory in dirs:
        model, config = load_checkpoint(directory)
        role = "segmenter" if config["task"] == "segmentation" else "classifier"
        kwargs[f"predict_{role}"] = predictor_for(model, config)
        kwargs[f"{role}_config"] = config
    result = evaluate(samples, quiet=quiet, **kwargs)
    if "predict_classifier" in kwargs and "classifier" not in result and not quiet:
        click.echo(f"classifier not scored: {data} has no class annotations (PAL labels are masks only).", err=True)
    return result


AUROC_HELP = ("With groups: AUROC of artifact_score separating POSITIVES (the artifact side) from NEGATIVES, "
              "written POSITIVES:NEGATIVES, each side a group or several joined by '+', e.g. "
              "'midjourney_lowstep+sd1.5_lowstep:midjourney_normal+sd1.5_normal'. Repeatable.")


@click.command("eval")
@click.option("--checkpoint", "checkpoints", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A checkpoint folder, or a folder of them (default: the shipped weights). Repeatable.")
@click.option("--data", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Dataset folder (synthetic, PAL or SynArtifact-1K layout) to score checkpoints or --bundle on.")
@click.option("--split", default=None,
              help="With --data: the split to read (PAL images/NAME + labels/NAME, SynArtifact-1K data/NAME.txt, "
                   "synthetic NAME.txt). Default: PAL's flat images/ + labels/, the others' train.")
@setting("clean_photos", "--clean-photos", type=click.Path(exists=True, file_okay=False, path_type=Path),
         help="Folder of real, clean photographs: how often the Detector flags them (key clean_photos).")
@setting("mos_csv", "--mos-csv", type=click.Path(exists=True, dir_okay=False, path_type=Path),
         help="CSV of human quality ratings (MOS, higher = better) of the images in --images: how the "
              "Detector's artifact_score and a Laplacian-variance baseline rank them (key mos).")
@setting("images", "--images", type=click.Path(exists=True, file_okay=False, path_type=Path),
         help="With --mos-csv: the folder holding the listed images.")
@setting("name_column", "--name-column", help="With --mos-csv: the file-name column.")
@setting("mos_column", "--mos-column", help="With --mos-csv: the MOS column.")
@setting("group_column", "--group-column", help="With --mos-csv: per-group figures, the group from this column.")
@setting("group_from_name", "--group-from-name", is_flag=True,
         help="With --mos-csv: per-group figures, the group being the file name without suffix and "
              "trailing _NNN (sd1.5_lowstep_012.jpg -> sd1.5_lowstep).")
@setting("auroc_groups", "--auroc-groups", multiple=True, metavar="POSITIVES:NEGATIVES", help=AUROC_HELP)
@setting("by_generator", "--leave-one-group-out", is_flag=True,
         help="With groups: every method's Spearman per generator (the group up to its first '_'), the "
              "folds of a head fitted without that generator (artifactsdk tune), and their mean.")
@setting("worst", "--worst", type=click.IntRange(min=0),
         help="With --clean-photos: list this many photographs with the highest artifact_score.")
@setting("deletion_fill", "--deletion-fill", type=click.Choice(sorted(real_eval.DELETION_FILLS)),
         help="What the deletion test fills a flagged image's regions with: inpaint (from the "
              "surroundings, OpenCV's Telea) or mean (the image's mean colour).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the results to this JSON file (with per-image records for real images).")
@click.option("--quiet", is_flag=True, help="No progress and no table.")
@setting("bundle", "--bundle", type=click.Path(exists=True, file_okay=False, path_type=Path),
         help="With --data: evaluate this bundle's ONNX models instead of checkpoints. With --clean-photos "
              "/ --mos-csv: the Detector's bundle (default: the shipped one).")
@setting("precision", "--precision", type=click.Choice(PRECISIONS),
         help="With --data --bundle: the ONNX precision to evaluate (default fp32). With --clean-photos / "
              "--mos-csv: the Detector's (default auto).")
@detector_options(EvalSettings, skip=("bundle", "precision"), threads={
    "help": "Torch CPU threads (checkpoints), or the Detector's inference threads."})
def eval_command(checkpoints: tuple[Path, ...], data: Path | None, split: str | None, json_path: Path | None,
                 quiet: bool, **settings) -> None:
    """Evaluate checkpoints or a bundle on a dataset (--data), and/or the Detector on real
    images: clean photographs (--clean-photos) or images rated by people (--mos-csv), beside
    the training-free baselines (Laplacian variance, BRISQUE: the [eval] extra)."""
    run = build_settings(EvalSettings, settings)
    check_options(data, split, run)
    result = {}
    try:
        if data is not None:
            result.update(dataset_metrics(checkpoints, data, split, run.bundle, run.precision or "fp32",
                                          run.detector.threads, quiet))
        if run.clean_photos is not None or run.mos_csv is not None:
            result.update(real_image_reports(run, quiet))
    except ArtifactSDKError as exc:
        raise click.ClickException(str(exc)) from exc
    if json_path is not None:
        json_path.write_text(json.dumps(result, indent=2) + "\n")
    if not quiet:
        click.echo(format_result(result))


def real_image_reports(run: EvalSettings, quiet: bool) -> dict:
    """The Detector on clean photographs ("clean_photos") and on rated images ("mos")."""
    splits = [real_eval.parse_auroc_split(text) for text in run.auroc_groups]
    entries = None if run.mos_csv is None else real_eval.mos_entries(
        run.mos_csv, run.images, run.name_column, run.mos_column, run.group_column, run.group_from_name)
    result = {}
    with Detector.load(run.detector_settings()) as detector:
        if run.clean_photos is not None:
            result["clean_photos"] = real_eval.clean_photos_report(detector, run.clean_photos, run.worst, quiet,
                                                                   run.deletion_fill)
        if entries is not None:
            result["mos"] = real_eval.mos_report(detector, entries, splits, quiet, by_generator=run.by_generator,
                                                 fill=run.deletion_fill)
    return result

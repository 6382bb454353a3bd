"""The `artifactsdk` command line.

Subcommands are imported only when run, so `artifactsdk detect` never pays for (or
needs) torch, and a missing optional extra breaks only the commands that use it.
"""

from __future__ import annotations

import importlib

import click

from artifactsdk import __version__
from artifactsdk.errors import MissingDependencyError

# name -> (module:attribute of the click command, one-line help shown by --help, the extra
# that installs what it needs beyond the core: named when an import fails)
COMMANDS: dict[str, tuple[str, str, str | None]] = {
    "info": ("artifactsdk.cli.info:info", "Versions, execution providers and CPU features of this machine.", None),
    "synth": ("artifactsdk.cli.synth:synth", "Write a synthetic artifact dataset (images, masks, annotations).", "train"),
    "train": ("artifactsdk.cli.train:train", "Train the default segmenter or classifier.", "train"),
    "tune": ("artifactsdk.cli.tune:tune", "Fit the image score and thresholds on real images.", "train"),
    "eval": ("artifactsdk.cli.eval:eval_command", "Evaluate a checkpoint or a bundle on a dataset.", "train"),
    "export": ("artifactsdk.cli.export:export", "Export checkpoints to an ONNX bundle (fp32 / int8 / fp16).", "export"),
    "validate": ("artifactsdk.cli.validate:validate", "Re-check a bundle's hashes and accuracy.", "export"),
    "detect": ("artifactsdk.cli.detect:detect", "Find, name and outline artifacts in images.", None),
    "scan": ("artifactsdk.cli.scan:scan", "Scan many images into Parquet (pipelined, or on Ray with --engine ray).", "scale"),
    "bench": ("artifactsdk.cli.bench:bench", "Measure latency, throughput, memory and accuracy.", "bench"),
    "fix": ("artifactsdk.cli.fix:fix", "Repaint detected artifacts with zoom-in inpainting (torch).", "fix"),
    "eval-fix": ("artifactsdk.cli.eval_fix:eval_fix", "Measure repairs on synthetic images with known clean originals.", "fix"),
    "rank": ("artifactsdk.cli.rank:rank", "Rank generated images from fewest to most artifacts.", None),
    "serve": ("artifactsdk.cli.serve:serve", "Serve detection and rewards over HTTP (FastAPI + uvicorn).", "serve"),
    "export-web": ("artifactsdk.cli.export_web:export_web_command", "Write the detector as a static web folder (ONNX Runtime Web).", "export"),
    "report": ("artifactsdk.cli.report:report", "An HTML report of detect / scan results: grid, sort, filter, plots.", "report"),
    "build-engine": ("artifactsdk.cli.build_engine:build_engine", "Build TensorRT engines for a bundle (needs an NVIDIA GPU).", "tensorrt"),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        target, _, extra = COMMANDS[name]
        module_name, attribute = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            missing = (exc.name or str(exc)).split(".")[0]  # the distribution, not a submodule
            if extra is None:  # a core command: the installation itself is broken
                raise click.ClickException(f"'artifactsdk {name}' needs the module '{missing}', which is not "
                                           "installed; reinstall artifactsdk (pip install --force-reinstall "
                                           "artifactsdk).") from exc
            raise click.ClickException(str(MissingDependencyError(missing, extra, f"'artifactsdk {name}'"))) from exc
        return getattr(module, attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Help lists the table without importing any subcommand module.
        rows = [(name, short_help) for name, (_, short_help, _) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="artifactsdk")
def main() -> None:
    """artifactsdk: find, name, outline and fix perceptual artifacts in generated images."""

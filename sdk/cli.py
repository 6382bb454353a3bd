"""The `artifactsdk` command line.

Subcommands are imported only when run, so `artifactsdk detect` never pays for (or
needs) torch, and a missing optional extra breaks only the commands that use it.
"""

from __future__ import annotations

import importlib

import click

from artifactsdk import __version__

# name -> (module:attribute of the click command, one-line help shown by --help)
COMMANDS: dict[str, tuple[str, str]] = {
    "info": ("artifactsdk.info_cli:info", "Versions, execution providers and CPU features of this machine."),
    "synth": ("artifactsdk.training.synth_cli:synth", "Write a synthetic artifact dataset (images, masks, annotations)."),
    "train": ("artifactsdk.training.train_cli:train", "Train the default segmenter or classifier."),
    "tune": ("artifactsdk.training.tune_cli:tune", "Fit the image score and thresholds on real images."),
    "eval": ("artifactsdk.training.eval_cli:eval_command", "Evaluate a checkpoint or a bundle on a dataset."),
    "export": ("artifactsdk.export.export_cli:export", "Export checkpoints to an ONNX bundle (fp32 / int8 / fp16)."),
    "validate": ("artifactsdk.export.validate_cli:validate", "Re-check a bundle's hashes and accuracy."),
    "detect": ("artifactsdk.detect_cli:detect", "Find, name and outline artifacts in images."),
    "scan": ("artifactsdk.scan.scan_cli:scan", "Scan many images into Parquet (pipelined, or on Ray with --engine ray)."),
    "bench": ("artifactsdk.benchmarks.bench_cli:bench", "Measure latency, throughput, memory and accuracy."),
    "fix": ("artifactsdk.rectify.fix_cli:fix", "Repaint detected artifacts with zoom-in inpainting (torch)."),
    "eval-fix": ("artifactsdk.rectify.eval_fix_cli:eval_fix", "Measure repairs on synthetic images with known clean originals."),
    "rank": ("artifactsdk.feedback.rank_cli:rank", "Rank generated images from fewest to most artifacts."),
    "serve": ("artifactsdk.serve.serve_cli:serve", "Serve detection and rewards over HTTP (FastAPI + uvicorn)."),
    "export-web": ("artifactsdk.web.export_web_cli:export_web_command", "Write the detector as a static web folder (ONNX Runtime Web)."),
    "report": ("artifactsdk.report.report_cli:report", "An HTML report of detect / scan results: grid, sort, filter, plots."),
    "build-engine": ("artifactsdk.export.build_engine_cli:build_engine", "Build TensorRT engines for a bundle (needs an NVIDIA GPU)."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        target, _ = COMMANDS[name]
        module_name, attribute = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            missing = exc.name or str(exc)
            raise click.ClickException(
                f"'artifactsdk {name}' needs the module '{missing}', which is not installed "
                "(see the README, 'Install by use', for the extra that brings it: e.g. "
                "pip install 'artifactsdk[export]', '[train]', '[serve]' or '[scale]')."
            ) from exc
        return getattr(module, attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Help lists the table without importing any subcommand module.
        rows = [(name, short_help) for name, (_, short_help) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="artifactsdk")
def main() -> None:
    """artifactsdk: find, name, outline and fix perceptual artifacts in generated images."""


if __name__ == "__main__":
    main()

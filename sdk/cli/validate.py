"""`artifactsdk validate BUNDLE`: hashes, schema, and every precision re-scored."""

from __future__ import annotations

from pathlib import Path

import click

from artifactsdk.bundle import Bundle
from artifactsdk.errors import ArtifactSDKError, BundleError
from artifactsdk.export.accuracy_gate import gate
from artifactsdk.export.bundle_eval import score_bundle
from artifactsdk.export.heldout import DEFAULT_EVAL_COUNT, DEFAULT_EVAL_SEED, folder_heldout, synthetic_heldout
from artifactsdk.cli.option_settings import BundleArgument
from artifactsdk.export.summary import metrics_table
from artifactsdk.manifest import verify_bundle


@click.command("validate")
@click.argument("bundle", type=BundleArgument())
@click.option("--data", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Dataset folder to score on (synth, PAL or SynArtifact-1K layout). "
                   "Default: synthetic held-out images as the exporter makes them.")
@click.option("--eval-synth", default=DEFAULT_EVAL_COUNT, show_default=True, help="Synthetic images without --data.")
@click.option("--eval-seed", default=DEFAULT_EVAL_SEED, show_default=True, help="Their seed.")
@click.option("--key", "keys", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Trusted Ed25519 public key (PEM, repeatable): fail unless one of them signed the manifest.")
@click.option("--quiet", is_flag=True, help="No progress output.")
def validate(bundle, data, eval_synth, eval_seed, keys, quiet):
    """Verify BUNDLE's manifest and file hashes, run each precision, print the metrics.

    Fails when a file does not match its hash, an ONNX file loads external data the
    manifest does not hash, the signature does not match a --key, or int8 / fp16 lose
    more against fp32 than the bundle's accuracy gate allowed at export."""
    try:
        opened = Bundle.open(bundle, trusted_keys=keys or None)
        manifest = verify_bundle(opened.root, opened.manifest)
        if keys:
            click.echo(f"{bundle}: manifest signed by a trusted key")
        click.echo(f"{bundle}: manifest valid, {sum(len(m['files']) for m in manifest['models'].values())} "
                   "files match their sha256")
        size = max(max(m["input"]["height"], m["input"]["width"]) for m in manifest["models"].values())
        samples = (folder_heldout(data, quiet) if data is not None
                   else synthetic_heldout(eval_synth, eval_seed, size, quiet))
        results = score_bundle(opened, samples.samples, quiet=quiet)
        failed = []
        for role, accuracy in results.items():
            model = manifest["models"][role]
            click.echo(f"{role} on {len(samples)} images ({samples.description}):")
            same_data = model.get("accuracy_gate", {}).get("dataset") == samples.description
            click.echo(metrics_table(role, accuracy, model.get("accuracy") if same_data else None))
            for precision, fallback in model.get("precision_fallback", {}).items():
                click.echo(f"  {precision}: runs {fallback['runs']} ({fallback['reason']})")
            max_drop = model.get("accuracy_gate", {}).get("max_drop_points")
            if max_drop is not None and "fp32" in accuracy:
                result = gate(role, accuracy, max_drop, samples.description, len(samples))
                click.echo(f"  gate ({result.metric}, max drop {max_drop:.2f} points): "
                           f"{'pass' if result.passed else 'FAIL'}")
                if not result.passed:
                    failed.append(role)
        if failed:
            raise BundleError(f"{', '.join(failed)}: int8 / fp16 lose more than the bundle's accuracy gate allows "
                              "on this data; re-export with other calibration settings.")
    except ArtifactSDKError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("bundle OK")

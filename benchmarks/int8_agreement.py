"""Does int8 keep fp32's answers, and are its numbers the same on every CPU? One run
(python -m artifactsdk.benchmarks.int8_agreement IMAGES... --fp32 BUNDLE [--bundle BUNDLE]
[--count N] [--save OUT.npz] [--compare OTHER.npz] [--json out.json]).

Each image goes through `Detector.detect` with the int8 models of --bundle and the fp32
models of --fp32 (an export of the same weights; the shipped bundle keeps int8 only), on
ONNX Runtime's CPU provider. Reported: on how many images the verdict, the label set and
both agree, and the artifact-score difference. --save keeps the int8 numbers (scores,
class probabilities, model-sized masks); --compare reads such a file written on another
CPU (e.g. under `qemu-x86_64 -cpu Haswell`, an AVX2 CPU without VNNI) and reports whether
the int8 numbers are bitwise the same, else the largest difference.
"""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from artifactsdk import Detector
from artifactsdk.benchmarks.output import save_json
from artifactsdk.image_files import collect_inputs


def detections(bundle: str, precision: str, images: list[Path]) -> list:
    with Detector.load(bundle, backend="ort-cpu", precision=precision) as detector:
        return [detector.detect(image) for image in images]


def int8_numbers(found: list) -> dict[str, np.ndarray]:
    """What int8 computed for each image, as arrays that can be compared bit for bit (a clean
    verdict has no mask: zeros in its place)."""
    shape = next((d.model_mask.shape for d in found if d.model_mask is not None), (1, 1))
    return {"artifact_score": np.array([d.artifact_score for d in found], np.float64),
            "class_scores": np.array([[d.scores[key] for key in sorted(d.scores)] for d in found], np.float64),
            "masks": np.stack([d.model_mask if d.model_mask is not None else np.zeros(shape, np.float32)
                               for d in found])}


def agreement(fp32: list, int8: list) -> dict:
    same_verdict = [a.is_artifact == b.is_artifact for a, b in zip(fp32, int8)]
    same_labels = [set(a.labels) == set(b.labels) for a, b in zip(fp32, int8)]
    difference = np.abs([a.artifact_score - b.artifact_score for a, b in zip(fp32, int8)])
    return {"images": len(int8), "same_verdict": int(sum(same_verdict)), "same_labels": int(sum(same_labels)),
            "same_both": int(sum(v and s for v, s in zip(same_verdict, same_labels))),
            "flagged_fp32": sum(d.is_artifact for d in fp32), "flagged_int8": sum(d.is_artifact for d in int8),
            "score_difference_mean": float(difference.mean()), "score_difference_max": float(difference.max())}


def compare_saved(numbers: dict[str, np.ndarray], other: Path) -> dict:
    """Per array: bitwise equal to the other CPU's, and the largest absolute difference."""
    saved = np.load(other)
    found = {}
    for key, values in numbers.items():
        theirs = saved[key]
        if theirs.shape != values.shape:
            raise click.ClickException(f"{other}: {key} has shape {theirs.shape}, this run {values.shape}; "
                                       "compare runs over the same images (--count).")
        found[key] = {"bitwise_equal": bool(np.array_equal(values, theirs)),
                      "max_abs_difference": float(np.max(np.abs(values.astype(np.float64) - theirs)))}
    return found


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--bundle", default="default", show_default=True, help="The bundle whose int8 models are measured.")
@click.option("--fp32", "fp32_bundle", help="A bundle with the fp32 models of the same weights (agreement).")
@click.option("--count", type=click.IntRange(1), help="Use the first N images of each path (sorted).")
@click.option("--save", type=click.Path(dir_okay=False, path_type=Path), help="Keep the int8 numbers (.npz).")
@click.option("--compare", "other", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An .npz of --save from another CPU: are the int8 numbers the same?")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path))
def main(paths, bundle, fp32_bundle, count, save, other, json_path):
    images = []
    for path in paths:
        items, _ = collect_inputs([path], recursive=True)
        images.extend(sorted(found for found, _ in items)[:count])
    int8 = detections(bundle, "int8", images)
    numbers = int8_numbers(int8)
    result = {"images": [str(image) for image in images]}
    if save:
        np.savez(save, **numbers)
    if fp32_bundle:
        result["int8_vs_fp32"] = summary = agreement(detections(fp32_bundle, "fp32", images), int8)
        click.echo(f"int8 vs fp32 on {summary['images']} images: verdicts agree on {summary['same_verdict']}, "
                   f"label sets on {summary['same_labels']}, both on {summary['same_both']}; artifact score "
                   f"difference mean {summary['score_difference_mean']:.4f}, max {summary['score_difference_max']:.4f}")
    if other:
        result["against_other_cpu"] = found = compare_saved(numbers, other)
        click.echo("int8 against " + str(other) + ": " + ", ".join(
            f"{key} {'bitwise equal' if v['bitwise_equal'] else 'differ by up to ' + format(v['max_abs_difference'], '.3g')}"
            for key, v in found.items()))
    if json_path:
        save_json(result, json_path)


if __name__ == "__main__":
    main()

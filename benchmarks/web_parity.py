"""How closely the web detector follows the Python runtime on many images, one run
(python -m artifactsdk.benchmarks.web_parity IMAGES... [--count N] [--json out.json]).

Each image goes through the export-web folder's module in headless Chromium (WASM) and
through `Detector.detect` (ONNX Runtime CPU), both on the int8 (or fp32) models; reported: how often the labels
and the verdict agree, the mask IoU (images where either mask is non-empty) and the
artifact-score difference.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import click
import numpy as np

from artifactsdk import Detector
from artifactsdk.benchmarks.output import save_json
from artifactsdk.image_files import collect_inputs
from artifactsdk.web.browser import launch, serve
from artifactsdk.web.export import export_web
from artifactsdk.web.parity import browser_detections, compare

BATCH = 10  # images per page evaluation


def summarise(rows: list[dict]) -> dict:
    masked = [row["mask_iou"] for row in rows if row["mask_pixels"] > 0 or row["mask_iou"] < 1.0]
    scores = [row["score_difference"] for row in rows]
    return {"images": len(rows),
            "same_labels": sum(row["same_labels"] for row in rows),
            "same_verdict": sum(row["same_verdict"] for row in rows),
            "same_captions": sum(row["same_captions"] for row in rows),
            "images_with_masks": len(masked),
            "mask_iou_min": min(masked, default=None),
            "mask_iou_median": float(np.median(masked)) if masked else None,
            "mask_iou_at_least_0.98": sum(iou >= 0.98 for iou in masked),
            "score_difference_median": float(np.median(scores)), "score_difference_max": max(scores)}


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--count", type=click.IntRange(1), help="Use the first N images found (sorted).")
@click.option("--bundle", default="default", show_default=True)
@click.option("--precision", type=click.Choice(["int8", "fp32"]), default="int8", show_default=True,
              help="The models of both runtimes (export-web --wasm-precision, Detector precision).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path))
def main(paths, count, bundle, precision, json_path):
    items, _ = collect_inputs(paths, recursive=True)
    images = [path for path, _ in items][:count]
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        web_dir = Path(scratch) / "web"
        export_web(bundle, web_dir, wasm_precision=precision, webgpu=False)
        (web_dir / "parity").mkdir()
        names = []
        for n, image in enumerate(images):
            names.append(f"parity/{n:05d}{image.suffix.lower()}")
            shutil.copy(image, web_dir / names[-1])
        with Detector.load(bundle, backend="ort-cpu", precision=precision) as detector, \
                serve(web_dir) as url, launch() as browser:
            page = browser.new_page()
            page.goto(url + "detector.json")
            for start in range(0, len(names), BATCH):
                batch = names[start:start + BATCH]
                for name, image, (record, mask) in zip(batch, images[start:], browser_detections(page, batch)):
                    rows.append({"image": str(image), **compare(record, mask, detector.detect(web_dir / name))})
    result = {"summary": summarise(rows), "images": rows}
    if json_path:
        save_json(result, json_path)
    s = result["summary"]
    click.echo(f"{s['images']} images: labels agree on {s['same_labels']}, verdict on {s['same_verdict']}, "
               f"captions on {s['same_captions']}; mask IoU on the {s['images_with_masks']} with a mask: "
               f"median {s['mask_iou_median']}, min {s['mask_iou_min']}, >= 0.98 on {s['mask_iou_at_least_0.98']}; "
               f"artifact score difference median {s['score_difference_median']:.4f}, max {s['score_difference_max']:.4f}")


if __name__ == "__main__":
    main()

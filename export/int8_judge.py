"""Judging int8 candidates of one model against its fp32 ONNX, and making the int8 file.

A candidate is acceptable when it passes the accuracy gate, its outputs' SNR against
fp32 on calibration images is at least `min_sqnr_db` (a metric can hold while single
decisions flip) and, for a classifier, its label sets match fp32's on at least
`min_label_agreement` of the held-out images. When the first candidate is not, the
sensitivity search keeps modules in float until one is (artifactsdk.export.sensitivity).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from artifactsdk.calibration.reader import ImageBatchReader, preprocess_batch
from artifactsdk.calibration.record import CalibrationRecord
from artifactsdk.calibration.sources import FolderImages, ImageSet
from artifactsdk.errors import ExportError
from artifactsdk.export.accuracy_gate import gate, score
from artifactsdk.export.heldout import HeldOutSet
from artifactsdk.export.int8_exactness import exactness_record
from artifactsdk.export.label_agreement import agreement, label_sets, verdicts
from artifactsdk.export.quantize import PRESETS, Int8Settings, Quantizer
from artifactsdk.export.sensitivity import PROBE_IMAGES, output_sqnr, run_outputs, search_float_groups
from artifactsdk.export.settings import ExportSettings
from artifactsdk.preprocess import InputSpec
from artifactsdk.progress import Progress, collect
from artifactsdk.runtimes.onnxruntime_backend import onnx_file_backend
from artifactsdk.training.predict import image_predictor


def _finite(metrics: dict) -> dict:
    """NaN (a metric without positives) is not JSON: it is written as null."""
    return {key: (None if isinstance(value, float) and math.isnan(value) else
                  _finite(value) if isinstance(value, dict) else value)
            for key, value in metrics.items()}


@dataclass(frozen=True)
class ModelScoring:
    """How one exported model's ONNX files are run and scored on the held-out set."""
    role: str
    config: dict
    spec: InputSpec
    outputs: list
    heldout: HeldOutSet
    settings: ExportSettings

    def predictor(self, path: Path):
        return image_predictor(self.role, onnx_file_backend(path).run_batch, self.spec, self.outputs)

    def evaluate(self, path: Path) -> dict:
        return _finite(score(self.role, self.predictor(path), self.config, self.heldout.samples,
                             self.settings.quiet))

    def labels(self, path: Path) -> list[frozenset]:
        return label_sets(self.predictor(path), self.config, self.heldout.images)

    def evaluate_and_label(self, path: Path) -> tuple[dict, list[frozenset]]:
        """`evaluate` and `labels` from one run of the model over the held-out images."""
        run, outputs = self.predictor(path), {}

        def predict(image):  # the held-out images are the same objects in both passes
            if id(image) not in outputs:
                outputs[id(image)] = run(image)
            return outputs[id(image)]

        accuracy = _finite(score(self.role, predict, self.config, self.heldout.samples, self.settings.quiet))
        return accuracy, label_sets(predict, self.config, self.heldout.images)

    def real_image_decisions(self, path: Path, images: list) -> dict[str, list]:
        """The verdicts (and, for a classifier, label sets) of the model at `path` on `images`."""
        run = self.predictor(path)
        outputs = [run(image) for image in images]
        indices = range(len(images))
        found = {"verdicts": verdicts(self.role, outputs.__getitem__, self.config, indices)}
        if self.role == "classifier":
            found["label_sets"] = label_sets(outputs.__getitem__, self.config, indices)
        return found

    def passes_gate(self, accuracy: dict) -> bool:
        return gate(self.role, accuracy, self.settings.max_drop, self.heldout.description, len(self.heldout)).passed


@dataclass(frozen=True)
class Int8Attempt:
    """The verdict on an int8 candidate; the export keeps the last one judged."""
    accuracy: dict
    gate_passed: bool
    measured: dict  # output_sqnr_db, label_agreement (classifiers), float_search, integer_exactness
    keeps_decisions: bool  # label agreement reached (always true without the criterion)

    def fallback_record(self, settings: Int8Settings) -> dict:
        """The manifest's account of why this model runs fp32 where int8 was asked for."""
        return {"runs": "fp32", "min_label_agreement": settings.min_label_agreement, **self.measured,
                "accuracy": self.accuracy,
                "reason": f"int8 did not keep fp32's decisions ({self._shortfall(settings)}) with up to "
                          f"{settings.float_search} of its most sensitive modules in float"}

    def _shortfall(self, settings: Int8Settings) -> str:
        parts = []
        if "label_agreement" in self.measured:
            parts.append(f"the same labels on {self.measured['label_agreement']:.1%} of the held-out images, "
                         f"needed {settings.min_label_agreement:.1%}")
        real = self.measured.get("real_image_agreement")
        if real:
            shares = ", ".join(f"{kind.replace('_', ' ')} {share:.1%}" for kind, share in real.items() if kind != "images")
            parts.append(f"on {real['images']} real images {shares}, needed {settings.min_real_agreement:.1%}")
        return "; ".join(parts)


class Int8Judge:
    """Called with a candidate int8 file: judges it (see the module docstring), keeps the
    verdict in `last` and says whether it is acceptable."""

    def __init__(self, scoring: ModelScoring, fp32: Path, fp32_accuracy: dict, feeds: list[dict]):
        self.scoring, self.fp32_accuracy, self.feeds = scoring, fp32_accuracy, feeds
        self.int8 = scoring.settings.int8
        self.reference = run_outputs(fp32, feeds)
        judge_labels = scoring.role == "classifier" and self.int8.min_label_agreement > 0
        self.reference_labels = scoring.labels(fp32) if judge_labels else None
        self.real_images = agreement_images(scoring.settings)
        self.reference_decisions = scoring.real_image_decisions(fp32, self.real_images) if self.real_images else None
        self.last: Int8Attempt | None = None

    def __call__(self, path: Path) -> bool:
        measured = {"output_sqnr_db": round(output_sqnr(self.reference, run_outputs(path, self.feeds)), 2)}
        keeps_decisions = True
        if self.reference_labels is None:
            accuracy = self.scoring.evaluate(path)
        else:
            accuracy, labels = self.scoring.evaluate_and_label(path)
            share = agreement(self.reference_labels, labels)
            measured["label_agreement"] = round(share, 4)
            keeps_decisions = share >= self.int8.min_label_agreement
        if self.reference_decisions is not None:
            decisions = self.scoring.real_image_decisions(path, self.real_images)
            shares = {kind: round(agreement(self.reference_decisions[kind], found), 4)
                      for kind, found in decisions.items()}
            measured["real_image_agreement"] = {"images": len(self.real_images), **shares}
            keeps_decisions = keeps_decisions and min(shares.values()) >= self.int8.min_real_agreement
        gate_passed = self.scoring.passes_gate({"fp32": self.fp32_accuracy, "int8": accuracy})
        self.last = Int8Attempt(accuracy, gate_passed, measured, keeps_decisions)
        return gate_passed and keeps_decisions and measured["output_sqnr_db"] >= self.int8.min_sqnr_db


def agreement_images(settings: ExportSettings) -> list:
    """The real images of every --agreement-images folder, in sorted order."""
    images = []
    for folder in settings.data.agreement_dirs:
        source = FolderImages(Path(folder))
        found = collect(source, f"agreement images ({folder})", len(source), settings.quiet)
        if not found:
            raise ExportError(f"--agreement-images {folder} holds no images; give folders of real images.")
        images.extend(found)
    return images


def write_int8(scoring: ModelScoring, fp32: Path, int8_path: Path, calibration: ImageSet | None,
               fp32_accuracy: dict) -> tuple[CalibrationRecord, Int8Attempt]:
    """Calibrate and quantize `fp32` into `int8_path`, searching for modules to keep in
    float while the candidate is not acceptable and the settings allow."""
    if calibration is None:
        raise ExportError("int8 needs calibration images: pass --calib DIR or --calib-synth N --seed S.")
    int8, spec = scoring.settings.int8, scoring.spec
    progress = Progress(f"calibrating {scoring.role} ({int8.calibration.method})", len(calibration),
                        scoring.settings.quiet)
    reader = ImageBatchReader(calibration.images, spec, int8.batch_size, on_batch=progress.update)
    record = CalibrationRecord.of(int8.calibration.method, int8.preset, calibration.hashes,
                                  calibration.description, int8.calibration.to_dict())
    feeds = [{spec.name: preprocess_batch([image], spec)} for image in calibration.images[:PROBE_IMAGES]]
    judge = Int8Judge(scoring, fp32, fp32_accuracy, feeds)
    with Quantizer(fp32, reader, int8) as quantizer:
        progress.close()
        search = {}
        if not judge(quantizer.write(int8_path)) and int8.float_search:
            search = search_float_groups(quantizer, int8_path, feeds, judge, int8.float_search).to_dict()
    exactness = require_exact(int8_path, int8)
    return record, replace(judge.last, measured={**judge.last.measured, **search, "integer_exactness": exactness})


def require_exact(int8_path: Path, settings: Int8Settings) -> dict:
    """The file's integer-exactness record (export/int8_exactness.py); a preset with 7-bit
    weights promises exact arithmetic on every x86 path, and a file that breaks it fails the export."""
    record = exactness_record(int8_path)
    if PRESETS[settings.preset].reduce_range and record["saturating_products"]:
        raise ExportError(f"{int8_path.name}: {len(record['saturating_products'])} integer products can add two "
                          f"products past int16 ({record['worst_pair_sum']} > {record['int16_max']}) on CPUs without "
                          f"VNNI, e.g. {record['saturating_products'][0]}, although preset {settings.preset!r} "
                          "quantizes weights to 7 bits. The installed onnxruntime may ignore reduce_range.")
    return record

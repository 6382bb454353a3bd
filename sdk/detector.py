"""`Detector`: image in, named and outlined artifacts out.

One Detector may be shared by many threads: after `load` it holds no mutable state,
ONNX Runtime sessions are thread-safe for `run`, and the torch backend serialises its
forward passes with a lock.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import time
from pathlib import Path

import numpy as np

from artifactsdk import environment, limits
from artifactsdk.bundle import Bundle
from artifactsdk.detection import Detection, DetectionFailure
from artifactsdk.detector_settings import DetectorSettings
from artifactsdk.errors import BundleError, DetectorClosedError, InvalidInputError
from artifactsdk.image_io import DecodedImage, load_image
from artifactsdk.postprocess import build_detection, calibrated, classifier_evidence, classifier_probabilities, \
    segmenter_probability
from artifactsdk.preprocess import InputSpec, normalize, resize_rgb
from artifactsdk.runtimes import registry
from artifactsdk.runtimes.base import Backend

log = logging.getLogger(__name__)


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


def _check_graph(role: str, backend: Backend, model: dict) -> None:
    """The manifest's input and output names exist in the loaded graph, and the classifier
    has a column for every label: else every image would fail later."""
    inputs, outputs = backend.input_metadata(), backend.output_metadata()
    if model["input"]["name"] not in inputs:
        raise BundleError(f"the {role}'s manifest names input {model['input']['name']!r}; the model has "
                          f"{sorted(inputs)}.")
    missing = [output["name"] for output in model["outputs"] if output["name"] not in outputs]
    if missing:
        raise BundleError(f"the {role}'s manifest names outputs {missing} that the model does not have "
                          f"(it has {sorted(outputs)}).")
    for output in model["outputs"]:
        width = outputs[output["name"]].shape[-1] if outputs[output["name"]].shape else None
        highest = max((label["index"] for label in model.get("labels", [])), default=-1)
        if output["semantics"] == "class_logits" and isinstance(width, int) and highest >= width:
            raise BundleError(f"the {role}'s label index {highest} is beyond its {width} class outputs.")


def _failure(image, exc: Exception) -> DetectionFailure:
    source = str(image) if isinstance(image, (str, Path)) else getattr(image, "source", None)
    return DetectionFailure.of(source, exc)


def _check_batch(images) -> None:
    """A batch is a sequence of images: one image (a path, bytes, a PIL image or one array),
    which iterating would split into characters, bytes or rows, is refused."""
    single = isinstance(images, (str, os.PathLike, bytes, bytearray, memoryview)) or hasattr(images, "getpixel")
    if single or (isinstance(images, np.ndarray) and images.ndim != 4):
        raise InvalidInputError(f"detect_batch takes a list of images, got one {type(images).__name__}; "
                                "use detect(image) for one image, or pass [image].")


@dataclasses.dataclass(frozen=True)
class PreparedImage:
    """An image decoded and turned into its models' inputs (`Detector.prepare`): the work
    before inference, which a pipeline can do in worker threads while the models run."""

    decoded: DecodedImage
    tensors: dict[InputSpec, np.ndarray]  # 3xHxW float32, one per distinct model input
    timings_ms: dict[str, float]  # decode, preprocess


class Detector:
    """Use `Detector.load(...)`; the constructor takes already active backends."""

    def __init__(self, bundle: Bundle, backends: dict[str, Backend], settings: DetectorSettings = DetectorSettings()):
        """`settings`: its mode, thresholds and decoding limits (the others were used to load `backends`)."""
        if settings.mode == "cascade" and "classifier" not in backends:
            raise InvalidInputError("mode 'cascade' runs the classifier first, but the bundle has none; "
                                    "use mode='full'.")
        self.bundle = bundle
        self.backends = backends
        self.settings = settings
        self.mode = settings.mode
        self.thresholds = bundle.thresholds(settings.thresholds)
        self._closed = False
        self._specs = {role: InputSpec.from_manifest(bundle.model(role)["input"]) for role in backends}
        # decode large files only as large as the models' inputs need (boxes stay in full-size pixels)
        self._reduce_to = (max(max(spec.height, spec.width) for spec in self._specs.values())
                           if settings.reduced_decode else None)
        self._labels = bundle.model("classifier").get("labels", []) if "classifier" in backends else []
        # What the models' trainer recorded: which classes were trained, how the segmenter scores an image.
        self._trained = tuple(bundle.source_config("classifier").get("trained_classes") or ())
        self._image_score = bundle.source_config("segmenter").get("image_score")

    @classmethod
    def load(cls, settings: DetectorSettings | str | os.PathLike | Bundle = "default", /,
             **options) -> "Detector":
        """Open a bundle, pick a backend per model, verify the files' hashes and load them.

        `settings`: a DetectorSettings (artifactsdk.detector_settings says what each field
        does), or its `bundle` ("default" = the one shipped with the package, a directory, or
        an opened Bundle) with any other fields as keywords: Detector.load("b", precision="fp32").
        Every value is checked before anything is loaded.
        """
        if isinstance(settings, DetectorSettings):
            settings = dataclasses.replace(settings, **options) if options else settings
        else:
            settings = DetectorSettings(**{"bundle": settings, **options})
        bundle, keys = settings.bundle, settings.trusted_keys
        if isinstance(bundle, Bundle):
            opened = Bundle.open(bundle.root, keys) if keys is not None else bundle
        else:
            opened = Bundle.open(bundle, keys)
        backends: dict[str, Backend] = {}
        options = {"cache_dir": settings.cache_dir} if settings.cache_dir is not None else {}
        try:
            for role in opened.roles:
                formats = opened.formats(role)
                entry = registry.select(settings.backend, formats, what=f"the {role}")
                fmt = next(f for f in entry.formats if f in formats)
                model_file = opened.model_file(role, fmt, settings.precision, entry.device)
                backends[role] = entry.load_class()(model_file, threads=settings.threads, **options).activate()
                _check_graph(role, backends[role], opened.model(role))
                log.info("the %s runs on %s (%s)", role, entry.name, model_file.variant)
                _warn_of_int8_saturation(role, entry, model_file)
            return cls(opened, backends, settings)
        except BaseException:
            for loaded in backends.values():
                loaded.close()
            raise

    # -- inference ----------------------------------------------------------------------------
    def decode(self, image, name: str | None = None) -> DecodedImage:
        """The image as the detector will see it (bounded RGB); raises on bad input.
        `name` names encoded bytes (e.g. the path they were read from)."""
        return load_image(image, max_pixels=self.settings.max_pixels, max_side=self.settings.max_side, name=name,
                          reduce_to=self._reduce_to)

    def prepare(self, image, name: str | None = None) -> PreparedImage:
        """Decode `image` and make each model's input tensor (models with the same input
        share one resize). Raises on bad input, like `detect`."""
        started = time.perf_counter()
        decoded = self.decode(image, name)
        decode_ms = _ms_since(started)
        started = time.perf_counter()
        tensors = {spec: normalize(resize_rgb(decoded.pixels, spec.height, spec.width), spec)
                   for spec in dict.fromkeys(self._specs.values())}
        return PreparedImage(decoded, tensors, {"decode": decode_ms, "preprocess": _ms_since(started)})

    def detect(self, image) -> Detection:
        """Detect artifacts in one image: a path, bytes, a PIL image or an HxWx3 uint8 RGB array.
        Raises the image's error (ImageDecodeError, InvalidInputError ...)."""
        (result,) = self.detect_batch([image], batch_size=1)
        if isinstance(result, DetectionFailure):
            raise result.exception
        return result

    def detect_batch(self, images, batch_size: int = 8) -> list[Detection | DetectionFailure]:
        """Detect in many images, running the models on batches of up to `batch_size`. An image
        that fails gives its DetectionFailure (source, error, error_type) in its place; the
        others are processed."""
        self._check_open()
        _check_batch(images)
        batch_size = limits.positive_int("batch_size", batch_size)
        results: list[Detection | DetectionFailure | None] = []
        pending: list[tuple[int, PreparedImage]] = []
        for image in images:
            try:
                pending.append((len(results), self.prepare(image)))
                results.append(None)
            except Exception as exc:  # one bad image must not fail the batch
                results.append(_failure(image, exc))
        for start in range(0, len(pending), batch_size):
            chunk = pending[start:start + batch_size]
            for (index, _), result in zip(chunk, self.detect_prepared([prepared for _, prepared in chunk])):
                results[index] = result
        return results

    def detect_prepared(self, images: list[PreparedImage]) -> list[Detection | DetectionFailure]:
        """Run the models on `images` as one batch and build their Detections. When the batch
        fails, its images run one by one, so only a failing image gives its DetectionFailure."""
        self._check_open()
        try:
            return self._detect_together(images)
        except Exception as exc:
            if len(images) == 1:
                return [_failure(images[0].decoded, exc)]
            return [result for image in images for result in self.detect_prepared([image])]

    def _check_open(self) -> None:
        if self._closed:
            raise DetectorClosedError("this Detector was closed; load a new one with Detector.load(...).")

    def warmup(self, runs: int = 1) -> None:
        self._check_open()
        for backend in self.backends.values():
            backend.warmup(runs)

    def _detect_together(self, images: list[PreparedImage]) -> list[Detection]:
        """The models on `images` as one batch; raises when any of it fails."""
        count = len(images)
        stages: dict[str, float] = {"preprocess": 0.0}  # batch stacking, shared out at the end
        class_probs, image_probs, evidence = [None] * count, [None] * count, [None] * count
        if "classifier" in self.backends:
            specs = self.bundle.model("classifier")["outputs"]
            outputs = self._run("classifier", images, stages)
            classes, image = classifier_probabilities(outputs, specs)
            class_probs = list(classes) if classes is not None else class_probs
            image_probs = [float(p) for p in image] if image is not None else image_probs
            evidence_maps = classifier_evidence(outputs, specs)
            evidence = list(evidence_maps) if evidence_maps is not None else evidence
        maps: list[np.ndarray | None] = [None] * count
        if "segmenter" in self.backends:
            chosen = [i for i in range(count) if self._needs_segmenter(image_probs[i])]
            if chosen:
                outputs = self._run("segmenter", [images[i] for i in chosen], stages)
                probability = segmenter_probability(outputs, self.bundle.model("segmenter")["outputs"])
                for row, i in enumerate(chosen):
                    maps[i] = probability[row]
        detections = []
        for i, prepared in enumerate(images):
            started = time.perf_counter()
            detection = build_detection(prepared.decoded, self.thresholds, self._labels, class_probs[i],
                                        image_probs[i], maps[i], trained_classes=self._trained,
                                        image_score=self._image_score, evidence=evidence[i])
            if not math.isfinite(detection.artifact_score):
                raise BundleError(f"{prepared.decoded.source or 'the image'}: the models' outputs are not finite "
                                  "(NaN or infinity); the bundle's weights or normalisation are broken.")
            timings = {"decode": prepared.timings_ms["decode"], **{stage: ms / count for stage, ms in stages.items()},
                       "postprocess": _ms_since(started)}
            timings["preprocess"] += prepared.timings_ms["preprocess"]
            timings["total"] = sum(timings.values())
            detections.append(dataclasses.replace(detection, timings_ms=timings))
        return detections

    def _needs_segmenter(self, image_probability: float | None) -> bool:
        if self.mode != "cascade" or image_probability is None:
            return True
        return calibrated(image_probability, self.thresholds["artifact"]) >= self.thresholds["cascade"]

    def _run(self, role: str, images: list[PreparedImage], stages: dict[str, float]) -> dict[str, np.ndarray]:
        """Stack `images`' tensors for `role` and run its model; adds the stage times to `stages`."""
        backend, spec = self.backends[role], self._specs[role]
        started = time.perf_counter()
        batch = np.stack([image.tensors[spec] for image in images])
        stages["preprocess"] += _ms_since(started)
        started = time.perf_counter()
        (meta,) = backend.input_metadata().values()
        step = (backend.max_batch or len(images)) if meta.dynamic_batch else 1
        if step >= len(images):
            outputs = backend.run({spec.name: batch})
        else:
            pieces = [backend.run({spec.name: batch[i:i + step]}) for i in range(0, len(images), step)]
            outputs = {name: np.concatenate([piece[name] for piece in pieces]) for name in pieces[0]}
        stages[role] = _ms_since(started)
        return outputs

    # -- description and lifecycle --------------------------------------------------------------
    def describe(self) -> dict:
        """What runs: the bundle (folder, name, version), mode, the thresholds in force (each
        class's own under "classes"), and per model its backend, file and the file's sha256
        (what results record as their provenance)."""
        classes = [label["key"] for label in self._labels if not self._trained or label["key"] in self._trained]
        return {"bundle": str(self.bundle.root), "bundle_name": self.bundle.manifest.get("name"),
                "bundle_version": self.bundle.manifest.get("version"), "mode": self.mode,
                "thresholds": self.thresholds.to_dict(classes),
                "models": {role: {**backend.describe(), "sha256": backend.model.entry.get("sha256")}
                           for role, backend in self.backends.items()}}

    def close(self) -> None:
        self._closed = True
        for backend in self.backends.values():
            backend.close()

    def __enter__(self) -> "Detector":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        models = ", ".join(f"{role}={b.name}/{b.model.variant}" for role, b in self.backends.items())
        return f"Detector({models}, mode={self.mode!r})"


def _warn_of_int8_saturation(role: str, entry, model_file) -> None:
    """Log the int8 kernel path of this CPU, and warn when the file's integer products are not exact on it."""
    if entry.device != "cpu" or model_file.entry.get("precision") != "int8":
        return
    path = environment.cpu_info()["int8_kernel_path"]
    log.info("int8 kernel path of this CPU: %s", path)
    risk = environment.int8_saturation_risk(model_file.entry.get("quantization", {}), path)
    if risk:
        log.warning("the %s's int8 file %s: %s", role, model_file.path.name, risk)

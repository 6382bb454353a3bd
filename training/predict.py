"""One image in, the runtime's probabilities out, for a model on any backend.

`image_predictor` wraps a backend's `run_batch` (torch for a checkpoint, ONNX Runtime for
an exported file) in the runtime's contract: stretch-resize to the model input and
normalise (artifactsdk.preprocess), decode the outputs by their meaning
(artifactsdk.postprocess). So `artifactsdk eval` on a checkpoint, the export's accuracy
gate and the benchmark measure what a bundle will do, through one code path.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from artifactsdk.masks import upsample
from artifactsdk.postprocess import classifier_probabilities, segmenter_probability
from artifactsdk.preprocess import InputSpec, to_tensor
from artifactsdk.runtimes.base import Backend
from artifactsdk.runtimes.torch_backend import module_backend
from artifactsdk.training.outputs import checkpoint_outputs


def image_predictor(role: str, run_batch: Callable[[np.ndarray], dict], spec: InputSpec, outputs: list[dict]):
    """Wrap a batch predictor as `training.evaluate` expects: one HxWx3 uint8 image in;
    segmenter: HxW artifact probabilities at the image's size; classifier: (class
    probabilities, has-artifact probability). Decoding of the outputs is the runtime's."""
    if role == "segmenter":
        def predict(image: np.ndarray) -> np.ndarray:
            probability = segmenter_probability(run_batch(to_tensor(image, spec)), outputs)[0]
            return upsample(probability, (image.shape[1], image.shape[0]))
    else:
        def predict(image: np.ndarray) -> tuple[np.ndarray, float]:
            classes, artifact = classifier_probabilities(run_batch(to_tensor(image, spec)), outputs)
            return classes[0], float(artifact[0])
    return predict


def checkpoint_backend(model, config: dict) -> tuple[Backend, list[dict]]:
    """The torch backend over a checkpoint's `model` (put in eval mode) and the manifest-style
    entries of its outputs; `config` is the checkpoint's."""
    outputs = checkpoint_outputs(config)
    model_input = InputSpec.from_manifest(config["input"]).to_manifest()
    return module_backend(model.eval, model_input, tuple(output["name"] for output in outputs)), outputs


def predictor_for(model, config: dict):
    """The image predictor of a checkpoint's torch `model`, run by the torch backend."""
    backend, outputs = checkpoint_backend(model, config)
    role = "segmenter" if config["task"] == "segmentation" else "classifier"
    return image_predictor(role, backend.run_batch, InputSpec.from_manifest(config["input"]), outputs)

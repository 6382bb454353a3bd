"""Named-output predictors over preprocessed batches: the torch reference and ONNX Runtime.

Both map an Nx3xHxW float32 batch to `{output name: array}`, so validation and the
accuracy gate compare and score them the same way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from artifactsdk.runtimes.ort_session import open_session


class OnnxPredictor:
    """One ONNX Runtime CPU session over a model file."""

    def __init__(self, path: str | Path, threads: int | None = None):
        self.path = Path(path)
        self.session = open_session(path, threads=threads)
        self.input_name = self.session.get_inputs()[0].name
        self.output_names = [output.name for output in self.session.get_outputs()]

    def __call__(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        values = self.session.run(self.output_names, {self.input_name: batch})
        return dict(zip(self.output_names, values))


class TorchPredictor:
    """An eval-mode fp32 torch module whose outputs get the exported graph's names."""

    def __init__(self, model, output_names: list[str]):
        self.model = model
        self.output_names = output_names

    def __call__(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        import torch

        with torch.no_grad():
            outputs = self.model(torch.from_numpy(np.ascontiguousarray(batch)))
        outputs = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
        return {name: out.float().numpy() for name, out in zip(self.output_names, outputs)}


def image_predictor(role: str, predictor, spec, outputs: list[dict]):
    """Wrap a batch predictor as `training.evaluate` expects: one HxWx3 uint8 image in;
    segmenter: HxW artifact probabilities at the image's size; classifier: (class
    probabilities, has-artifact probability). Decoding of the outputs is the runtime's."""
    from artifactsdk.masks import upsample
    from artifactsdk.postprocess import classifier_probabilities, segmenter_probability
    from artifactsdk.preprocess import to_tensor

    if role == "segmenter":
        def predict(image: np.ndarray) -> np.ndarray:
            probability = segmenter_probability(predictor(to_tensor(image, spec)), outputs)[0]
            return upsample(probability, (image.shape[1], image.shape[0]))
    else:
        def predict(image: np.ndarray) -> tuple[np.ndarray, float]:
            classes, artifact = classifier_probabilities(predictor(to_tensor(image, spec)), outputs)
            return classes[0], float(artifact[0])
    return predict

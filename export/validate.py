"""Validation of an exported graph against its torch reference, on real images.

Always run by the exporter: a mismatch stops the export with the numbers;
`--no-validate` is the only way past it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from artifactsdk.errors import ExportError

DEFAULT_ATOL = 1e-4
# ... plus this share of the output's largest magnitude (numpy's allclose rule and default
# rtol): float32 graphs that sum in another order differ by ~1e-5 of their scale, so
# logits reaching 10 differ by ~1e-4 without anything being wrong.
DEFAULT_RTOL = 1e-5


@dataclass(frozen=True)
class OutputDiff:
    """Largest difference of one output over all validated images.

    `max_rel` is `max_abs` divided by the largest magnitude of the reference output, a
    scale-free figure that element-wise ratios near zero logits would blow up."""

    name: str
    max_abs: float
    scale: float  # the largest magnitude of the reference output

    @property
    def max_rel(self) -> float:
        return self.max_abs / self.scale if self.scale else self.max_abs

    def to_dict(self) -> dict:
        return {"name": self.name, "max_abs": self.max_abs, "max_rel": self.max_rel}


@dataclass(frozen=True)
class ValidationReport:
    images: int
    atol: float
    outputs: tuple[OutputDiff, ...]
    rtol: float = DEFAULT_RTOL

    @property
    def passed(self) -> bool:
        """Every output within atol + rtol x the largest magnitude of the model's outputs: an
        output that is the mean of another (the classifier's logit of its evidence map)
        carries the float error of the values it sums, not of its own size."""
        scale = max((diff.scale for diff in self.outputs), default=0.0)
        return all(diff.max_abs <= self.atol + self.rtol * scale for diff in self.outputs)

    def table(self) -> str:
        rows = [f"  {d.name:<16} max abs {d.max_abs:.3e}  max rel {d.max_rel:.3e}" for d in self.outputs]
        return "\n".join(rows)

    def to_dict(self) -> dict:
        return {"images": self.images, "atol": self.atol, "rtol": self.rtol, "passed": self.passed,
                "outputs": [diff.to_dict() for diff in self.outputs]}


def compare_outputs(reference, candidate, batches: Iterable[np.ndarray], atol: float = DEFAULT_ATOL,
                    label: str = "ONNX") -> ValidationReport:
    """Run both predictors on every batch; names and shapes must match exactly, values within
    `atol` + DEFAULT_RTOL x the outputs' scale (checked by the caller through `ValidationReport.passed`)."""
    largest_abs: dict[str, float] = {}
    largest_ref: dict[str, float] = {}
    images = 0
    for batch in batches:
        expected, actual = reference(batch), candidate(batch)
        if list(expected) != list(actual):
            raise ExportError(f"{label} outputs {list(actual)} do not match the torch outputs {list(expected)}: "
                              "the exported graph has the wrong output names or order.")
        for name, want in expected.items():
            got = actual[name]
            if got.shape != want.shape:
                raise ExportError(f"{label} output '{name}' has shape {got.shape} for an input of shape "
                                  f"{batch.shape}; torch gives {want.shape}.")
            diff = float(np.max(np.abs(got.astype(np.float64) - want))) if want.size else 0.0
            largest_abs[name] = max(largest_abs.get(name, 0.0), diff)
            largest_ref[name] = max(largest_ref.get(name, 0.0), float(np.max(np.abs(want))) if want.size else 0.0)
        images += len(batch)
    if not images:
        raise ExportError("validation got no images; it needs at least one real image.")
    outputs = tuple(OutputDiff(name, largest_abs[name], largest_ref[name]) for name in largest_abs)
    return ValidationReport(images, atol, outputs)


def require_match(report: ValidationReport, what: str) -> ValidationReport:
    """Raise ExportError with the numbers unless every output is within tolerance."""
    if not report.passed:
        raise ExportError(f"{what} does not match torch on {report.images} images "
                          f"(allowed max abs diff {report.atol:.1e} + {report.rtol:.0e} x the outputs' largest "
                          f"magnitude):\n{report.table()}\n"
                          "Check the model for export-unfriendly ops, or pass --no-validate "
                          "to export anyway.")
    return report

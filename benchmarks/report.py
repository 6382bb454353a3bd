"""The bench run's record: one JSON document, a Markdown table of the same numbers,
and the comparisons the targets and the CI gates are judged on."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from artifactsdk.benchmarks.harness import ConfigResult, Skipped
from artifactsdk.benchmarks.output import save_json
from artifactsdk.export.accuracy_gate import GATE_METRIC

SCHEMA_VERSION = 2  # 2: settings.bundle and settings.threads moved into settings.detector
# The accuracy number a precision is judged by, per model: the export gate's.
PRIMARY_METRIC = GATE_METRIC
REFERENCE = ("torch", "fp32")  # what speedups are measured against (eager torch, as trained)


@dataclass(frozen=True)
class Comparison:
    """Latency ratio (reference p50 / subject p50) of one configuration against another."""

    model: str
    batch: int
    subject: str  # "backend precision"
    reference: str
    speedup_p50: float

    def to_dict(self) -> dict:
        return {"model": self.model, "batch": self.batch, "subject": self.subject,
                "reference": self.reference, "speedup_p50": self.speedup_p50}


@dataclass(frozen=True)
class AccuracyDrop:
    """Points (x100) of the primary metric lost by `precision` against fp32 on the same backend family."""

    model: str
    metric: str
    subject: str
    reference: str
    reference_value: float
    value: float

    @property
    def drop_points(self) -> float:
        return (self.reference_value - self.value) * 100

    def to_dict(self) -> dict:
        return {"model": self.model, "metric": self.metric, "subject": self.subject,
                "reference": self.reference, "reference_value": self.reference_value,
                "value": self.value, "drop_points": self.drop_points}


def _label(result: ConfigResult) -> str:
    return f"{result.backend} {result.precision}"


def speedups(results: list[ConfigResult]) -> list[Comparison]:
    """Each configuration against torch fp32 of the same model and batch, and each ORT
    int8 / fp16 against ORT fp32 (what quantization alone buys)."""
    by_key = {r.key: r for r in results}
    comparisons = []
    for r in results:
        references = [REFERENCE]
        if r.precision != "fp32" and r.backend != "torch":
            references.append((r.backend, "fp32"))
        for backend, precision in references:
            ref = by_key.get((r.model, backend, precision, r.batch))
            if ref is None or ref is r:
                continue
            comparisons.append(Comparison(r.model, r.batch, _label(r), f"{backend} {precision}",
                                          ref.latency.p50_ms / r.latency.p50_ms))
    return comparisons


def accuracy_drops(results: list[ConfigResult]) -> list[AccuracyDrop]:
    """Every non-fp32 configuration's primary metric against fp32 (same model, batch 1):
    the same backend's fp32 when there is one, else the torch reference."""
    scored = {(r.model, r.backend, r.precision): r.accuracy for r in results if r.accuracy and r.batch == 1}
    drops = []
    for (model, backend, precision), accuracy in scored.items():
        if precision == "fp32":
            continue
        metric = PRIMARY_METRIC.get(model)
        reference = next(((b, "fp32") for b in (backend, REFERENCE[0]) if (model, b, "fp32") in scored), None)
        if metric is None or reference is None or metric not in accuracy:
            continue
        drops.append(AccuracyDrop(model, metric, f"{backend} {precision}", " ".join(reference),
                                  scored[(model, *reference)][metric], accuracy[metric]))
    return drops


@dataclass(frozen=True)
class Gate:
    """A CI threshold and whether every checked configuration met it."""

    name: str
    threshold: float
    checked: list[dict]
    passed: bool
    message: str

    def to_dict(self) -> dict:
        return {"name": self.name, "threshold": self.threshold, "checked": self.checked,
                "passed": self.passed, "message": self.message}


def min_speedup_gate(comparisons: list[Comparison], threshold: float) -> Gate:
    """ORT int8 must be `threshold` times faster (p50) than torch fp32 for every model and batch."""
    checked = [c.to_dict() for c in comparisons
               if c.subject == "ort-cpu int8" and c.reference == " ".join(REFERENCE)]
    if not checked:
        return Gate("min_speedup", threshold, [], False,
                    "--min-speedup needs both 'torch fp32' and 'ort int8' results; run with "
                    "--backends torch,ort --precision fp32,int8.")
    slow = [c for c in checked if c["speedup_p50"] < threshold]
    message = "; ".join(f"{c['model']} b{c['batch']}: ort int8 is {c['speedup_p50']:.2f}x torch fp32, "
                        f"below {threshold}x" for c in slow) or f"ort int8 >= {threshold}x torch fp32 everywhere"
    return Gate("min_speedup", threshold, checked, not slow, message)


def max_drop_gate(drops: list[AccuracyDrop], threshold: float) -> Gate:
    """No int8 configuration may lose more than `threshold` points of its primary metric."""
    checked = [d.to_dict() for d in drops if d.subject.endswith("int8")]
    if not checked:
        return Gate("max_drop", threshold, [], False,
                    "--max-drop needs accuracy for fp32 and int8; run with --accuracy and "
                    "--precision fp32,int8.")
    bad = [d for d in checked if d["drop_points"] > threshold]
    message = "; ".join(f"{d['model']} {d['subject']}: {d['metric']} drops {d['drop_points']:.2f} points "
                        f"vs {d['reference']}, above {threshold}" for d in bad) \
        or f"int8 within {threshold} points of fp32 everywhere"
    return Gate("max_drop", threshold, checked, not bad, message)


@dataclass(frozen=True)
class BenchReport:
    command: str
    settings: dict
    environment: dict
    machine_peak: dict
    backends: dict
    results: list[ConfigResult]
    skipped: list[Skipped]
    detector: list = field(default_factory=list)
    peers: dict | None = None
    gates: list[Gate] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def passed(self) -> bool:
        return all(gate.passed for gate in self.gates)

    def to_dict(self) -> dict:
        return {
            "schema_version": SCHEMA_VERSION, "command": self.command, "settings": self.settings,
            "environment": self.environment, "machine_peak": self.machine_peak, "backends": self.backends,
            "results": [r.to_dict() for r in self.results],
            "skipped": [s.to_dict() for s in self.skipped],
            "detector": [d.to_dict() for d in self.detector],
            "comparisons": [c.to_dict() for c in speedups(self.results)],
            "accuracy_drops": [d.to_dict() for d in accuracy_drops(self.results)],
            "peers": self.peers, "gates": [g.to_dict() for g in self.gates], "wall_s": self.wall_s,
        }


def write_json(report: BenchReport, path: str | Path) -> Path:
    return save_json(report.to_dict(), Path(path))

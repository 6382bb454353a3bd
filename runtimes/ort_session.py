"""The one place an ONNX Runtime session is made: the runtime's backends (which also run
the exporter's checks, training's tuning features and the benchmark's subjects) and the
benchmark's machine peak (a GEMM graph made in memory and timed bare) open theirs with
`open_session`, so they share its settings (full graph optimisation, errors-only logging,
intra-op threads with one inter-op thread)."""

from __future__ import annotations

from pathlib import Path

CPU = "CPUExecutionProvider"


def open_session(model: str | Path | bytes, providers=(CPU,), threads: int | None = None):
    """An onnxruntime.InferenceSession over a model file (or serialized model bytes);
    `providers` in priority order, each a name or (name, options)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only; callers check provider fallbacks themselves
    if threads:
        options.intra_op_num_threads = int(threads)
        options.inter_op_num_threads = 1
    source = model if isinstance(model, bytes) else str(model)
    return onnxruntime.InferenceSession(source, sess_options=options, providers=list(providers))

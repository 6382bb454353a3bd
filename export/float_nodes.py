"""Nodes that int8 never quantizes, found by the module path the torch exporter names them by.

The classifier's natural-scene statistics (models/nss.py) square, divide and take roots of
0-255 luma and its local deviations, and its feature-map statistics
(models/stage_statistics.py) take a deviation as the root of a difference of two means; in
8 bits those moments lose what they measure, and they cost almost nothing next to the
encoder.
"""

from __future__ import annotations

from pathlib import Path

FLOAT_MODULES = ("/nss/", "/stage_statistics/")


def float_module_nodes(model_path: str | Path) -> tuple[str, ...]:
    """Names of the nodes inside FLOAT_MODULES, sorted."""
    import onnx

    graph = onnx.load(str(model_path), load_external_data=False).graph
    return tuple(sorted(node.name for node in graph.node if any(module in node.name for module in FLOAT_MODULES)))

import json
import subprocess
import sys

PROBE = """
import json, sys, time
start = time.perf_counter()
import artifactsdk
detector = artifactsdk.Detector.load({bundle!r})
loaded = time.perf_counter() - start
import numpy as np
result = detector.detect(np.full((64, 64, 3), 128, np.uint8))
print(json.dumps({{"heavy": sorted(m for m in ("torch", "onnx", "tensorrt") if m in sys.modules),
                  "seconds": loaded, "backends": [b.name for b in detector.backends.values()]}}))
"""


def _probe(bundle: str) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE.format(bundle=bundle)], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_detector_on_onnxruntime_imports_neither_torch_nor_onnx(tiny_bundle):
    report = _probe(str(tiny_bundle))
    assert report["heavy"] == []
    assert set(report["backends"]) == {"ort-cpu"}


def test_default_bundle_loads_fast_without_torch():
    report = _probe("default")
    assert report["heavy"] == []
    assert report["seconds"] < 1.0, report

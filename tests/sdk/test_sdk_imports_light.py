import json
import os
import subprocess
import sys

PROBE = """
import json, sys
import artifactsdk
detector = artifactsdk.Detector.load({bundle!r})
import numpy as np
result = detector.detect(np.full((64, 64, 3), 128, np.uint8)).to_dict()
print(json.dumps({{"heavy": sorted(m for m in ("torch", "onnx", "tensorrt", "pyarrow") if m in sys.modules),
                  "backends": [b.name for b in detector.backends.values()]}}))
"""


# An importable `tensorrt` (what import_tensorrt checks for), as on a GPU image.
FAKE_TENSORRT = '__version__ = "10.0.0"\n\n\nclass Builder:\n    pass\n'
LOG_REASONS = "import logging; logging.basicConfig(level=logging.INFO, format='%(name)s: %(message)s')\n"


def _run(code: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)


def _probe(bundle: str) -> dict:
    return json.loads(_run(PROBE.format(bundle=bundle)).stdout.strip().splitlines()[-1])


def test_detector_on_onnxruntime_imports_neither_torch_nor_onnx(tiny_bundle):
    report = _probe(str(tiny_bundle))
    assert report["heavy"] == []
    assert set(report["backends"]) == {"ort-cpu"}


def test_default_bundle_loads_without_torch():
    """Its load time is measured by benchmarks/bundle_load.py, not asserted here."""
    report = _probe("default")
    assert report["heavy"] == []


def test_with_tensorrt_importable_the_onnx_bundle_loads_without_torch_and_says_why(tmp_path):
    (tmp_path / "tensorrt.py").write_text(FAKE_TENSORRT)
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    result = _run(LOG_REASONS + PROBE.format(bundle="default"), env={**os.environ, "PYTHONPATH": path})
    assert json.loads(result.stdout.strip().splitlines()[-1])["heavy"] == []
    reasons = [line for line in result.stderr.splitlines() if "skipping backend tensorrt:" in line]
    assert reasons and all("no engine file" in line for line in reasons), result.stderr

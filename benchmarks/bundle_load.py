"""How long opening a bundle takes now that every byte it loads is hashed first (issue 15's
target: the default bundle in under 1 s). Run: python -m artifactsdk.benchmarks.bundle_load"""

from __future__ import annotations

import statistics
import sys
import time

from artifactsdk import Detector
from artifactsdk.bundle import Bundle
from artifactsdk.manifest import verify_bundle


def measure(bundle: str = "default", runs: int = 7) -> dict:
    """Median seconds of Detector.load and of hashing every listed file (verify_bundle)."""
    loads, hashing = [], []
    for _ in range(runs):
        started = time.perf_counter()
        Detector.load(bundle).close()
        loads.append(time.perf_counter() - started)
        opened = Bundle.open(bundle)
        started = time.perf_counter()
        verify_bundle(opened.root, opened.manifest)
        hashing.append(time.perf_counter() - started)
    files = sum(len(model["files"]) for model in opened.manifest["models"].values())
    return {"runs": runs, "files": files, "load_median_s": statistics.median(loads), "load_max_s": max(loads),
            "hash_all_median_s": statistics.median(hashing)}


def main() -> None:
    result = measure(*sys.argv[1:2])
    print(f"Detector.load: median {result['load_median_s']:.3f} s (max {result['load_max_s']:.3f}) over "
          f"{result['runs']} runs; hashing all {result['files']} files: median {result['hash_all_median_s']:.3f} s")


if __name__ == "__main__":
    main()

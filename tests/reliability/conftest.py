import sys
from pathlib import Path

# The tiny-bundle builder lives with the runtime tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtime"))

from tiny_bundle import tiny_bundle  # noqa: E402, F401 (the shared fixture)

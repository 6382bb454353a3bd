"""The README's `Detector` API example runs as printed, also on an image with no artifact."""

import re
from pathlib import Path

import numpy as np
from PIL import Image

README = Path(__file__).resolve().parents[2] / "README.md"


def api_example() -> str:
    section = README.read_text(encoding="utf-8").split("## The `Detector` API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_detector_example_runs_on_a_clean_image(tmp_path, monkeypatch):
    Image.fromarray(np.full((96, 128, 3), 128, np.uint8)).save(tmp_path / "photo.jpg")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(api_example(), "README.md", "exec"), namespace)  # the example's own code, unchanged
    result = namespace["result"]
    assert not result.is_artifact and result.regions == ()
    assert (tmp_path / "overlay.png").is_file() and (tmp_path / "heat.png").is_file()

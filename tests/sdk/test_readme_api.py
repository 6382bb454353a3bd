"""The README's `Detector` API example runs as printed, also on an image with no artifact."""

import re
import shutil
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
# A well-rated SDXL image of the bundled samples: people saw no flaw in it. (A flat grey
# frame is no such image: the default score, fitted to people's ratings, flags featureless
# images as they rate them, low.)
CLEAN_SAMPLE = README.parent / "sdk" / "samples" / "agiqa-xl2.2_normal_037.jpg"


def api_example() -> str:
    section = README.read_text(encoding="utf-8").split("## The `Detector` API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_detector_example_runs_on_a_clean_image(tmp_path, monkeypatch):
    shutil.copy(CLEAN_SAMPLE, tmp_path / "photo.jpg")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(api_example(), "README.md", "exec"), namespace)  # the example's own code, unchanged
    result = namespace["result"]
    assert not result.is_artifact and result.regions == () and result.labels == ()
    assert (tmp_path / "overlay.png").is_file() and (tmp_path / "heat.png").is_file()

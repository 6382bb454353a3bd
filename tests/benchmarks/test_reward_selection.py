import json

import pytest
from click.testing import CliRunner
from PIL import Image

pytest.importorskip("scipy")

from artifactsdk.benchmarks.reward_selection import main, selection_figures  # noqa: E402
from tiny_bundle import red_square_image  # noqa: E402


def test_ties_count_as_a_random_pick_among_the_tied():
    groups = [[(1.0, {"r": 0.5}), (3.0, {"r": 0.5}), (2.0, {"r": 0.1})],   # tie: expected MOS 2
              [(4.0, {"r": 0.9}), (0.0, {"r": 0.2}), (2.0, {"r": 0.3})]]   # picks the best, 4
    figures = selection_figures(groups, "r")
    assert figures["mean_mos_pick"] == 3.0 and figures["mean_mos_random"] == 2.0
    assert figures["mean_mos_best"] == 3.5 and figures["share_of_possible_gain"] == round(1 / 1.5, 4)
    assert figures["picked_the_best"] == 0.75 and figures["prompts_with_tied_best"] == 1


def test_the_reward_picks_the_images_people_rated_best(tmp_path, tiny_bundle):
    """Three prompts, four images each; the tiny bundle sees red, and red images are rated low."""
    (tmp_path / "images").mkdir()
    rows = ["name,prompt,mos_quality"]
    for p in range(3):
        for i in range(4):
            name = f"gen{i}_{p:03d}.png"
            red = i != p  # one clean image per prompt, the others with a growing red square
            box = (4, 4, 16 + 8 * i, 16 + 8 * i) if red else (0, 0, 0, 0)
            Image.fromarray(red_square_image(64, box, seed=p * 4 + i)).save(tmp_path / "images" / name)
            rows.append(f"{name},prompt {p},{1.0 + i * 0.1 if red else 4.0}")
    rows.append("lonely_000.png,a prompt with one image,3.0")
    (tmp_path / "mos.csv").write_text("\n".join(rows) + "\n")
    result = CliRunner().invoke(main, ["--data", str(tmp_path), "--bundle", str(tiny_bundle), "--quiet",
                                       "--json", str(tmp_path / "out.json")])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "out.json").read_text())
    assert report["images_scored"] == 12 and report["prompts_with_ratings"] == 4
    for selector in ("score", "area"):
        figures = report["subsets"]["all"][selector]
        assert figures["prompts"] == 3 and figures["mean_mos_pick"] == 4.0 and figures["picked_the_best"] == 1.0

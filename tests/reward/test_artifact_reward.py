import io
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artifactsdk.errors import InvalidInputError
from artifactsdk.reward import ArtifactReward
from tiny_bundle import red_square_image

SAMPLES = sorted((Path(__file__).resolve().parents[2] / "sdk" / "samples").glob("agiqa-*.jpg"))[:3]


@pytest.fixture(scope="module")
def default_reward():
    with ArtifactReward(threads=1) as reward:
        yield reward


@pytest.fixture(scope="module")
def photos() -> np.ndarray:
    """Three generated images of the samples at 96x96, NHWC uint8."""
    return np.stack([np.asarray(Image.open(path).convert("RGB").resize((96, 96))) for path in SAMPLES])


def png_bytes(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def test_every_input_form_gives_the_same_rewards(default_reward, photos, tmp_path):
    torch = pytest.importorskip("torch")
    expected, info = default_reward(photos)
    assert expected.dtype == np.float32 and expected.shape == (3,)
    np.testing.assert_allclose(expected, 1 - info["artifact_score"], atol=1e-6)
    assert len(set(np.round(expected, 4))) == 3  # three different images, three different rewards
    nchw = photos.transpose(0, 3, 1, 2).astype(np.float32) / 255
    paths = []
    for i, pixels in enumerate(photos):
        paths.append(tmp_path / f"{i}.png")
        Image.fromarray(pixels).save(paths[-1])
    forms = {"tensor NCHW": torch.from_numpy(nchw), "list of CHW tensors": list(torch.from_numpy(nchw)),
             "array NCHW float": nchw, "PIL": [Image.fromarray(p) for p in photos],
             "PNG bytes": [png_bytes(p) for p in photos], "paths": paths, "array list": list(photos)}
    for name, images in forms.items():
        rewards, _ = default_reward(images, prompts=["a prompt"] * 3, metadata=[{}] * 3)
        np.testing.assert_allclose(rewards, expected, atol=1e-6, err_msg=name)


def test_a_tensor_needs_no_grad_and_may_require_it(default_reward, photos):
    torch = pytest.importorskip("torch")
    tensor = torch.from_numpy(photos.transpose(0, 3, 1, 2).astype(np.float32) / 255).requires_grad_(True)
    rewards, _ = default_reward(tensor * 1.0)
    np.testing.assert_allclose(rewards, default_reward(photos)[0], atol=1e-6)


def test_numpy_input_does_not_import_torch():
    code = ("import sys, numpy as np\n"
            "from artifactsdk.reward import ArtifactReward\n"
            "rewards, info = ArtifactReward(threads=1)(np.full((2, 64, 64, 3), 128, np.uint8))\n"
            "assert rewards.shape == (2,), rewards\n"
            "print('torch' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_red_artifacts_get_lower_rewards_by_score_area_and_weight(detector):
    clean, red = red_square_image(64, (0, 0, 0, 0)), red_square_image(64, (8, 8, 40, 40))
    for reduce in ("score", "area", "weighted"):
        rewards, info = ArtifactReward(detector=detector, reduce=reduce)([clean, red])
        assert rewards[0] > rewards[1], reduce
    _, info = ArtifactReward(detector=detector, reduce="area")([clean, red])
    assert info["area"][0] == 0 and 0.2 < info["area"][1] < 0.3  # 32x32 of 64x64
    assert list(info["is_artifact"]) == [False, True] and info["labels"][1] == ("localized_blur",)


def test_class_weights_choose_the_classes_that_count(detector):
    red = red_square_image(64, (8, 8, 40, 40))
    on_red = ArtifactReward(detector=detector, reduce="weighted", class_weights={"localized_blur": 1.0})
    elsewhere = ArtifactReward(detector=detector, reduce="weighted", class_weights={"illegible_letters": 1.0})
    assert on_red([red])[0][0] < elsewhere([red])[0][0]
    with pytest.raises(InvalidInputError, match="unknown classes 'blur'"):
        ArtifactReward(detector=detector, reduce="weighted", class_weights={"blur": 1.0})
    with pytest.raises(InvalidInputError, match="reduce='weighted' only"):
        ArtifactReward(detector=detector, reduce="score", class_weights={"localized_blur": 1.0})
    with pytest.raises(InvalidInputError, match="unknown reduce"):
        ArtifactReward(detector=detector, reduce="mean")


def test_a_bad_item_gets_nan_and_is_reported_the_rest_is_scored(detector):
    reward = ArtifactReward(detector=detector, batch_size=2)
    good = red_square_image(64, (8, 8, 40, 40))
    rewards, info = reward([good, b"not an image", np.zeros((4, 4, 4), np.uint8), good])
    assert np.isnan(rewards[1]) and np.isnan(rewards[2]) and rewards[0] == rewards[3]
    assert [e["index"] for e in info["errors"]] == [1, 2]
    assert info["errors"][0]["error_type"] == "ImageDecodeError" and "alpha" in info["errors"][1]["error"]
    assert info["detections"][1] is None and info["detections"][0].is_artifact
    assert info["is_artifact"] == [True, None, None, True]  # a failure never reads as clean (issue 24)
    with pytest.raises(InvalidInputError, match="a batch of images from a int"):
        reward(3)


def test_threads_sharing_one_reward_get_the_sequential_results(detector):
    reward = ArtifactReward(detector=detector, batch_size=3)
    batches = [[red_square_image(64, (i, i, 20 + 2 * i, 30), seed=i + j) for j in range(4)] for i in range(8)]
    sequential = [reward(batch)[0] for batch in batches]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda batch: reward(batch)[0], batches))
    for a, b in zip(threaded, sequential):
        np.testing.assert_array_equal(a, b)


def test_the_area_comes_from_the_model_sized_mask_and_detections_can_be_dropped(detector):
    """Issue 26, "Why" 1: no full-size float32 mask per image, and (keep_detections=False)
    no decoded image kept once its model batch is scored."""
    large = red_square_image(1024, (100, 100, 612, 612))
    rewards, info = ArtifactReward(detector=detector, reduce="area")([large, large])
    detection = info["detections"][0]
    assert "mask" not in detection.__dict__  # the cached full-size mask was never made
    assert info["area"][0] == pytest.approx(float(detection.binary_mask().mean()), abs=0.02)
    _, lean = ArtifactReward(detector=detector, reduce="area", batch_size=1)([large, large], keep_detections=False)
    assert "detections" not in lean and lean["area"].tolist() == info["area"].tolist()

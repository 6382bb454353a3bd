import numpy as np
import pytest

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")
transformers = pytest.importorskip("transformers")

from artifactsdk.errors import InvalidInputError  # noqa: E402
from artifactsdk.rectify.inpainters import get_inpainter  # noqa: E402
from tiny_diffusers import tiny_components  # noqa: E402


@pytest.fixture(scope="module")
def tiny_pipeline_dir(tmp_path_factory):
    """A randomly initialised Stable Diffusion inpainting pipeline, saved offline."""
    folder = tmp_path_factory.mktemp("tiny_sd_inpaint")
    pipeline = diffusers.StableDiffusionInpaintPipeline(**tiny_components(folder, unet_in_channels=9))
    pipeline.save_pretrained(str(folder / "pipeline"))
    return folder / "pipeline"


def test_a_saved_pipeline_inpaints_through_the_adapter(tiny_pipeline_dir):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (60, 44, 3), dtype=np.uint8)
    mask = np.zeros((60, 44), bool)
    mask[20:40, 10:30] = True
    painter = get_inpainter(f"diffusers:{tiny_pipeline_dir}")
    painter.steps = 2
    first = painter.inpaint(image, mask, "cpu")
    assert first.shape == image.shape and first.dtype == np.uint8
    np.testing.assert_array_equal(first[~mask], image[~mask])
    assert np.abs(first[mask].astype(int) - image[mask]).mean() > 5
    np.testing.assert_array_equal(painter.inpaint(image, mask, "cpu"), first)   # seeded
    painter.seed = 1
    assert not np.array_equal(painter.inpaint(image, mask, "cpu"), first)


def test_a_folder_without_a_pipeline_is_refused(tmp_path):
    with pytest.raises(InvalidInputError, match="model_index.json"):
        get_inpainter(f"diffusers:{tmp_path}")


def test_missing_diffusers_names_the_extra(tiny_pipeline_dir):
    import subprocess
    import sys
    code = ("import sys; sys.modules['diffusers'] = None\n"
            "import numpy as np\n"
            "from artifactsdk.rectify.inpainters import get_inpainter\n"
            f"painter = get_inpainter('diffusers:{tiny_pipeline_dir}')\n"
            "mask = np.zeros((16, 16), bool); mask[4:8, 4:8] = True\n"
            "painter.inpaint(np.zeros((16, 16, 3), np.uint8), mask, 'cpu')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "pip install 'artifactsdk[diffusers]'" in result.stderr

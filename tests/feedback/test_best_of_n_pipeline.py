import numpy as np
import pytest

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")
pytest.importorskip("transformers")

from artifactsdk.errors import InvalidInputError  # noqa: E402
from artifactsdk.feedback import best_of_n_pipeline  # noqa: E402
from artifactsdk.reward import ArtifactReward  # noqa: E402
from tiny_diffusers import tiny_components  # noqa: E402


class CountingPipeline:
    """A real pipeline that records the batch size of each call."""

    def __init__(self, pipe):
        self.pipe, self.batches = pipe, []

    def __call__(self, **kwargs):
        self.batches.append(len(kwargs["prompt"]))
        return self.pipe(**kwargs)


@pytest.fixture(scope="module")
def tiny_text_to_image(tmp_path_factory):
    """A randomly initialised Stable Diffusion text-to-image pipeline (32x32 images), built offline."""
    pipe = diffusers.StableDiffusionPipeline(**tiny_components(tmp_path_factory.mktemp("tiny_sd"), unet_in_channels=4))
    pipe.set_progress_bar_config(disable=True)
    return pipe


def test_candidates_are_generated_in_batches_and_the_best_is_kept(tiny_text_to_image, detector):
    pipe = CountingPipeline(tiny_text_to_image)
    reward = ArtifactReward(detector=detector, reduce="weighted")
    best = best_of_n_pipeline(pipe, "a red barn", 5, reward, seeds=[3, 1, 4, 1, 5], batch_size=2,
                              num_inference_steps=2, guidance_scale=1.0)
    assert pipe.batches == [2, 2, 1]
    assert best.rewards.shape == (5,) and not np.isnan(best.rewards).any()
    assert best.index == int(np.argmax(best.rewards)) and best.seed == (3, 1, 4, 1, 5)[best.index]
    assert best.image.size == (32, 32)
    # Seeds 1 and 1 make the same image in different batches: one generator per candidate.
    assert best.rewards[1] == pytest.approx(best.rewards[3], abs=1e-4)
    alone = tiny_text_to_image(prompt="a red barn", generator=torch.Generator().manual_seed(best.seed),
                               num_inference_steps=2, guidance_scale=1.0, output_type="pil").images[0]
    difference = np.abs(np.asarray(alone, dtype=int) - np.asarray(best.image, dtype=int))
    assert difference.mean() < 1.0


def test_the_helper_owns_output_type_and_generator(tiny_text_to_image, detector):
    with pytest.raises(InvalidInputError, match="output_type and generator"):
        best_of_n_pipeline(tiny_text_to_image, "x", 2, ArtifactReward(detector=detector), output_type="np")
    with pytest.raises(InvalidInputError, match="batch_size"):
        best_of_n_pipeline(tiny_text_to_image, "x", 2, ArtifactReward(detector=detector), batch_size=0)

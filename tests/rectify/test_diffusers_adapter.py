import json
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")
transformers = pytest.importorskip("transformers")

from artifactsdk.errors import InvalidInputError  # noqa: E402
from artifactsdk.rectify.inpainters import get_inpainter  # noqa: E402


def byte_level_tokenizer(folder):
    """A CLIP tokenizer whose vocabulary is just CLIP's byte alphabet (no merges), written
    locally so that nothing is downloaded."""
    alphabet = [chr(c) for c in range(ord("!"), ord("~") + 1)] + [chr(c) for c in range(ord("¡"), ord("¬") + 1)]
    alphabet += [chr(c) for c in range(ord("®"), ord("ÿ") + 1)]
    alphabet += [chr(256 + n) for n in range(256 - len(alphabet))]
    tokens = ["<|startoftext|>", "<|endoftext|>"] + alphabet + [a + "</w>" for a in alphabet]
    (folder / "vocab.json").write_text(json.dumps({token: i for i, token in enumerate(tokens)}))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    return transformers.CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=77), len(tokens)


@pytest.fixture(scope="module")
def tiny_pipeline_dir(tmp_path_factory):
    """A randomly initialised Stable Diffusion inpainting pipeline, saved offline."""
    folder = tmp_path_factory.mktemp("tiny_sd_inpaint")
    tokenizer, vocab_size = byte_level_tokenizer(folder)
    torch.manual_seed(0)
    unet = diffusers.UNet2DConditionModel(
        block_out_channels=(16, 32), layers_per_block=1, sample_size=16, in_channels=9, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=16, attention_head_dim=4, norm_num_groups=8)
    vae = diffusers.AutoencoderKL(
        block_out_channels=(16, 32), in_channels=3, out_channels=3, latent_channels=4, norm_num_groups=8,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"))
    text_encoder = transformers.CLIPTextModel(transformers.CLIPTextConfig(
        bos_token_id=0, eos_token_id=1, pad_token_id=1, hidden_size=16, intermediate_size=32,
        num_attention_heads=2, num_hidden_layers=2, vocab_size=vocab_size, max_position_embeddings=77))
    pipeline = diffusers.StableDiffusionInpaintPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
        scheduler=diffusers.DDIMScheduler(steps_offset=1), safety_checker=None, feature_extractor=None,
        requires_safety_checker=False)
    pipeline.save_pretrained(str(folder / "pipeline"))
    return folder / "pipeline"


def test_a_saved_pipeline_inpaints_through_the_adapter(tiny_pipeline_dir):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (60, 44, 3), dtype=np.uint8)
    mask = np.zeros((60, 44), bool)
    mask[20:40, 10:30] = True
    painter = get_inpainter(f"diffusers:{tiny_pipeline_dir}")
    painter.steps = 2
    started = time.perf_counter()
    first = painter.inpaint(image, mask, "cpu")
    assert time.perf_counter() - started < 60
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

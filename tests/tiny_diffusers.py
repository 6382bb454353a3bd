"""Randomly initialised Stable Diffusion parts small enough for CPU tests, built offline
(a byte-level CLIP tokenizer written locally: nothing is downloaded)."""

import json

import diffusers
import torch
import transformers


def byte_level_tokenizer(folder):
    """A CLIP tokenizer whose vocabulary is just CLIP's byte alphabet (no merges)."""
    alphabet = [chr(c) for c in range(ord("!"), ord("~") + 1)] + [chr(c) for c in range(ord("¡"), ord("¬") + 1)]
    alphabet += [chr(c) for c in range(ord("®"), ord("ÿ") + 1)]
    alphabet += [chr(256 + n) for n in range(256 - len(alphabet))]
    tokens = ["<|startoftext|>", "<|endoftext|>"] + alphabet + [a + "</w>" for a in alphabet]
    (folder / "vocab.json").write_text(json.dumps({token: i for i, token in enumerate(tokens)}))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    return transformers.CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=77), len(tokens)


def tiny_components(folder, unet_in_channels: int, seed: int = 0) -> dict:
    """tokenizer, text_encoder, unet, vae and a DDIM scheduler; images come out at 32x32."""
    tokenizer, vocab_size = byte_level_tokenizer(folder)
    torch.manual_seed(seed)
    unet = diffusers.UNet2DConditionModel(
        block_out_channels=(16, 32), layers_per_block=1, sample_size=16, in_channels=unet_in_channels,
        out_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=16, attention_head_dim=4,
        norm_num_groups=8)
    vae = diffusers.AutoencoderKL(
        block_out_channels=(16, 32), in_channels=3, out_channels=3, latent_channels=4, norm_num_groups=8,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"))
    text_encoder = transformers.CLIPTextModel(transformers.CLIPTextConfig(
        bos_token_id=0, eos_token_id=1, pad_token_id=1, hidden_size=16, intermediate_size=32,
        num_attention_heads=2, num_hidden_layers=2, vocab_size=vocab_size, max_position_embeddings=77))
    return {"vae": vae, "text_encoder": text_encoder, "tokenizer": tokenizer, "unet": unet,
            "scheduler": diffusers.DDIMScheduler(steps_offset=1), "safety_checker": None,
            "feature_extractor": None, "requires_safety_checker": False}

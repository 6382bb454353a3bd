"""A diffusers inpainting pipeline (Stable Diffusion / SD-XL inpaint, as PAL uses) loaded
from a local directory written by `save_pretrained`; nothing is downloaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from artifactsdk.errors import InvalidInputError
import artifactsdk.rectify.dependencies as dependencies
from artifactsdk.rectify.inpainters.base import Inpainter
from artifactsdk.rectify.inpainters.padding import pad_to_multiple

DEFAULT_PROMPT = "a clean, natural, high quality photograph"
DEFAULT_NEGATIVE = "artifacts, distorted, deformed, blurry, noise, text, watermark"


class DiffusersInpainter(Inpainter):
    name = "diffusers"
    working_size = 512
    upscale = True
    multiple = 8

    def __init__(self, directory: str | Path, prompt: str = DEFAULT_PROMPT, negative_prompt: str = DEFAULT_NEGATIVE,
                 steps: int = 25, guidance_scale: float = 7.5, seed: int = 0):
        self.directory = Path(directory)
        if not (self.directory / "model_index.json").is_file():
            raise InvalidInputError(f"diffusers:{directory}: expected a folder written by a diffusers "
                                    "pipeline's save_pretrained (with model_index.json), found none")
        self.prompt, self.negative_prompt = prompt, negative_prompt
        self.steps, self.guidance_scale, self.seed = steps, guidance_scale, seed
        self._pipelines: dict[str, object] = {}

    def pipeline(self, device):
        """The inpainting pipeline on `device`, loaded once (fp16 on a GPU, fp32 on the CPU)."""
        key = str(device)
        if key not in self._pipelines:
            torch = dependencies.torch()
            diffusers = dependencies.require("diffusers", extra="diffusers",
                                             purpose="The diffusers inpainter (--inpainter diffusers:DIR)")
            dtype = torch.float16 if device.type == "cuda" else torch.float32
            pipeline = diffusers.AutoPipelineForInpainting.from_pretrained(
                str(self.directory), torch_dtype=dtype, local_files_only=True)
            pipeline.set_progress_bar_config(disable=True)
            self._pipelines[key] = pipeline.to(device)
        return self._pipelines[key]

    def _inpaint(self, image: np.ndarray, mask: np.ndarray, device) -> np.ndarray:
        from PIL import Image

        torch = dependencies.torch()
        torch_device = dependencies.resolve_device(device)
        pipeline = self.pipeline(torch_device)
        height, width = mask.shape
        padded, padded_mask = pad_to_multiple(image, mask, self.multiple)
        generator = torch.Generator(device=torch_device).manual_seed(self.seed)
        result = pipeline(prompt=self.prompt, negative_prompt=self.negative_prompt,
                          image=Image.fromarray(padded), mask_image=Image.fromarray(padded_mask.astype(np.uint8) * 255),
                          height=padded.shape[0], width=padded.shape[1], num_inference_steps=self.steps,
                          guidance_scale=self.guidance_scale, generator=generator, output_type="np")
        painted = np.clip(result.images[0] * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return painted[:height, :width]

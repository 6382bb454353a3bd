"""Best-of-N over a diffusers text-to-image pipeline, generating the candidates in batches."""

from __future__ import annotations

from collections.abc import Sequence

from artifactsdk.errors import InvalidInputError
from artifactsdk.feedback.best_of_n import BestOfN, checked_seeds, select
from artifactsdk.rectify.dependencies import require


def best_of_n_pipeline(pipe, prompt: str, n: int, reward, *, seeds: Sequence[int] | None = None,
                       batch_size: int = 4, fix: bool = False, inpainter: str = "builtin",
                       **pipe_kwargs) -> BestOfN:
    """Run `pipe` (a diffusers pipeline called as `pipe(prompt=..., generator=...)`) on
    `prompt` n times, `batch_size` images per call, one CPU torch.Generator seeded per
    candidate (so a candidate is the same whatever the batch size), and return the best
    by `reward`. `pipe_kwargs` go to every call (num_inference_steps, negative_prompt,
    height, ...); the images come back as PIL images."""
    torch = require("torch", extra="feedback", purpose="best_of_n_pipeline")

    if batch_size < 1:
        raise InvalidInputError(f"batch_size must be at least 1, got {batch_size}")
    if "output_type" in pipe_kwargs or "generator" in pipe_kwargs:
        raise InvalidInputError("best_of_n_pipeline sets output_type and generator itself; leave them out")
    seeds = checked_seeds(n, seeds)
    images = []
    for start in range(0, n, batch_size):
        chunk = seeds[start:start + batch_size]
        generators = [torch.Generator(device="cpu").manual_seed(seed) for seed in chunk]
        output = pipe(prompt=[prompt] * len(chunk), generator=generators, output_type="pil", **pipe_kwargs)
        images.extend(output.images)
    return select(images, seeds, prompt, reward, fix=fix, inpainter=inpainter)

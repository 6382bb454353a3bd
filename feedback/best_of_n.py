"""Best-of-N: generate N candidates for a prompt, keep the one the reward likes best, and
optionally repair the winner with `artifactsdk.rectify.fix_image`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from artifactsdk.errors import InvalidInputError
from artifactsdk.rectify import fix_image


@dataclass(frozen=True)
class BestOfN:
    """The winner (`image`, as the generator returned it, or repaired), every candidate's
    seed and reward (NaN for one that could not be read), and the reward's info."""

    image: object = field(repr=False)
    index: int
    seed: int
    seeds: tuple[int, ...]
    rewards: np.ndarray
    info: dict = field(repr=False)
    fixed: object = field(default=None, repr=False)  # the FixResult when fix=True

    @property
    def reward(self) -> float:
        return float(self.rewards[self.index])

    @property
    def detection(self):
        """The winner's Detection (before any repair)."""
        return self.info["detections"][self.index]


def checked_seeds(n: int, seeds: Sequence[int] | None) -> tuple[int, ...]:
    if n < 1:
        raise InvalidInputError(f"n must be at least 1, got {n}")
    if seeds is None:
        return tuple(range(n))
    seeds = tuple(int(seed) for seed in seeds)
    if len(seeds) != n:
        raise InvalidInputError(f"got {len(seeds)} seeds for n={n} candidates; give one seed per candidate")
    return seeds


def best_of_n(generate: Callable[[str, int], object], prompt: str, n: int, reward, *,
              seeds: Sequence[int] | None = None, fix: bool = False, inpainter: str = "builtin") -> BestOfN:
    """Call `generate(prompt, seed)` for n seeds (default 0..n-1), score the images with
    `reward` (an ArtifactReward) and return the best. Any image type the reward reads works."""
    seeds = checked_seeds(n, seeds)
    return select([generate(prompt, seed) for seed in seeds], seeds, prompt, reward, fix=fix, inpainter=inpainter)


def select(images: list, seeds: tuple[int, ...], prompt: str, reward, *, fix: bool = False,
           inpainter: str = "builtin") -> BestOfN:
    """Score `images` in one batch and pick the highest reward; with `fix`, repair the winner
    through the reward's detector."""
    rewards, info = reward(images, [prompt] * len(images))
    if np.isnan(rewards).all():
        reasons = "; ".join(error["error"] for error in info["errors"])
        raise InvalidInputError(f"none of the {len(images)} candidates could be scored: {reasons}")
    index = int(np.nanargmax(rewards))
    fixed = None
    if fix:  # repairs the pixels the winner was judged on, whatever type the generator returned
        winner = info["detections"][index]
        fixed = fix_image(reward.detector, winner.image, detection=winner, inpainter=inpainter)
    return BestOfN(fixed.image if fixed is not None else images[index], index, seeds[index], seeds, rewards, info,
                   fixed)
